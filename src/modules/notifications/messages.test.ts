import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import {
  TEMPLATES,
  composeMessage,
  formatDateTime,
  formatMoney,
  smsSize,
  type CaseFacts,
  type Message,
  type TemplateData,
  type TemplateName,
} from './messages.js';
import { escapeHtml, renderEmail, type Branding } from './render.js';

const publicUrl = 'https://shire.example.gov.uk';
const branding: Branding = {
  councilName: 'Shire County Council',
  publicUrl,
  colour: '#00703c',
};
const unsubscribeUrl = `${publicUrl}/notifications/unsubscribe/tok-123`;

// A realistic worst case: an 80-character title.
const longTitle =
  'Large pothole outside number 42 on the High Street, near the bus stop and school';
assert.equal(longTitle.length, 80);

const facts: CaseFacts = {
  noun: 'report',
  ref: 'SH-2026-00123',
  title: longTitle,
  caseUrl: `${publicUrl}/reports/sh-2026-00123`,
};
const manageUrl = `${publicUrl}/reports/manage/abcDEF123-xyz`;
const councilMessage =
  'Our team has filled the pothole with a temporary repair. We will come back within 28 days to make it permanent, and we will close the road for one night while we do it.';

const caseExamples: {
  [K in Extract<TemplateName, `case-${string}`>]: { data: TemplateData[K]; smsUrl: string };
} = {
  'case-received': { data: { ...facts, manageUrl }, smsUrl: facts.caseUrl },
  'case-status-changed': {
    data: { ...facts, statusLabel: 'In progress', message: councilMessage, manageUrl },
    smsUrl: facts.caseUrl,
  },
  'case-public-update': {
    data: { ...facts, statusLabel: 'In progress', message: councilMessage, manageUrl },
    smsUrl: facts.caseUrl,
  },
  'case-closed': {
    data: {
      ...facts,
      statusLabel: 'Fixed',
      message: councilMessage,
      surveyUrl: `${publicUrl}/survey/case-abc123`,
    },
    smsUrl: facts.caseUrl,
  },
  'case-ask-if-resolved': {
    data: { ...facts, statusLabel: 'Fixed', resolvedUrl: `${publicUrl}/reports/resolved/tok-987` },
    smsUrl: `${publicUrl}/reports/resolved/tok-987`,
  },
};

function render<K extends TemplateName>(name: K, data: TemplateData[K]) {
  const message = composeMessage(name, data);
  return { message, email: renderEmail(message, branding, unsubscribeUrl) };
}

function assertCompleteDocument(html: string, subject: string): void {
  assert.match(html, /^<!doctype html>\n<html lang="en">/);
  assert.match(html, /<meta charset="utf-8">/);
  assert.ok(html.includes(`<title>${escapeHtml(subject)}</title>`));
  assert.match(html, /<\/body>\n<\/html>$/);
  assert.doesNotMatch(html, /<link|<style|<script/i);
}

/** Every link in a rendered email's text, as tests elsewhere find them. */
function textLinks(text: string): string[] {
  return text.match(new RegExp(`${publicUrl}/[\\w/-]+`, 'g')) ?? [];
}

for (const [name, { data, smsUrl }] of Object.entries(caseExamples)) {
  await test(`${name}: subject, reference and progress link in every channel`, () => {
    const { message, email } = render(name as TemplateName, data as never);
    assert.ok(email.subject.includes(facts.ref), email.subject);
    assert.ok(email.text.includes(`Your reference is ${facts.ref}`));
    assert.ok(email.text.includes(facts.caseUrl));
    assert.ok(textLinks(email.text).includes(facts.caseUrl));
    assert.ok(email.text.includes(`Stop getting these emails: ${unsubscribeUrl}`));
    assert.ok(email.text.trimEnd().endsWith(unsubscribeUrl));
    assert.ok(email.text.includes(branding.councilName));
    assertCompleteDocument(email.html, email.subject);
    assert.ok(email.html.includes(`href="${facts.caseUrl}"`));
    assert.ok(email.html.includes(escapeHtml(`"${longTitle}"`)));

    const sms = smsSize(message.sms);
    assert.equal(sms.encoding, 'gsm', message.sms);
    assert.ok(sms.units <= 306, `${sms.units} units: ${message.sms}`);
    assert.ok(message.sms.includes(facts.ref), message.sms);
    assert.ok(message.sms.includes(smsUrl), message.sms);
    assert.equal(message.push.url, facts.caseUrl);
    assert.ok(message.push.title !== '' && message.push.body.length <= 120);
    assert.ok(message.preview !== '' && !message.preview.includes('\n'));
  });
}

