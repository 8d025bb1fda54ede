// Notifications on this phone when a resident's reports are updated: offered after a
// report is sent, and turned on or off in the app's settings. Only for signed-in
// residents (updates are sent to an account's devices). A resident who does not take up
// the offer is not offered it the next time: never asked twice in a row, and never again
// once they say no.
import { fetchToken, signedInHere } from './outbox.js';

const OFFER_KEY = 'shire.app.pushOffer';
type OfferState = 'offered' | 'skipped' | 'declined';

function supported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

async function currentSubscription(): Promise<PushSubscription | null> {
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager.getSubscription();
}

async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': (await fetchToken()).token },
    body: JSON.stringify(body),
  });
}

/** Asks the browser, subscribes, and tells the council where to push. */
export async function turnOn(): Promise<boolean> {
  if ((await Notification.requestPermission()) !== 'granted') return false;
  const { publicKey } = (await (await fetch('/notifications/push/key')).json()) as {
    publicKey: string;
  };
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: fromBase64Url(publicKey),
  });
  const response = await postJson('/account/push-subscriptions', subscription.toJSON());
  if (!response.ok) {
    await subscription.unsubscribe();
    return false;
  }
  return true;
}

export async function turnOff(): Promise<void> {
  const subscription = await currentSubscription();
  if (!subscription) return;
  await postJson('/account/push-subscriptions/remove', { endpoint: subscription.endpoint });
  await subscription.unsubscribe();
}

/** The settings switch on the app's home page. */
export async function enhancePushSettings(container: HTMLElement): Promise<void> {
  const status = container.querySelector<HTMLElement>('[data-push-status]');
  const toggle = container.querySelector<HTMLButtonElement>('[data-push-toggle]');
  if (!supported() || !status || !toggle || !(await signedInHere())) return;
  const show = async () => {
    const on = (await currentSubscription()) !== null;
    status.textContent = on
      ? 'Notifications are on: this phone tells you when your reports are updated.'
      : 'Notifications are off. Turn them on to hear when your reports are updated.';
    toggle.textContent = on ? 'Turn off notifications' : 'Turn on notifications';
    toggle.dataset.on = String(on);
    container.hidden = false;
  };
  toggle.addEventListener('click', () => {
    const wasOn = toggle.dataset.on === 'true';
    void (wasOn ? turnOff() : turnOn())
      .catch(() => {
        status.textContent = 'That did not work. Check your connection and try again.';
      })
      .then(show);
  });
  void show();
}

/** After a report is sent: the offer, unless it was made last time or refused. */
export async function offerPush(panel: HTMLElement): Promise<void> {
  if (!supported() || Notification.permission !== 'default' || !(await signedInHere())) return;
  const last = localStorage.getItem(OFFER_KEY) as OfferState | null;
  if (last === 'declined') return;
  if (last === 'offered') {
    localStorage.setItem(OFFER_KEY, 'skipped');
    return;
  }
  localStorage.setItem(OFFER_KEY, 'offered');
  const text = document.createElement('p');
  text.className = 'govuk-body';
  text.textContent = 'Would you like this phone to tell you when your report is updated?';
  const group = document.createElement('div');
  group.className = 'govuk-button-group';
  const yes = document.createElement('button');
  yes.type = 'button';
  yes.className = 'govuk-button govuk-button--secondary';
  yes.textContent = 'Turn on notifications';
  const no = document.createElement('button');
  no.type = 'button';
  no.className = 'govuk-button govuk-button--secondary';
  no.textContent = 'No thanks';
  const done = (message: string) => {
    group.remove();
    text.textContent = message;
  };
  yes.addEventListener('click', () => {
    void turnOn()
      .then((on) => {
        done(
          on
            ? 'Notifications are on.'
            : 'Notifications are off. You can turn them on in the app’s settings.',
        );
      })
      .catch(() => {
        done('That did not work. You can turn notifications on in the app’s settings.');
      });
  });
  no.addEventListener('click', () => {
    localStorage.setItem(OFFER_KEY, 'declined');
    done('You can turn notifications on at any time in the app’s settings.');
  });
  group.append(yes, no);
  panel.append(text, group);
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
