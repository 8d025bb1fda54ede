// What the app's pages share: who is signed in on this phone, news from the worker, and
// the GOV.UK error summary drawn on the phone.
import { toCoordinates, type Coordinates } from '../report/coordinates.js';
import { DRAFTS_CHANGED, allDrafts, fetchToken, rememberSignIn, sendWaiting } from './outbox.js';

/**
 * Asks the server who is signed in and remembers it on the phone: for when there is no
 * connection, and for the worker, which shows the app's pages from the phone only when
 * nobody is signed in (its copies are nobody's).
 */
export async function rememberSignedIn(): Promise<boolean | undefined> {
  try {
    const { signedIn } = await fetchToken();
    await rememberSignIn(signedIn);
    return signedIn;
  } catch {
    return undefined;
  }
}

/**
 * Shows a "use my location" button where the phone can say where it is; a press finds the
 * point and hands it to `found`, or says in `status` why not and what to `instead`.
 */
export function enhanceLocateButton(
  button: HTMLButtonElement,
  status: HTMLElement,
  found: (point: Coordinates) => void,
  { instead, ...options }: PositionOptions & { instead: string },
): void {
  if (!('geolocation' in navigator)) return;
  const notFound = 'Your phone could not say where you are.';
  button.hidden = false;
  button.addEventListener('click', () => {
    status.textContent = 'Finding your location…';
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const point = toCoordinates(position.coords.latitude, position.coords.longitude);
        if (point) found(point);
        else status.textContent = notFound;
      },
      () => {
        status.textContent = `${notFound} ${instead}`;
      },
      { timeout: 20_000, ...options },
    );
  });
}

/** How often an open app page tries again while a report is waiting. */
const RETRY_MS = 10_000;

/**
 * Sends waiting reports now and whenever the connection may be back: the browser's
 * "online" event, the app coming back to the screen, and every few seconds while one is
 * waiting (phones report a signal that carries nothing, and Background Sync is not in
 * every browser). `changed` hears when any was sent or refused.
 */
export function keepSending(changed: () => void): void {
  let busy = false;
  const attempt = async () => {
    if (busy) return;
    busy = true;
    try {
      if (!(await allDrafts()).some((d) => d.status === 'waiting')) return;
      const results = await sendWaiting();
      if (results.some((r) => r.kind !== 'later')) changed();
    } finally {
      busy = false;
    }
  };
  const tryNow = () => void attempt();
  window.addEventListener('online', tryNow);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') tryNow();
  });
  setInterval(tryNow, RETRY_MS);
  tryNow();
}

export function whenDraftsChange(listener: () => void): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent) => {
    if ((event.data as { type?: string } | null)?.type === DRAFTS_CHANGED) listener();
  });
}

/** A GOV.UK error summary, each message linking to its input. */
export function errorSummary(
  errors: { field: string; message: string }[],
  idFor: (field: string) => string,
): HTMLElement {
  const summary = document.createElement('div');
  summary.className = 'govuk-error-summary';
  summary.tabIndex = -1;
  const alert = document.createElement('div');
  alert.setAttribute('role', 'alert');
  const title = document.createElement('h2');
  title.className = 'govuk-error-summary__title';
  title.textContent = 'There is a problem';
  const body = document.createElement('div');
  body.className = 'govuk-error-summary__body';
  const list = document.createElement('ul');
  list.className = 'govuk-list govuk-error-summary__list';
  for (const error of errors) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = `#${idFor(error.field)}`;
    link.textContent = error.message;
    item.append(link);
    list.append(item);
  }
  body.append(list);
  alert.append(title, body);
  summary.append(alert);
  return summary;
}