await test('case emails use the wording people expect', () => {
  assert.equal(
    render('case-received', caseExamples['case-received'].data).email.subject,
    'We received your report: SH-2026-00123',
  );
  assert.equal(
    render('case-status-changed', caseExamples['case-status-changed'].data).email.subject,
    'Update on your report SH-2026-00123: In progress',
  );
  assert.equal(
    render('case-public-update', caseExamples['case-public-update'].data).email.subject,
    'Update on your report SH-2026-00123: In progress',
  );
  assert.equal(
    render('case-ask-if-resolved', caseExamples['case-ask-if-resolved'].data).email.subject,
    'Is it fixed? Your report SH-2026-00123',
  );
  const update = render('case-public-update', caseExamples['case-public-update'].data).email;
  assert.ok(update.text.includes(councilMessage));
  assert.ok(update.text.includes('Status: In progress'));
});

await test('the manage link appears only when given', () => {
  const withLink = render('case-received', { ...facts, manageUrl }).email;
  assert.ok(withLink.text.includes(`To hide your name or withdraw your report:\n${manageUrl}`));
  assert.ok(withLink.html.includes(`href="${manageUrl}"`));
  const without = render('case-received', facts).email;
  assert.ok(!without.text.includes('withdraw'));
});

await test('case-closed asks one question with the survey link', () => {
  const { data } = caseExamples['case-closed'];
  const { message, email } = render('case-closed', data);
  assert.equal(email.subject, 'Your report SH-2026-00123 is closed: Fixed');
  assert.ok(email.text.includes('How satisfied are you with how we handled your report?'));
  assert.ok(textLinks(email.text).includes(data.surveyUrl));
  assert.ok(email.html.includes(`href="${data.surveyUrl}"`));
  assert.ok(message.sms.includes(data.surveyUrl));
  assert.equal((email.text.match(/\?/g) ?? []).length, 1);
});

await test('case-ask-if-resolved leads with the one-click answer', () => {
  const { data } = caseExamples['case-ask-if-resolved'];
  const { message, email } = render('case-ask-if-resolved', data);
  assert.equal(message.blocks.find((b) => b.type === 'button')?.href, data.resolvedUrl);
  assert.ok(textLinks(email.text).includes(data.resolvedUrl));
});

await test('every interpolated value is HTML-escaped', () => {
  const nasty = '<script>alert("x")</script> & "quotes" \'too\'';
  const message = composeMessage('case-status-changed', {
    ...facts,
    title: nasty,
    statusLabel: '<b>Fixed</b>',
    message: nasty,
  });
  const html = renderEmail(message, { ...branding, councilName: 'A "B" <C>' }, unsubscribeUrl).html;
  assert.ok(!html.includes('<script'));
  assert.ok(!html.includes('<b>'));
  assert.ok(
    html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;'),
  );
  assert.ok(html.includes('<title>Update on your report SH-2026-00123: &lt;b&gt;Fixed&lt;/b&gt;'));
  assert.ok(html.includes('A &quot;B&quot; &lt;C&gt;'));
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
  );
});

await test('render refuses links and colours that escaping cannot make safe', () => {
  const message = composeMessage('sign-in-link', {
    link: 'javascript:alert(1)',
    expiresInMinutes: 15,
  });
  assert.throws(() => renderEmail(message, branding), TypeError);
  const fine = composeMessage('sign-in-link', { link: `${publicUrl}/x`, expiresInMinutes: 15 });
  assert.throws(
    () => renderEmail(fine, { ...branding, colour: 'red;background:url(x)' }),
    TypeError,
  );
});

await test('HTML email: branding, preview, button, logo and layout', () => {
  const message = composeMessage('case-received', facts);
  const plain = renderEmail(message, branding).html;
  assert.ok(plain.includes('background-color:#00703c'));
  assert.ok(plain.includes('color:#ffffff;">Shire County Council</span>'));
  assert.ok(plain.includes(`>${message.preview}</span>`));
  assert.ok(plain.includes('max-width:600px'));
  assert.ok(plain.includes('font-size:19px'));
  assert.ok(!plain.includes('<img'));
  assert.ok(!plain.includes('Stop getting these emails'));
  assert.match(plain, /role="presentation"/);

  const logoUrl = `${publicUrl}/logo.png`;
  const withLogo = renderEmail(message, { ...branding, logoUrl }).html;
  assert.ok(withLogo.includes(`<img src="${logoUrl}" alt="Shire County Council"`));
  assert.equal((withLogo.match(/<img/g) ?? []).length, 1);
});

