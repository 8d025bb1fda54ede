/**
 * Push in the Report It app: a signed-in resident sends a report, takes up the offer of
 * notifications, and when staff update the report the council's push goes through a push
 * service to the phone, whose worker shows it; a tap opens the report. A resident who does
 * not take up the offer is not asked twice in a row.
 *
 * Chromium subscribes through Google's push service, which is out of reach here, so the
 * phone's PushManager is given a subscription at a local push service instead (the one the
 * server-side tests use: it checks the VAPID signature and decrypts the message as a real
 * one does). What that service receives is handed to the phone's worker through the
 * DevTools protocol, as Chromium's push client would hand it.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { CaseService } from '../src/modules/cases/service.js';
import { fakePushService } from '../test/fake-push.js';
import { smtpServer } from '../test/smtp.js';
import { answerPothole } from './app-report.js';
import { checkAccessibility, launchProfileContext, screenshot, startServer } from './harness.js';
import { signUp, waitForMail } from './people.js';

/**
 * Runs in every page: PushManager subscribes at the local push service, and remembers it.
 * Plain JavaScript in a string: tsx would name the functions of a compiled one with a helper
 * the page does not have.
 */
const USE_LOCAL_PUSH_SERVICE = `(() => {
  const KEY = 'test.pushSubscription';
  const asSubscription = (json) => ({
    endpoint: json.endpoint,
    toJSON: () => json,
    unsubscribe: async () => {
      localStorage.removeItem(KEY);
      return true;
    },
  });
  PushManager.prototype.subscribe = async function (options) {
    const key = options && options.applicationServerKey;
    if (!(key instanceof Uint8Array)) throw new Error('Subscribe with the council VAPID key');
    const base64url = btoa(String.fromCharCode(...key))
      .replace(/\\+/g, '-')
      .replace(/\\//g, '_')
      .replace(/=+$/, '');
    const json = await window.subscribeAtLocalPushService(base64url);
    localStorage.setItem(KEY, JSON.stringify(json));
    return asSubscription(json);
  };
  PushManager.prototype.getSubscription = async function () {
    const kept = localStorage.getItem(KEY);
    return kept ? asSubscription(JSON.parse(kept)) : null;
  };
})();`;

