/**
 * What Shire tells people, one template per event. A template turns the facts of the event into
 * a channel-neutral Message: content blocks for email (rendered by render.ts), an SMS text and
 * a push notification. Wording follows the GOV.UK style guide: short sentences, "you", no jargon.
 */

export type Block =
  | { type: 'paragraph'; text: string }
  | { type: 'inset'; text: string } // highlighted, e.g. "Status: Fixed" or the council's message
  | { type: 'button'; text: string; href: string } // the main call to action, an absolute URL
  | { type: 'link'; text: string; href: string } // a secondary link sentence
  | { type: 'list'; items: string[] };

export interface Message {
  subject: string;
  /** One short line mail clients show after the subject. */
  preview: string;
  blocks: Block[];
  /** ≤ 2 SMS fragments where possible (≤ 306 GSM chars); include the reference and the link. */
  sms: string;
  push: { title: string; body: string; url: string };
}

/** What every case message knows. noun is e.g. 'report', 'application'. caseUrl is absolute. */
export interface CaseFacts {
  noun: string;
  ref: string;
  title: string;
  caseUrl: string;
}

export interface TemplateData {
  'case-received': CaseFacts & { manageUrl?: string };
  'case-status-changed': CaseFacts & { statusLabel: string; message?: string; manageUrl?: string };
  'case-public-update': CaseFacts & { statusLabel: string; message: string; manageUrl?: string };
  'case-closed': CaseFacts & { statusLabel: string; message?: string; surveyUrl: string };
  'case-ask-if-resolved': CaseFacts & { statusLabel: string; resolvedUrl: string };
  'booking-confirmed': {
    ref: string;
    eventName: string;
    startsAt: string /* ISO */;
    place: string;
    tickets: { label: string; quantity: number }[];
    totalPence: number;
    bookingUrl: string;
  };
  'renewal-confirmed': {
    items: { title: string; dueDate: string /* ISO date */ }[];
    notRenewed: { title: string; reason: string }[];
    loansUrl: string;
  };
  'sign-in-link': { link: string; expiresInMinutes: number };
  'saved-form': { serviceName: string; link: string; expiresAt: string /* ISO */ };
  /** Other one-off account emails (password changed, already have an account…): a subject and paragraphs; a paragraph that is only an absolute URL becomes a link. */
  'account-notice': { subject: string; paragraphs: string[] };
  /** A copy of a live chat, asked for by the resident. */
  'chat-transcript': {
    ref: string;
    caseUrl: string;
    lines: { from: string; at: string /* ISO */; text: string }[];
  };
}

export type TemplateName = keyof TemplateData;

// ---------------------------------------------------------------------------------------------
// Formatting, GOV.UK style

const TIME_ZONE = 'Europe/London';

const dateFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});
// A plain date ('2026-12-03') is a calendar day, not an instant: shifting it by time zone
// could move it to the day before.
const calendarDateFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});
const timeFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  hourCycle: 'h23',
  hour: 'numeric',
  minute: '2-digit',
});

function parseInstant(iso: string): Date {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new RangeError(`Not an ISO date: ${iso}`);
  return date;
}

/** '2026-12-03' or '2026-12-03T19:30:00Z' → '3 December 2026' (the day in the UK). */
export function formatDate(iso: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return calendarDateFormat.format(parseInstant(iso));
  return dateFormat.format(parseInstant(iso));
}

/** '2026-12-03T19:30:00Z' → '7:30pm'; on the hour '7pm'; 'midday' and 'midnight' as GOV.UK says. */
export function formatTime(iso: string): string {
  const parts = timeFormat.formatToParts(parseInstant(iso));
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0) % 24;
  const minute = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
  if (minute === 0 && hour === 0) return 'midnight';
  if (minute === 0 && hour === 12) return 'midday';
  const clock = hour % 12 === 0 ? 12 : hour % 12;
  const minutes = minute === 0 ? '' : `:${String(minute).padStart(2, '0')}`;
  return `${clock}${minutes}${hour < 12 ? 'am' : 'pm'}`;
}

