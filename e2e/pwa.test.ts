/**
 * The Report It app in Chromium: the service worker takes charge of the page, Chromium
 * finds nothing stopping the site being installed, and with the connection gone a page
 * that cannot be fetched shows the offline page instead of the browser's error.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
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
