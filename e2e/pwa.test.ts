/**
 * The Report It app in Chromium: the service worker takes charge of the page, Chromium
 * finds nothing stopping the site being installed, and with the connection gone a page
 * that cannot be fetched shows the offline page instead of the browser's error.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import sharp from 'sharp';
import { CaseService } from '../src/modules/cases/service.js';
import { answerPothole } from './app-report.js';
import { checkAccessibility, launchProfileContext, screenshot, startServer } from './harness.js';

await test('the installable app, installed and then offline', async (t) => {
  const { baseUrl, config } = await startServer(t);
  // Chromium never installs from an incognito context, which is what launchBrowser gives.
  const context = await launchProfileContext(t, {
    viewport: { width: 390, height: 844 },
    // Chromium logs each request that fails for want of a connection, as offline they all do.
    allowConsoleErrors: [/net::ERR_INTERNET_DISCONNECTED/],
  });
  const page = context.pages()[0] ?? (await context.newPage());

  await page.goto(`${baseUrl}/`);
  // The worker claims the page it was registered from once it has stored the shell.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
    timeout: 30_000,
  });
  const scriptUrl = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
  assert.equal(scriptUrl, `${baseUrl}/sw.js`);

  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
    installabilityErrors: { errorId: string }[];
  };
  assert.deepEqual(installabilityErrors, [], 'Chromium can install the app');
  await cdp.detach();

  await context.setOffline(true);
  await page.goto(`${baseUrl}/help/contact`);
  assert.equal(
    await page.getByRole('heading', { level: 1 }).textContent(),
    'You are offline',
    'a page that cannot be fetched shows the offline page',
  );
  assert.equal(page.url(), `${baseUrl}/help/contact`, 'the address is kept, to try again');
  assert.ok(await page.getByRole('link', { name: config.council.contact.phone }).isVisible());
  // Styled from the phone's copy of the stylesheet: the header has the brand colour.
  const headerColour = await page
    .locator('.app-header')
    .evaluate((header) => getComputedStyle(header).backgroundColor);
  assert.notEqual(headerColour, 'rgba(0, 0, 0, 0)', 'the stylesheet came from the cache');
  await checkAccessibility(page);
  await screenshot(page, 'pwa-offline');

  await context.setOffline(false);
  await page.goto(`${baseUrl}/help/contact`);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Contact us');
});

/** A photo as a phone camera takes it: bigger than the app sends. */
function cameraPhoto(): Promise<Buffer> {
  return sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#6a5a45' } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

await test('a report made with no signal is kept on the phone and arrives once', async (t) => {
  const server = await startServer(t);
  const cases = new CaseService(server.database.db);
  const context = await launchProfileContext(t, {
    viewport: { width: 390, height: 844 },
    geolocation: { latitude: 51.4203, longitude: -2.2011 },
    permissions: ['geolocation'],
    // Chromium logs each request that fails for want of a connection.
    allowConsoleErrors: [/net::ERR_INTERNET_DISCONNECTED/],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${server.baseUrl}/app`);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
    timeout: 30_000,
  });
  await checkAccessibility(page);
  await screenshot(page, 'app-home');

  // No signal: the report page opens from the phone.
  await context.setOffline(true);
  await page.goto(`${server.baseUrl}/app/report`);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Report a problem');
  await page.getByRole('button', { name: 'Use my location' }).click();
  await page.getByText('Your location: 51.420300, -2.201100').waitFor();
  await answerPothole(page);
  await page.getByLabel('Describe the problem (optional)').fill('Deep hole by the bus stop.');
  await page.locator('#photos').setInputFiles({
    name: 'IMG_2041.jpg',
    mimeType: 'image/jpeg',
    buffer: await cameraPhoto(),
  });
  await page.getByRole('img', { name: 'Photo 1 of your report' }).waitFor();
  await page.getByLabel('Email address').fill('offline@example.org');
  await checkAccessibility(page);
  await page.getByRole('button', { name: 'Send report' }).click();
  await page.getByRole('heading', { name: 'Waiting to send' }).waitFor();
  await screenshot(page, 'app-waiting');
  const mine = async () =>
    (await cases.near({ lat: 51.4203, lng: -2.2011 }, 100, { kind: 'report', limit: 100 })).filter(
      (n) => n.case.contact.email === 'offline@example.org',
    );
  assert.equal((await mine()).length, 0, 'nothing reached the council with no signal');

  // The signal returns: the report goes, and the resident sees its reference.
  await context.setOffline(false);
  await page.getByRole('heading', { name: 'Report sent' }).waitFor({ timeout: 30_000 });
  const ref = (await page.locator('.app-report__outcome a').textContent()) ?? '';
  await checkAccessibility(page);
  await screenshot(page, 'app-sent');

  // Opening the app again sends nothing twice, and the phone lists the report as sent.
  await page.goto(`${server.baseUrl}/app`);
  await page.getByRole('link', { name: ref }).waitFor();
  const arrived = await mine();
  assert.equal(arrived.length, 1, 'the report arrived exactly once');
  const [report] = arrived;
  assert.equal(report?.case.ref, ref);
  const photos = (report.case.data as { photos: { width: number }[] }).photos;
  assert.equal(photos.length, 1, 'with its photo');
  assert.ok((photos[0]?.width ?? 0) <= 2048, 'made smaller on the phone');
});