/** '2026-12-03T19:30:00Z' → '3 December 2026, 7:30pm' (UK time, summer time included). */
export function formatDateTime(iso: string): string {
  return `${formatDate(iso)}, ${formatTime(iso)}`;
}

/** 1250 → '£12.50', 1200 → '£12' (GOV.UK: no '.00'), 0 → 'Free'. */
export function formatMoney(pence: number): string {
  if (pence === 0) return 'Free';
  const pounds = pence / 100;
  return `£${pounds.toLocaleString('en-GB', {
    minimumFractionDigits: Number.isInteger(pounds) ? 0 : 2,
    maximumFractionDigits: 2,
  })}`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Ends a sentence with a full stop unless it already ends with punctuation. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** Shortens text to at most max characters (whole code points), marking the cut with '...'. */
function clip(text: string, max: number): string {
  const chars = Array.from(text.trim());
  if (chars.length <= max) return chars.join('');
  return `${chars
    .slice(0, Math.max(0, max - 3))
    .join('')
    .trimEnd()}...`;
}

/** The council's message as paragraphs: blank lines separate them. */
function paragraphs(text: string | undefined): Block[] {
  if (!text) return [];
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => ({ type: 'paragraph', text: p }));
}

// ---------------------------------------------------------------------------------------------
// SMS

// The GSM 03.38 alphabet: one unit each, or two for the extension table. Anything else forces
// UCS-2, which halves what fits in a fragment.
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€\f');

/** How big a text is as SMS: its encoding, its length in that encoding's units, and fragments. */
export function smsSize(text: string): {
  encoding: 'gsm' | 'ucs2';
  units: number;
  fragments: number;
} {
  let units = 0;
  for (const char of text) {
    if (GSM_BASIC.has(char)) units += 1;
    else if (GSM_EXTENDED.has(char)) units += 2;
    else {
      const ucs2 = text.length;
      return { encoding: 'ucs2', units: ucs2, fragments: ucs2 <= 70 ? 1 : Math.ceil(ucs2 / 67) };
    }
  }
  return { encoding: 'gsm', units, fragments: units <= 160 ? 1 : Math.ceil(units / 153) };
}

/** Typographic characters people paste into titles, swapped for GSM ones so the text stays GSM. */
function gsmFriendly(text: string): string {
  return text
    .replace(/[‘’‚′]/g, "'")
    .replace(/[“”„″]/g, '"')
    .replace(/[–—−]/g, '-')
    .replace(/…/g, '...')
    .replace(/\u00a0/g, ' ');
}

const SMS_MAX_FRAGMENTS = 2;

/**
 * Builds an SMS that fits in two fragments where it can: `build` is given a function that
 * shortens the free text (titles, messages), and we shorten harder until it fits. References
 * and links are never passed through it, so they always survive whole.
 */