await test('dates are UK time, GOV.UK style; money is pounds or Free', () => {
  assert.equal(formatDateTime('2026-12-03T19:30:00Z'), '3 December 2026, 7:30pm');
  // British Summer Time: 18:00 UTC is 7pm in London.
  assert.equal(formatDateTime('2026-06-12T18:00:00Z'), '12 June 2026, 7pm');
  assert.equal(formatDateTime('2026-06-12T23:30:00Z'), '13 June 2026, 12:30am');
  assert.equal(formatDateTime('2026-06-12T11:00:00Z'), '12 June 2026, midday');
  assert.equal(formatDateTime('2026-01-05T00:00:00Z'), '5 January 2026, midnight');
  assert.equal(formatMoney(1250), '£12.50');
  assert.equal(formatMoney(1205), '£12.05');
  assert.equal(formatMoney(1200), '£12');
  assert.equal(formatMoney(123456), '£1,234.56');
  assert.equal(formatMoney(0), 'Free');
});

await test('booking-confirmed shows when, where, tickets and total', () => {
  const bookingUrl = `${publicUrl}/bookings/bk-42`;
  const { message, email } = render('booking-confirmed', {
    ref: 'BK-0042',
    eventName: 'Winter lantern walk',
    startsAt: '2026-12-03T19:30:00Z',
    place: 'Shire Country Park, main car park',
    tickets: [
      { label: 'Adult', quantity: 2 },
      { label: 'Child (under 16)', quantity: 1 },
      { label: 'Concession', quantity: 0 },
    ],
    totalPence: 1250,
    bookingUrl,
  });
  assert.equal(email.subject, 'Booking confirmed: Winter lantern walk');
  assert.ok(email.text.includes('When: 3 December 2026, 7:30pm'));
  assert.ok(email.text.includes('- Adult: 2 tickets'));
  assert.ok(email.text.includes('- Child (under 16): 1 ticket'));
  assert.ok(!email.text.includes('Concession'));
  assert.ok(email.text.includes('Total: £12.50'));
  assert.ok(email.text.includes('BK-0042'));
  assert.ok(textLinks(email.text).includes(bookingUrl));
  assert.ok(email.html.includes('<li style="margin-bottom:5px;">Total: £12.50</li>'));
  assert.ok(message.sms.includes('BK-0042') && message.sms.includes(bookingUrl));
  assert.equal(message.push.url, bookingUrl);

  const summer = composeMessage('booking-confirmed', {
    ref: 'BK-0043',
    eventName: 'Summer fair',
    startsAt: '2026-06-20T09:00:00Z',
    place: 'Village green',
    tickets: [{ label: 'Adult', quantity: 1 }],
    totalPence: 0,
    bookingUrl,
  });
  assert.equal(summer.preview, '20 June 2026, 10am, Village green');
  assert.ok(summer.blocks.some((b) => b.type === 'list' && b.items.includes('Total: Free')));
});

await test('renewal-confirmed lists due dates and what could not be renewed', () => {
  const loansUrl = `${publicUrl}/account/loans`;
  const { message, email } = render('renewal-confirmed', {
    items: [
      { title: 'Wolf Hall', dueDate: '2026-07-01' },
      { title: 'The Hobbit', dueDate: '2026-06-24' },
    ],
    notRenewed: [{ title: 'Middlemarch', reason: 'someone else has reserved it' }],
    loansUrl,
  });
  assert.equal(email.subject, 'You renewed 2 items');
  assert.ok(email.text.includes('- Wolf Hall: due back 1 July 2026'));
  assert.ok(email.text.includes('- Middlemarch: someone else has reserved it'));
  assert.ok(textLinks(email.text).includes(loansUrl));
  assert.equal(message.preview, 'The first is due back 24 June 2026.');
  assert.ok(message.sms.includes(loansUrl));
  assert.ok(message.sms.includes('We could not renew 1 item.'));

  const none = composeMessage('renewal-confirmed', {
    items: [],
    notRenewed: [{ title: 'Middlemarch', reason: 'you have renewed it 3 times' }],
    loansUrl,
  });
  assert.equal(none.subject, 'We could not renew your items');
});

await test('sign-in-link and saved-form', () => {
  const link = `${publicUrl}/sign-in/magic-abc123`;
  const signIn = render('sign-in-link', { link, expiresInMinutes: 15 });
  assert.equal(signIn.email.subject, 'Your sign-in link');
  assert.ok(signIn.email.text.includes('Use this link within 15 minutes.'));
  assert.ok(
    signIn.email.text.includes('If you did not ask to sign in, you can ignore this email.'),
  );
  assert.ok(textLinks(signIn.email.text).includes(link));
  assert.ok(signIn.message.sms.includes(link));

  const resume = `${publicUrl}/forms/resume/res-XYZ-789`;
  const saved = render('saved-form', {
    serviceName: 'Apply for a blue badge',
    link: resume,
    expiresAt: '2026-07-10T22:59:00Z',
  });
  assert.equal(saved.email.subject, 'Finish your form: Apply for a blue badge');
  assert.ok(saved.email.text.includes('until 10 July 2026, 11:59pm'));
  assert.ok(textLinks(saved.email.text).includes(resume));
});

