// The app's report page, made to work with no signal. Everything the resident enters is
// kept on the phone as they go (so closing the app, or a new version of it taking over,
// loses nothing). "Send report" checks what can be checked on the phone, marks the draft
// waiting and sends it; with no connection it stays waiting and goes when one returns:
// the worker's Background Sync where the browser has it, else the next time the app opens.
import { downscalePhoto } from '../report/photo-files.js';
import { photoLocation } from '../report/photo-location.js';
import { formatCoordinate } from '../report/coordinates.js';
import {
  SYNC_TAG,
  allDrafts,
  getDraft,
  saveDraft,
  sendDraft,
  signedInHere,
  type Draft,
} from './outbox.js';
import {
  enhanceLocateButton,
  errorSummary,
  keepSending,
  rememberSignedIn,
  whenDraftsChange,
} from './shared.js';
import { offerPush } from './push.js';

const MAX_PHOTOS = 3;
/** Fields the page sends but the draft need not keep. */
const NOT_KEPT = new Set(['_csrf', 'draft', 'photos']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function enhanceReportForm(form: HTMLFormElement): void {
  const questions = form.querySelector<HTMLElement>('[data-questions]');
  const lat = form.querySelector<HTMLInputElement>('[data-lat]');
  const lng = form.querySelector<HTMLInputElement>('[data-lng]');
  const whereStatus = form.querySelector<HTMLElement>('[data-where-status]');
  const photoList = form.querySelector<HTMLElement>('[data-photo-list]');
  const photoStatus = form.querySelector<HTMLElement>('[data-photo-status]');
  const contact = form.querySelector<HTMLElement>('[data-contact]');
  const errorsBox = document.querySelector<HTMLElement>('[data-report-errors]');
  const outcome = document.querySelector<HTMLElement>('[data-report-outcome]');
  if (!questions || !lat || !lng || !whereStatus || !photoList || !contact || !outcome) return;

  let draft: Draft = freshDraft();
  /** The last draft sent from this page, whose progress the page shows. */
  let shownId: string | undefined;
  let saving: ReturnType<typeof setTimeout> | undefined;

  // ---- Who is reporting --------------------------------------------------------------
  // The worker's copy of this page is nobody's (it asks for contact details); a resident
  // signed in on this phone is not asked again.
  const showContact = (signedIn: boolean) => {
    contact.hidden = signedIn;
  };
  showContact(form.dataset.signedIn === 'yes');
  void signedInHere().then(async (remembered) => {
    if (remembered) showContact(true);
    const signedIn = await rememberSignedIn();
    if (signedIn !== undefined) showContact(signedIn);
  });

  // ---- The category's questions --------------------------------------------------------
  const showQuestions = (code: string) => {
    const template = form.querySelector<HTMLTemplateElement>(
      `template[data-questions-for="${CSS.escape(code)}"]`,
    );
    questions.replaceChildren(template ? template.content.cloneNode(true) : '');
  };
  form.addEventListener('change', (event) => {
    const target = event.target as HTMLInputElement;
    if (target.name === 'service_code') {
      showQuestions(target.value);
      fill(draft.fields, questions);
    }
  });

  // ---- Where ----------------------------------------------------------------------------
  const setPoint = (point: { lat: number; lng: number }, how: string) => {
    lat.value = formatCoordinate(point.lat);
    lng.value = formatCoordinate(point.lng);
    whereStatus.textContent = `${how}: ${lat.value}, ${lng.value}`;
    keep();
  };
  const place = form.querySelector<HTMLInputElement>('#place');
  // Typing a place means the resident wants that place, not the point found before.
  place?.addEventListener('input', () => {
    lat.value = '';
    lng.value = '';
    whereStatus.textContent = '';
  });
  const locate = form.querySelector<HTMLButtonElement>('[data-use-location]');
  if (locate)
    enhanceLocateButton(
      locate,
      whereStatus,
      (point) => {
        setPoint(point, 'Your location');
      },
      {
        instead: 'Type a postcode, street or place instead.',
        enableHighAccuracy: true,
        maximumAge: 60_000,
      },
    );

  // ---- Photos ---------------------------------------------------------------------------
  let previewUrls: string[] = [];
  const showPhotos = () => {
    for (const url of previewUrls) URL.revokeObjectURL(url);
    previewUrls = draft.photos.map((photo) => URL.createObjectURL(photo));
    photoList.replaceChildren(
      ...draft.photos.map((_photo, index) => {
        const item = document.createElement('li');
        item.className = 'report-photo-list__item';
        const image = document.createElement('img');
        image.src = previewUrls[index] ?? '';
        image.alt = `Photo ${String(index + 1)} of your report`;
        image.width = 160;
        image.className = 'report-photo-list__image';
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'govuk-button govuk-button--secondary govuk-!-margin-bottom-0';
        remove.innerHTML = `Remove<span class="govuk-visually-hidden"> photo ${String(index + 1)}</span>`;
        remove.addEventListener('click', () => {
          draft.photos = draft.photos.filter((_p, i) => i !== index);
          showPhotos();
          keep();
          if (photoStatus) photoStatus.textContent = `Photo ${String(index + 1)} removed.`;
        });
        item.append(image, remove);
        return item;
      }),
    );
  };
  for (const input of form.querySelectorAll<HTMLInputElement>('[data-app-photos]')) {
    input.addEventListener('change', () => {
      const chosen = [...(input.files ?? [])];
      // The draft holds the photos; the input is emptied so they are never sent twice.
      input.value = '';
      void addPhotos(chosen);
    });
  }
  const addPhotos = async (chosen: File[]) => {
    const room = MAX_PHOTOS - draft.photos.length;
    if (!photoStatus) return;
    if (room <= 0) {
      photoStatus.textContent = `You can add up to ${String(MAX_PHOTOS)} photos. Remove one to add another.`;
      return;
    }
    photoStatus.textContent = 'Getting your photos ready…';
    const kept = chosen.slice(0, room);
    for (const file of kept) {
      // The position goes when the photo is made smaller, so it is read first.
      if (!lat.value && !place?.value.trim()) {
        const point = await photoLocation(file).catch(() => null);
        if (point) setPoint(point, 'Where your photo was taken');
      }
      draft.photos = [...draft.photos, await downscalePhoto(file)];
    }
    showPhotos();
    keep();
    photoStatus.textContent =
      (chosen.length > kept.length
        ? `You can add up to ${String(MAX_PHOTOS)} photos, so we kept the first ${String(kept.length)}. `
        : '') +
      (draft.photos.length === 1
        ? '1 photo added.'
        : `${String(draft.photos.length)} photos added.`);
  };

  // ---- Keeping the draft ------------------------------------------------------------------
  /** Saves what is on the page, a moment after the resident stops typing. */
  function keep() {
    clearTimeout(saving);
    saving = setTimeout(() => {
      draft = { ...draft, status: 'editing', fields: readFields(form) };
      if (isEmpty(draft)) return;
      void saveDraft(draft);
    }, 300);
  }
  form.addEventListener('input', keep);
  form.addEventListener('change', keep);

  const load = (found: Draft) => {
    draft = found;
    const category = found.fields.service_code;
    if (typeof category === 'string') showQuestions(category);
    fill(found.fields, form);
    if (lat.value) whereStatus.textContent = `Your location: ${lat.value}, ${lng.value}`;
    showPhotos();
    if (found.status === 'refused') showErrors(found.errors ?? []);
  };

  // ---- Sending --------------------------------------------------------------------------
  const showErrors = (errors: { field: string; message: string }[]) => {
    if (!errorsBox) return;
    errorsBox.replaceChildren(
      errors.length ? errorSummary(errors, (field) => idFor(form, field)) : '',
    );
    errorsBox.querySelector<HTMLElement>('.govuk-error-summary')?.focus();
  };

  const showProgress = (shown: Draft) => {
    // News that changes nothing keeps the panel, and the push offer in it, as it is.
    if (shownId === shown.id && outcome.dataset.status === shown.status) return;
    shownId = shown.id;
    outcome.dataset.status = shown.status;
    const panel = document.createElement('div');
    panel.className = 'govuk-inset-text app-report__outcome';
    if (shown.status === 'sent' && shown.ref) {
      const heading = document.createElement('h2');
      heading.className = 'govuk-heading-m';
      heading.textContent = 'Report sent';
      const text = document.createElement('p');
      text.className = 'govuk-body';
      text.append('Your reference is ');
      const link = document.createElement('a');
      link.className = 'govuk-link';
      link.href = shown.url || `/reports/${shown.ref}`;
      link.textContent = shown.ref;
      text.append(link, '.');
      panel.append(heading, text);
      void offerPush(panel);
    } else if (shown.status === 'waiting') {
      const heading = document.createElement('h2');
      heading.className = 'govuk-heading-m';
      heading.textContent = 'Waiting to send';
      const text = document.createElement('p');
      text.className = 'govuk-body';
      text.textContent =
        'There is no connection at the moment. Your report is kept on this phone and will be sent when there is one. You can close the app.';
      panel.append(heading, text);
    }
    outcome.replaceChildren(panel);
  };

  /** Shows the latest news of the draft this page sent (from the worker, or a send here). */
  const refreshProgress = async () => {
    if (!shownId) return;
    const shown = await getDraft(shownId);
    if (!shown) return;
    if (shown.status === 'refused') {
      outcome.replaceChildren();
      delete outcome.dataset.status;
      load(shown);
    } else showProgress(shown);
  };

  const send = async (waiting: Draft) => {
    showProgress(waiting);
    const result = await sendDraft(waiting);
    if (result.kind === 'later') {
      // Background Sync sends it when the connection is back, even with the app closed.
      const registration =
        'serviceWorker' in navigator
          ? await navigator.serviceWorker.ready.catch(() => undefined)
          : undefined;
      const sync = (registration as { sync?: { register(tag: string): Promise<void> } } | undefined)
        ?.sync;
      await sync?.register(SYNC_TAG).catch(() => undefined);
    }
    await refreshProgress();
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(saving);
    const fields = readFields(form);
    const errors = check(fields, contact.hidden);
    showErrors(errors);
    if (errors.length) return;
    const waiting: Draft = {
      ...draft,
      fields,
      title: titleOf(form),
      status: 'waiting',
      errors: [],
    };
    void saveDraft(waiting).then(async () => {
      draft = freshDraft();
      form.reset();
      questions.replaceChildren();
      lat.value = '';
      lng.value = '';
      whereStatus.textContent = '';
      if (photoStatus) photoStatus.textContent = '';
      showPhotos();
      await send(waiting);
      outcome.scrollIntoView();
    });
  });

  keepSending(() => void refreshProgress());
  whenDraftsChange(() => void refreshProgress());

  // Carry on with the draft asked for (from the home page), or the one being made.
  const asked = new URLSearchParams(window.location.search).get('draft');
  void (async () => {
    const drafts = await allDrafts();
    const found = asked
      ? drafts.find((d) => d.id === asked)
      : drafts.find((d) => d.status === 'editing');
    if (found && found.status !== 'sent' && found.status !== 'waiting') load(found);
  })();
}