await test('a push about a resident’s report reaches the phone and shows', async (t) => {
  const smtp = await smtpServer(t);
  const pushService = await fakePushService(t);
  const server = await startServer(t, { SMTP_URL: smtp.url }, { pushAgent: pushService.agent });
  const cases = new CaseService(server.database.db);
  const context = await launchProfileContext(t, {
    viewport: { width: 390, height: 844 },
    geolocation: { latitude: 51.4203, longitude: -2.2011 },
    permissions: ['geolocation'],
  });
  await context.exposeBinding('subscribeAtLocalPushService', (_source, key: string) =>
    pushService.subscription({ applicationServerKey: key }),
  );
  await context.addInitScript(USE_LOCAL_PUSH_SERVICE);
  const page = context.pages()[0] ?? (await context.newPage());
  // The app, installed before signing in: the phone knows nobody is signed in on it.
  await page.goto(`${server.baseUrl}/app`);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
    timeout: 30_000,
  });
  await page.getByText('to see the reports you have made').waitFor();
  await signUp(page, server, smtp, 'Priya Shah', 'priya@example.org');
  // The worker opens its copy of the app's home, which is nobody's; the page finds Priya
  // signed in and fetches her own.
  await page.goto(`${server.baseUrl}/app`);
  await page.getByText('Signed in as priya@example.org.').waitFor();
  await page.getByText('You have not reported anything yet.').waitFor();

  // A report from the app, signed in: no contact details asked.
  await page.goto(`${server.baseUrl}/app/report`);
  await page.getByRole('button', { name: 'Use my location' }).click();
  await page.getByText('Your location: 51.420300, -2.201100').waitFor();
  // Granting one permission refuses the rest: back to "not asked yet" for notifications.
  await context.clearPermissions();
  await answerPothole(page);
  await page.getByLabel('Email address').waitFor({ state: 'hidden' });
  await page.getByRole('button', { name: 'Send report' }).click();
  await page.getByRole('heading', { name: 'Report sent' }).waitFor({ timeout: 30_000 });
  const ref = (await page.locator('.app-report__outcome a').textContent()) ?? '';

  // The offer, taken up: the phone asks for permission, and the resident allows it.
  await page
    .getByText('Would you like this phone to tell you when your report is updated?')
    .waitFor();
  await checkAccessibility(page);
  await screenshot(page, 'app-push-offer');
  // Notifications go the way the resident asks when each is sent: the receipt has gone by
  // email before they are turned on.
  await waitForMail(
    smtp,
    'priya@example.org',
    (mail) => mail.subject === `We received your report: ${ref}`,
    'the receipt',
  );
  await context.grantPermissions(['notifications']);
  await page.getByRole('button', { name: 'Turn on notifications' }).click();
  await page.getByText('Notifications are on.').waitFor();
  await page.goto(`${server.baseUrl}/app`);
  await page.getByText('Notifications are on: this phone tells you').waitFor();
  await checkAccessibility(page);

  // Staff update the report: the council pushes to the phone's push service.
  const report = await cases.getByRef(ref);
  assert.ok(report, `case ${ref} exists`);
  await cases.updateForResident(
    report.id,
    { status: 'investigating', text: 'An inspector will look at it this week.' },
    { type: 'staff', id: 1, name: 'Highways officer' },
  );
  const deadline = Date.now() + 30_000;
  while (pushService.received.length === 0 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 200));
  const [push, ...more] = pushService.received;
  assert.ok(push, 'the push service received the update');
  assert.equal(more.length, 0, 'one push: the report itself was acknowledged by email');
  const message = push.payload as { title: string; body: string; url: string; tag: string };
  assert.equal(message.url, `${server.baseUrl}/reports/${ref}`);

  // The push service hands it to the phone's worker, which shows it.
  const cdp = await context.newCDPSession(page);
  const registrations = new Map<string, string>();
  cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => {
    for (const r of (event as { registrations: { registrationId: string; scopeURL: string }[] })
      .registrations)
      registrations.set(r.scopeURL, r.registrationId);
  });
  await cdp.send('ServiceWorker.enable');
  const scope = `${server.baseUrl}/`;
  while (!registrations.has(scope)) await new Promise((resolve) => setTimeout(resolve, 50));
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: server.baseUrl,
    registrationId: registrations.get(scope) ?? '',
    data: JSON.stringify(message),
  });
  const shown = await page.waitForFunction(async () => {
    const registration = await navigator.serviceWorker.ready;
    const notifications = await registration.getNotifications();
    return notifications.length > 0
      ? notifications.map((n) => ({
          title: n.title,
          body: n.body,
          tag: n.tag,
          data: n.data as unknown,
        }))
      : false;
  });
  assert.deepEqual(await shown.jsonValue(), [
    {
      title: message.title,
      body: message.body,
      tag: message.tag,
      // A tap opens this: the report's own page.
      data: { url: `${server.baseUrl}/reports/${ref}` },
    },
  ]);
  assert.match(message.body, /Pothole/, 'it says which report');
  await cdp.detach();

  // A tap: no protocol command clicks a notification, so the worker is handed the click
  // event itself, with the notification it showed. The app, open on its home, goes to the report.
  const [worker] = context.serviceWorkers();
  assert.ok(worker, 'the app’s worker is running');
  await worker.evaluate(`(async () => {
    const [notification] = await self.registration.getNotifications();
    self.dispatchEvent(new NotificationEvent('notificationclick', { notification }));
  })()`);
  await page.waitForURL(`${server.baseUrl}/reports/${ref}`);
  assert.match(await page.locator('main').innerText(), /Investigating/);
  await checkAccessibility(page);
});

await test('a resident who does not take up notifications is never asked twice in a row', async (t) => {
  const smtp = await smtpServer(t);
  const server = await startServer(t, { SMTP_URL: smtp.url });
  const context = await launchProfileContext(t, { viewport: { width: 390, height: 844 } });
  const page = context.pages()[0] ?? (await context.newPage());
  await signUp(page, server, smtp, 'Sam Okafor', 'sam@example.org');
  const offer = page.getByText(
    'Would you like this phone to tell you when your report is updated?',
  );

  /** Sends a pothole report from the app and says whether notifications were offered. */
  const report = async (): Promise<boolean> => {
    await page.goto(`${server.baseUrl}/app/report`);
    await page.getByLabel('Postcode, street or place').fill('Market Street, Westmoor');
    await answerPothole(page);
    await page.getByLabel('Email address').waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Send report' }).click();
    await page.getByRole('heading', { name: 'Report sent' }).waitFor({ timeout: 30_000 });
    // The offer is decided once the phone has read whether anyone is signed in on it.
    return offer.waitFor({ timeout: 2_000 }).then(
      () => true,
      () => false,
    );
  };

  assert.equal(await report(), true, 'offered after the first report');
  assert.equal(await report(), false, 'ignored: not asked the next time');
  assert.equal(await report(), true, 'asked again the time after');
  await checkAccessibility(page);
  await page.getByRole('button', { name: 'No thanks' }).click();
  await page.getByText('You can turn notifications on at any time').waitFor();
  assert.equal(await report(), false, 'after "No thanks", never again');
  assert.equal(await report(), false);
});