await test('account-notice turns a URL-only paragraph into a link and keeps it verbatim', () => {
  const resetUrl = `${publicUrl}/account/reset/rst-123_abc`;
  const { message, email } = render('account-notice', {
    subject: 'Your password was changed',
    paragraphs: [
      'The password for your account was changed.',
      'If you did not change it, reset it now:',
      resetUrl,
    ],
  });
  assert.equal(email.subject, 'Your password was changed');
  assert.ok(email.text.includes(`If you did not change it, reset it now:\n\n${resetUrl}\n`));
  assert.ok(textLinks(email.text).includes(resetUrl));
  assert.ok(email.html.includes(`<a href="${resetUrl}"`));
  assert.ok(email.html.includes(`>${resetUrl}</a>`));
  assert.equal(message.push.url, resetUrl);
  assert.ok(message.sms.includes(resetUrl));
});

await test('SMS stays within two fragments, swapping typographic characters for GSM ones', () => {
  const message = composeMessage('case-status-changed', {
    ...facts,
    title: `“Broken” street light – won’t come on… ${'x'.repeat(200)}`,
    statusLabel: 'In progress',
    message: 'y'.repeat(400),
  });
  const size = smsSize(message.sms);
  assert.equal(size.encoding, 'gsm');
  assert.ok(size.fragments <= 2, message.sms);
  assert.ok(message.sms.startsWith('Update on your report SH-2026-00123 ("Broken" street light'));
  assert.ok(message.sms.includes(facts.caseUrl));
  assert.deepEqual(smsSize('€'), { encoding: 'gsm', units: 2, fragments: 1 });
  assert.equal(smsSize('😀').encoding, 'ucs2');
});

await test('every template is registered', () => {
  const names: TemplateName[] = [
    'case-received',
    'case-status-changed',
    'case-public-update',
    'case-closed',
    'case-ask-if-resolved',
    'booking-confirmed',
    'renewal-confirmed',
    'sign-in-link',
    'saved-form',
    'account-notice',
    'chat-transcript',
  ];
  assert.deepEqual(Object.keys(TEMPLATES).sort(), [...names].sort());
});

const require = createRequire(import.meta.url);

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Runs axe-core's WCAG 2.2 AA rules inside jsdom (no layout, so contrast is left to review). */
async function axeViolations(html: string): Promise<string[]> {
  const dom = new JSDOM(html, { runScripts: 'outside-only', pretendToBeVisual: true });
  try {
    dom.window.eval(await readFile(require.resolve('axe-core/axe.min.js'), 'utf8'));
    // JSON carries the answer out of jsdom's realm, whose arrays deepEqual would not accept.
    const violations = (await dom.window.eval(
      `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} } })
        .then((results) => JSON.stringify(results.violations.map((v) => v.id + ': ' + v.help)))`,
    )) as string;
    return JSON.parse(violations) as string[];
  } finally {
    dom.window.close();
  }
}

await test('a rendered case email has no axe-core violations', async () => {
  // Proof that axe really runs here: an image with no alt text is a violation.
  assert.deepEqual(
    await axeViolations('<!doctype html><html lang="en"><title>x</title><img src="x.png"></html>'),
    ['image-alt: Images must have alternative text'],
  );
  const message: Message = composeMessage('case-closed', caseExamples['case-closed'].data);
  const html = renderEmail(
    message,
    { ...branding, logoUrl: `${publicUrl}/logo.png` },
    unsubscribeUrl,
  ).html;
  assert.deepEqual(await axeViolations(html), []);
});

await test('a chat transcript lists who said what, with the reference and a link back', async () => {
  const { message, email } = render('chat-transcript', {
    ref: 'CHT-4F7K-92QX',
    caseUrl: `${publicUrl}/account/cases/CHT-4F7K-92QX`,
    lines: [
      { from: 'You', at: '2026-11-30T10:01:00Z', text: 'My bin was not emptied <b>again</b>' },
      { from: 'Ade Agent', at: '2026-11-30T10:02:00Z', text: 'Sorry, a crew will come tomorrow.' },
    ],
  });
  assert.equal(email.subject, 'Your conversation with us, CHT-4F7K-92QX');
  assert.match(email.text, /You: My bin was not emptied <b>again<\/b>/);
  assert.match(email.html, /You: My bin was not emptied &lt;b&gt;again&lt;\/b&gt;/);
  assert.match(email.text, /Ade Agent: Sorry, a crew will come tomorrow\./);
  assert.ok(message.sms.includes('CHT-4F7K-92QX'));
  assert.deepEqual(await axeViolations(email.html), []);
});