function fitSms(build: (shorten: (text: string) => string) => string): string {
  let text = '';
  for (const max of [Infinity, 80, 60, 45, 30, 20, 12]) {
    text = gsmFriendly(build((t) => clip(t, max)));
    if (smsSize(text).fragments <= SMS_MAX_FRAGMENTS) return text;
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Case messages

function reference(facts: CaseFacts): Block {
  return { type: 'paragraph', text: `Your reference is ${facts.ref}.` };
}

function progressButton(facts: CaseFacts, text = `See the progress of your ${facts.noun}`): Block {
  return { type: 'button', text, href: facts.caseUrl };
}

function manageLink(facts: CaseFacts, manageUrl: string | undefined): Block[] {
  if (!manageUrl) return [];
  return [
    { type: 'link', text: `To hide your name or withdraw your ${facts.noun}`, href: manageUrl },
  ];
}

function casePush(facts: CaseFacts, title: string, body: string): Message['push'] {
  return { title, body: clip(`${body} ${facts.title}`, 120), url: facts.caseUrl };
}

function caseReceived(data: TemplateData['case-received']): Message {
  return {
    subject: `We received your ${data.noun}: ${data.ref}`,
    preview: `Your reference is ${data.ref}.`,
    blocks: [
      { type: 'paragraph', text: `Thank you. We received your ${data.noun}, "${data.title}".` },
      { type: 'inset', text: `Your reference is ${data.ref}` },
      { type: 'paragraph', text: `We will email you when there is an update.` },
      progressButton(data),
      ...manageLink(data, data.manageUrl),
    ],
    sms: fitSms(
      (shorten) =>
        `We received your ${data.noun} ${data.ref}: ${sentence(shorten(data.title))} See its progress: ${data.caseUrl}`,
    ),
    push: casePush(data, `We received your ${data.noun}`, `Reference ${data.ref}:`),
  };
}

/** The shape shared by the status-changed and public-update emails. */
function caseUpdate(
  data: CaseFacts & { statusLabel: string; message?: string; manageUrl?: string },
): Message {
  return {
    subject: `Update on your ${data.noun} ${data.ref}: ${data.statusLabel}`,
    preview: data.message
      ? clip(data.message.replace(/\s+/g, ' '), 100)
      : `Your ${data.noun} is now: ${data.statusLabel}.`,
    blocks: [
      { type: 'paragraph', text: `There is an update on your ${data.noun}, "${data.title}".` },
      { type: 'inset', text: `Status: ${data.statusLabel}` },
      ...paragraphs(data.message),
      reference(data),
      progressButton(data),
      ...manageLink(data, data.manageUrl),
    ],
    sms: fitSms((shorten) =>
      [
        `Update on your ${data.noun} ${data.ref} (${shorten(data.title)}): ${sentence(data.statusLabel)}`,
        ...(data.message ? [sentence(shorten(data.message.replace(/\s+/g, ' ')))] : []),
        `See its progress: ${data.caseUrl}`,
      ].join(' '),
    ),
    push: casePush(data, `Update on ${data.ref}: ${data.statusLabel}`, `Your ${data.noun}:`),
  };
}

function caseClosed(data: TemplateData['case-closed']): Message {
  const question = `How satisfied are you with how we handled your ${data.noun}?`;
  return {
    subject: `Your ${data.noun} ${data.ref} is closed: ${data.statusLabel}`,
    preview: `We have closed your ${data.noun}. Tell us how we did.`,
    blocks: [
      { type: 'paragraph', text: `We have closed your ${data.noun}, "${data.title}".` },
      { type: 'inset', text: `Status: ${data.statusLabel}` },
      ...paragraphs(data.message),
      reference(data),
      progressButton(data, `See your ${data.noun}`),
      { type: 'paragraph', text: question },
      { type: 'link', text: 'Tell us how satisfied you are', href: data.surveyUrl },
    ],
    sms: fitSms(
      (shorten) =>
        `Your ${data.noun} ${data.ref} (${shorten(data.title)}) is closed: ${sentence(data.statusLabel)} See it: ${data.caseUrl} ${question} ${data.surveyUrl}`,
    ),
    push: casePush(data, `${data.ref} is closed: ${data.statusLabel}`, `Your ${data.noun}:`),
  };
}

function caseAskIfResolved(data: TemplateData['case-ask-if-resolved']): Message {
  return {
    subject: `Is it fixed? Your ${data.noun} ${data.ref}`,
    preview: 'Tell us in one click. If it is not fixed, we will look again.',
    blocks: [
      {
        type: 'paragraph',
        text: `A few weeks ago we marked your ${data.noun}, "${data.title}", as ${data.statusLabel.toLowerCase()}.`,
      },
      {
        type: 'paragraph',
        text: 'Is it really fixed? Tell us in one click. If it is not, we will look again.',
      },
      { type: 'button', text: 'Tell us if it is fixed', href: data.resolvedUrl },
      reference(data),
      { type: 'link', text: `See your ${data.noun}`, href: data.caseUrl },
    ],
    sms: fitSms(
      (shorten) =>
        `Is it fixed? We marked your ${data.noun} ${data.ref} (${shorten(data.title)}) as ${data.statusLabel.toLowerCase()}. Tell us in one click: ${data.resolvedUrl}`,
    ),
    push: casePush(data, `Is it fixed? ${data.ref}`, `Your ${data.noun}:`),
  };
}

// ---------------------------------------------------------------------------------------------
// Bookings, loans and account

function bookingConfirmed(data: TemplateData['booking-confirmed']): Message {
  const when = formatDateTime(data.startsAt);
  const total = formatMoney(data.totalPence);
  return {
    subject: `Booking confirmed: ${data.eventName}`,
    preview: `${when}, ${data.place}`,
    blocks: [
      { type: 'paragraph', text: `Your booking for ${data.eventName} is confirmed.` },
      { type: 'inset', text: `Your booking reference is ${data.ref}` },
      {
        type: 'list',
        items: [
          `When: ${when}`,
          `Where: ${data.place}`,
          ...data.tickets
            .filter((t) => t.quantity > 0)
            .map((t) => `${t.label}: ${plural(t.quantity, 'ticket')}`),
          `Total: ${total}`,
        ],
      },
      { type: 'button', text: 'See your booking', href: data.bookingUrl },
    ],
    sms: fitSms(
      (shorten) =>
        `Booking confirmed: ${shorten(data.eventName)}, ${when}, ${shorten(data.place)}. Your reference is ${data.ref}. See your booking: ${data.bookingUrl}`,
    ),
    push: {
      title: 'Booking confirmed',
      body: clip(`${data.eventName}, ${when}`, 120),
      url: data.bookingUrl,
    },
  };
}

function renewalConfirmed(data: TemplateData['renewal-confirmed']): Message {
  const renewed = data.items.map((i) => `${i.title}: due back ${formatDate(i.dueDate)}`);
  const refused = data.notRenewed.map((i) => `${i.title}: ${i.reason}`);
  const nextDue = [...data.items].sort((a, b) => a.dueDate.localeCompare(b.dueDate))[0];
  const headline =
    data.items.length > 0
      ? `You renewed ${plural(data.items.length, 'item')}`
      : 'We could not renew your items';
  const summary = `${headline}.`;
  const refusedSummary =
    data.items.length > 0 && data.notRenewed.length > 0
      ? `We could not renew ${plural(data.notRenewed.length, 'item')}.`
      : '';
  return {
    subject: headline,
    preview: nextDue ? `The first is due back ${formatDate(nextDue.dueDate)}.` : (refused[0] ?? ''),
    blocks: [
      ...(data.items.length > 0
        ? ([
            { type: 'paragraph', text: 'You renewed:' },
            { type: 'list', items: renewed },
          ] as const)
        : []),
      ...(data.notRenewed.length > 0
        ? ([
            { type: 'paragraph', text: 'We could not renew:' },
            { type: 'list', items: refused },
          ] as const)
        : []),
      { type: 'button', text: 'See your loans', href: data.loansUrl },
    ],
    sms: fitSms(() =>
      [
        summary,
        ...(nextDue ? [`The first is due back ${formatDate(nextDue.dueDate)}.`] : []),
        ...(refusedSummary ? [refusedSummary] : []),
        `See your loans: ${data.loansUrl}`,
      ].join(' '),
    ),
    push: {
      title: data.items.length > 0 ? 'Items renewed' : 'Items not renewed',
      body: [summary, refusedSummary].filter(Boolean).join(' '),
      url: data.loansUrl,
    },
  };
}

function signInLink(data: TemplateData['sign-in-link']): Message {
  const within = `Use this link within ${plural(data.expiresInMinutes, 'minute')}.`;
  const ignore = 'If you did not ask to sign in, you can ignore this email.';
  return {
    subject: 'Your sign-in link',
    preview: within,
    blocks: [
      { type: 'paragraph', text: 'Use the link below to sign in to your account.' },
      { type: 'button', text: 'Sign in', href: data.link },
      { type: 'paragraph', text: `${within} Do not share it with anyone.` },
      { type: 'paragraph', text: ignore },
    ],
    sms: fitSms(
      () =>
        `Your sign-in link: ${data.link} ${within} If you did not ask to sign in, ignore this message.`,
    ),
    push: { title: 'Your sign-in link', body: within, url: data.link },
  };
}

function savedForm(data: TemplateData['saved-form']): Message {
  const until = formatDateTime(data.expiresAt);
  return {
    subject: `Finish your form: ${data.serviceName}`,
    preview: `Your answers are saved until ${until}.`,
    blocks: [
      { type: 'paragraph', text: `We saved your answers for ${data.serviceName}.` },
      { type: 'button', text: 'Finish your form', href: data.link },
      {
        type: 'paragraph',
        text: `You can use this link until ${until}. After that, you will need to start again.`,
      },
      { type: 'paragraph', text: 'Do not share this link. Anyone with it can see your answers.' },
    ],
    sms: fitSms(
      (shorten) =>
        `We saved your answers for ${shorten(data.serviceName)}. Finish your form by ${until}: ${data.link}`,
    ),
    push: {
      title: 'Finish your form',
      body: clip(`${data.serviceName}. Your answers are saved until ${until}.`, 120),
      url: data.link,
    },
  };
}

const URL_ONLY = /^https?:\/\/\S+$/;

function accountNotice(data: TemplateData['account-notice']): Message {
  const texts = data.paragraphs.map((p) => p.trim()).filter((p) => p !== '');
  const words = texts.filter((p) => !URL_ONLY.test(p));
  const firstUrl = data.paragraphs.join(' ').match(/https?:\/\/\S+/)?.[0] ?? '';
  return {
    subject: data.subject,
    preview: clip(words[0] ?? data.subject, 100),
    blocks: texts.map((p): Block =>
      URL_ONLY.test(p) ? { type: 'link', text: p, href: p } : { type: 'paragraph', text: p },
    ),
    sms: fitSms((shorten) =>
      [sentence(data.subject), ...texts.map((p) => (URL_ONLY.test(p) ? p : shorten(p)))].join(' '),
    ),
    push: { title: data.subject, body: clip(words[0] ?? '', 120), url: firstUrl },
  };
}

function chatTranscript(data: TemplateData['chat-transcript']): Message {
  const when = data.lines[0] ? formatDateTime(data.lines[0].at) : '';
  return {
    subject: `Your conversation with us, ${data.ref}`,
    preview: `A copy of your chat${when ? ` on ${when}` : ''}.`,
    blocks: [
      {
        type: 'paragraph',
        text: `Here is a copy of your conversation with us${when ? ` on ${when}` : ''}.`,
      },
      { type: 'inset', text: `Your reference is ${data.ref}` },
      { type: 'list', items: data.lines.map((line) => `${line.from}: ${line.text}`) },
      { type: 'link', text: 'See it in My Account', href: data.caseUrl },
    ],
    sms: fitSms(() => `Your conversation with us, ${data.ref}: ${data.caseUrl}`),
    push: { title: 'Your conversation with us', body: data.ref, url: data.caseUrl },
  };
}

export const TEMPLATES: { [K in TemplateName]: (data: TemplateData[K]) => Message } = {
  'case-received': caseReceived,
  'case-status-changed': caseUpdate,
  'case-public-update': caseUpdate,
  'case-closed': caseClosed,
  'case-ask-if-resolved': caseAskIfResolved,
  'booking-confirmed': bookingConfirmed,
  'renewal-confirmed': renewalConfirmed,
  'sign-in-link': signInLink,
  'saved-form': savedForm,
  'account-notice': accountNotice,
  'chat-transcript': chatTranscript,
};

/** TEMPLATES[name](data), typed so the data must match the name. */
export function composeMessage<K extends TemplateName>(name: K, data: TemplateData[K]): Message {
  return TEMPLATES[name](data);
}