function freshDraft(): Draft {
  return {
    id: crypto.randomUUID(),
    status: 'editing',
    fields: {},
    photos: [],
    savedAt: Date.now(),
  };
}

function isEmpty(draft: Draft): boolean {
  return (
    draft.photos.length === 0 &&
    Object.values(draft.fields).every((v) => (Array.isArray(v) ? v.length === 0 : v.trim() === ''))
  );
}

/** The form's fields as the server reads them; a name given more than once is a list. */
function readFields(form: HTMLFormElement): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const [name, value] of new FormData(form)) {
    if (NOT_KEPT.has(name) || typeof value !== 'string') continue;
    const before = fields[name];
    fields[name] =
      before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return fields;
}

/** Puts kept values back into the inputs inside `within`. */
function fill(fields: Draft['fields'], within: ParentNode) {
  for (const element of within.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>(
    'input[name], textarea[name], select[name]',
  )) {
    if (NOT_KEPT.has(element.name) || element.type === 'file') continue;
    const kept = fields[element.name];
    if (kept === undefined) continue;
    const values = Array.isArray(kept) ? kept : [kept];
    if (
      element instanceof HTMLInputElement &&
      (element.type === 'radio' || element.type === 'checkbox')
    )
      element.checked = values.includes(element.value);
    else element.value = values[0] ?? '';
  }
}

