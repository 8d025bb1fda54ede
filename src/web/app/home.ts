// The app's home page: the reports this phone is keeping (waiting to send, sent, or
// needing a change), "use my location" for reports near me, and the notifications switch.
import { allDrafts, deleteDraft, type Draft } from './outbox.js';
import { enhancePushSettings } from './push.js';
import { enhanceLocateButton, keepSending, rememberSignedIn, whenDraftsChange } from './shared.js';

/** Set when the home page has been fetched again for a resident found to be signed in. */
const RELOADED_KEY = 'shire.app.reloadedSignedIn';
/** A sent report stays in the phone's list this long; My reports has it for good. */
const KEEP_SENT_MS = 14 * 24 * 60 * 60 * 1000;

export function enhanceHome(): void {
  const section = document.querySelector<HTMLElement>('[data-waiting-reports]');
  const list = section?.querySelector<HTMLElement>('[data-waiting-list]');
  if (section && list) {
    const show = async () => {
      const shown: Draft[] = [];
      for (const draft of await allDrafts()) {
        if (draft.status === 'sent' && draft.savedAt < Date.now() - KEEP_SENT_MS)
          await deleteDraft(draft.id);
        else if (draft.status !== 'editing') shown.push(draft);
      }
      list.replaceChildren(...shown.map(item));
      section.hidden = shown.length === 0;
    };
    void show();
    whenDraftsChange(() => void show());
    keepSending(() => void show());
  }

  const nearMe = document.querySelector<HTMLFormElement>('[data-near-me]');
  const locate = nearMe?.querySelector<HTMLButtonElement>('[data-near-me-locate]');
  const status = nearMe?.querySelector<HTMLElement>('[data-near-me-status]');
  if (locate && status)
    enhanceLocateButton(
      locate,
      status,
      (point) => {
        window.location.assign(
          `/reports?place=${encodeURIComponent(`${point.lat.toFixed(5)}, ${point.lng.toFixed(5)}`)}`,
        );
      },
      { instead: 'Type a postcode instead.', maximumAge: 5 * 60_000 },
    );

  const push = document.querySelector<HTMLElement>('[data-push-settings]');
  const renderedFor = document.querySelector<HTMLElement>('[data-app-home]')?.dataset.signedIn;
  void rememberSignedIn().then(async (signedIn) => {
    // The worker showed its copy, which is nobody's, before anyone had signed in here:
    // now it knows, the page comes from the council with this resident's own reports.
    // Once only: on a signal that comes and goes, the council's page may not come.
    if (signedIn && renderedFor === 'no' && !sessionStorage.getItem(RELOADED_KEY)) {
      sessionStorage.setItem(RELOADED_KEY, 'yes');
      window.location.reload();
    } else if (push) await enhancePushSettings(push);
  });
}

function item(draft: Draft): HTMLLIElement {
  const li = document.createElement('li');
  li.className = 'app-home__draft';
  const what = document.createElement('span');
  what.className = 'govuk-!-font-weight-bold';
  what.textContent = draft.title ?? 'Your report';
  li.append(what, ' – ');
  if (draft.status === 'sent' && draft.ref) {
    li.append('sent, reference ');
    const link = document.createElement('a');
    link.className = 'govuk-link';
    link.href = draft.url || `/reports/${draft.ref}`;
    link.textContent = draft.ref;
    li.append(link);
  } else if (draft.status === 'waiting') {
    const tag = document.createElement('strong');
    tag.className = 'govuk-tag govuk-tag--yellow';
    tag.textContent = 'Waiting to send';
    li.append(tag);
  } else {
    li.append('not sent: it needs a change. ');
    const link = document.createElement('a');
    link.className = 'govuk-link';
    link.href = `/app/report?draft=${encodeURIComponent(draft.id)}`;
    link.textContent = 'Change and send it';
    li.append(link);
  }
  return li;
}