/** What the phone can check before keeping a report to send: the server checks the rest. */
function check(fields: Draft['fields'], signedIn: boolean): { field: string; message: string }[] {
  const text = (name: string) => {
    const value = fields[name];
    return (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
  };
  const errors: { field: string; message: string }[] = [];
  if (!text('lat') && !text('address_string'))
    errors.push({
      field: 'address_string',
      message: 'Enter a postcode, street or place, or use your location',
    });
  if (!text('service_code'))
    errors.push({ field: 'service_code', message: 'Select what the problem is' });
  if (!signedIn) {
    if (!text('email')) errors.push({ field: 'email', message: 'Enter your email address' });
    else if (!EMAIL.test(text('email')))
      errors.push({
        field: 'email',
        message: 'Enter an email address in the correct format, like name@example.com',
      });
  }
  return errors;
}

/** "Pothole, High Street": what the resident chose and where, as they gave it. */
function titleOf(form: HTMLFormElement): string {
  const chosen = form.querySelector<HTMLInputElement>('input[name="service_code"]:checked');
  const label = chosen ? form.querySelector(`label[for="${CSS.escape(chosen.id)}"]`) : null;
  const category = label?.textContent.trim() ?? 'Report';
  const place = form.querySelector<HTMLInputElement>('#place')?.value.trim();
  return place ? `${category}, ${place}` : category;
}

/** The input a field's error links to; the server names questions `attribute[name]`. */
function idFor(form: HTMLFormElement, field: string): string {
  const name =
    /^attribute\[([^\]]+)\]/.exec(field)?.[1] ??
    (field === 'lat' || field === 'lng' ? 'address_string' : field);
  const named = form.querySelector<HTMLElement>(`[name="${CSS.escape(name)}"]`);
  return named?.id || name;
}
