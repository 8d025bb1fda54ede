/**
 * Report It's JavaScript in a real browser (src/web/report.ts): on the "where" page the map
 * (tiles from a local tile server, no network), a click or the keyboard choosing a point, the
 * phone's location, and a photo's GPS position all fill the latitude and longitude, which the
 * server then accepts; typing a place clears them again. On the details page a large photo is
 * scaled down before upload and previewed. A report's page shows its place on a map, and the
 * public list a map with a pin per report that opens a link to it. Every page passes axe, logs
 * no errors (a CSP violation is one), and weighs under 100 KB without its tiles. With
 * JavaScript off the maps take no space and nothing is added.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type TestContext } from 'node:test';
import type { BrowserContextOptions, Page } from 'playwright-core';
import sharp from 'sharp';
import {
  checkAccessibility,
  launchBrowser,
  screenshot,
  startServer,
  type RunningServer,
  type TestBrowser,
} from './harness.js';
import { photoWithGps } from './photos.js';

const CATEGORY = 'report-a-pothole';
/** In the north of the demo council, away from the roads other bodies look after. */
const HERE = { latitude: 51.41, longitude: -2.15 };
const PHOTO_TAKEN_AT = { latitude: 51.42, longitude: -2.25 };
/** Where the reports made for the map tests are: within the list's reach of WM1 1AA. */
const MARKET_STREET = { latitude: 51.4203, longitude: -2.2011 };
const LIST_PAGE = '/reports?place=WM1+1AA';
/** DESIGN.md §4: a report page weighs well under this, compressed, without photos and tiles. */
const PAGE_BUDGET_BYTES = 100 * 1024;

/** A tile server on a port of its own (another origin, as a real one is) that answers every tile with one grey PNG. */
async function startTileServer(
  t: TestContext,
): Promise<{ template: string; requests: () => number }> {
  const tile = await sharp({
    create: { width: 256, height: 256, channels: 3, background: '#d8d4cc' },
  })
    .png()
    .toBuffer();
  let requests = 0;
  const server = createServer((_request, response) => {
    requests++;
    response.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' });
    response.end(tile);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Runs before the browser closes (after hooks run in order): the browser's open
  // connections must be cut, or close() waits for them and the test never ends.
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { template: `http://127.0.0.1:${port}/{z}/{x}/{y}.png`, requests: () => requests };
}

/**
 * A big, detailed photo, as a modern phone takes: 4000×3000 and several megabytes. Noise made
 * small and blown up, because sharp takes seconds to make noise at full size.
 */
function largePhoto(): Promise<Buffer> {
  return sharp({
    create: {
      width: 400,
      height: 300,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .resize(4000, 3000, { kernel: 'nearest' })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A report made through the API, as the app makes them; its reference. */
async function makeReport(server: RunningServer): Promise<string> {
  const response = await fetch(`${server.baseUrl}/api/v1/reports`, {
    method: 'POST',
    body: new URLSearchParams({
      service_code: CATEGORY,
      lat: String(MARKET_STREET.latitude),
      lng: String(MARKET_STREET.longitude),
      email: 'map@example.org',
      'attribute[position]': 'road',
      'attribute[depth]': 'shallow',
      'attribute[width]': 'small',
      'attribute[dangerous]': 'no',
    }),
  });
  const body = await response.text();
  assert.equal(response.status, 201, body);
  return (JSON.parse(body) as { ref: string }).ref;
}

/** Waits for the map in `selector` to be made and to show at least one tile. */
async function mapReady(page: Page, selector: string): Promise<void> {
  await page.locator(`${selector}.leaflet-container`).waitFor();
  await page.locator(`${selector} img.leaflet-tile-loaded`).first().waitFor();
}

const latLng = (page: Page) =>
  Promise.all([page.locator('#lat').inputValue(), page.locator('#lng').inputValue()]);

const status = (page: Page) => page.locator('[data-report-status]');

async function openWherePage(
  browser: TestBrowser,
  server: RunningServer,
  options: BrowserContextOptions = {},
): Promise<Page> {
  const page = await browser.newPage(options);
  await page.goto(`${server.baseUrl}/report?category=${CATEGORY}`);
  if (browser.javaScript) {
    await page.locator('#report-map.leaflet-container').waitFor();
    await page.locator('#report-map img.leaflet-tile-loaded').first().waitFor();
  }
  return page;
}

/** Presses Continue and waits for the next page; the server re-renders /report/where only to show an error. */
async function continueFrom(page: Page): Promise<string> {
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/report'),
    page.getByRole('button', { name: 'Continue' }).click(),
  ]);
  await page.waitForLoadState();
  const errors = await page.locator('.govuk-error-summary').allInnerTexts();
  assert.deepEqual(errors, [], 'the server accepted what the page sent');
  return new URL(page.url()).pathname;
}

/**
 * Compressed bytes of the page and everything it loaded from our server, whether or not the
 * browser had them cached already (tiles come from elsewhere, so they are not counted).
 */
function pageWeight(page: Page, origin: string): Promise<number> {
  return page.evaluate((origin) => {
    const entries = [
      ...performance.getEntriesByType('navigation'),
      ...performance.getEntriesByType('resource'),
    ] as PerformanceResourceTiming[];
    return entries
      .filter((entry) => entry.name.startsWith(origin))
      .reduce((sum, entry) => sum + entry.encodedBodySize, 0);
  }, origin);
}

await test('Report It with JavaScript on', async (t) => {
  const tiles = await startTileServer(t);
  const server = await startServer(t, { MAP_TILES_URL: tiles.template });
  const browser = await launchBrowser(t);

  await t.test(
    'the map shows tiles, and a click or Enter chooses a point the server accepts',
    async () => {
      const page = await openWherePage(browser, server);
      assert.ok(tiles.requests() > 0, 'tiles came from the configured tile server');
      const map = page.getByRole('application', { name: 'Map: select where the problem is' });
      const box = await map.boundingBox();
      assert.ok(box && box.height >= 300, 'the map has room once it works');
      assert.ok(
        await page.getByRole('button', { name: 'Use my current location' }).isVisible(),
        'the location button is offered',
      );
      const weight = await pageWeight(page, server.baseUrl);
      t.diagnostic(`where page: ${(weight / 1024).toFixed(1)} KB without tiles`);
      assert.ok(weight < PAGE_BUDGET_BYTES, `the where page weighs ${weight} bytes`);
      await checkAccessibility(page);

      // The keyboard: focus the map, move it, and Enter chooses its middle.
      await map.focus();
      await page.keyboard.press('ArrowUp');
      assert.ok(
        await map.evaluate((element) => element.classList.contains('report-map--keyboard')),
        'a ring marks the middle of the map while the keyboard moves it',
      );
      await page.keyboard.press('Enter');
      const [keyLat, keyLng] = await latLng(page);
      assert.match(keyLat, /^-?\d+\.\d{6}$/, 'Enter on the map fills the latitude');
      assert.match(keyLng, /^-?\d+\.\d{6}$/, 'Enter on the map fills the longitude');

      // Typing a place means the resident wants to search: the map's point goes.
      await page.locator('#place').fill('High');
      assert.deepEqual(await latLng(page), ['', ''], 'typing a place clears the map’s point');
      assert.equal(await page.locator('.report-map__marker').count(), 0, 'and its marker');

      await map.click({ position: { x: box.width / 2 + 30, y: box.height / 2 - 20 } });
      const [lat, lng] = await latLng(page);
      assert.match(lat, /^51\.\d{6}$/);
      assert.match(lng, /^-2\.\d{6}$/);
      assert.equal(await page.locator('#place').inputValue(), '', 'the map clears the search box');
      assert.equal(await status(page).innerText(), 'Location chosen on the map. Select Continue.');
      assert.equal(
        await page.locator('.report-map__marker').count(),
        1,
        'a marker shows the point',
      );
      assert.equal(
        await page.locator('.report-map--keyboard').count(),
        0,
        'a click shows no keyboard ring',
      );
      await checkAccessibility(page);
      t.diagnostic(await screenshot(page, 'report-where-map'));

      const next = await continueFrom(page);
      assert.notEqual(next, '/report/where', 'the server moved on from the where page');
      browser.assertNoConsoleErrors(page);
    },
  );

  await t.test('"Use my current location" fills the point from the device', async () => {
    const page = await openWherePage(browser, server, { permissions: ['geolocation'] });
    await page.context().setGeolocation(HERE);
    await page.getByRole('button', { name: 'Use my current location' }).click();
    await status(page).getByText('We found your location.').waitFor();
    assert.deepEqual(await latLng(page), [HERE.latitude.toFixed(6), HERE.longitude.toFixed(6)]);
    await checkAccessibility(page);
    assert.equal(await continueFrom(page), '/report/details');
    browser.assertNoConsoleErrors(page);
  });

  await t.test('without permission, the resident is told to search instead', async () => {
    const page = await openWherePage(browser, server);
    await page.getByRole('button', { name: 'Use my current location' }).click();
    await status(page)
      .getByText('We could not find your location. Search for a street or postcode instead.')
      .waitFor();
    assert.deepEqual(await latLng(page), ['', '']);
    browser.assertNoConsoleErrors(page);
  });

  await t.test(
    'a photo’s GPS position fills the point, and the photo goes with the report',
    async () => {
      const page = await openWherePage(browser, server);
      await page.locator('#photo').setInputFiles({
        name: 'pothole.jpg',
        mimeType: 'image/jpeg',
        buffer: await photoWithGps(PHOTO_TAKEN_AT),
      });
      await status(page).getByText('We found where this photo was taken.').waitFor();
      const [lat, lng] = await latLng(page);
      assert.ok(Math.abs(Number(lat) - PHOTO_TAKEN_AT.latitude) < 1e-4, `latitude ${lat}`);
      assert.ok(Math.abs(Number(lng) - PHOTO_TAKEN_AT.longitude) < 1e-4, `longitude ${lng}`);
      await checkAccessibility(page);

      assert.equal(await continueFrom(page), '/report/details');
      assert.equal(
        await page.locator('.report-photo-list__item').count(),
        1,
        'the photo was added to the report',
      );
      browser.assertNoConsoleErrors(page);
    },
  );

  await t.test('a photo that does not say where it was taken is explained', async () => {
    const page = await openWherePage(browser, server);
    const plain = await sharp({
      create: { width: 320, height: 240, channels: 3, background: '#556677' },
    })
      .jpeg()
      .toBuffer();
    await page.locator('#photo').setInputFiles({
      name: 'plain.jpg',
      mimeType: 'image/jpeg',
      buffer: plain,
    });
    await status(page).getByText('This photo does not say where it was taken.').waitFor();
    assert.deepEqual(await latLng(page), ['', '']);
    browser.assertNoConsoleErrors(page);
  });

  await t.test('on the details page a large photo is scaled down and previewed', async () => {
    const page = await openWherePage(browser, server, { permissions: ['geolocation'] });
    await page.context().setGeolocation(HERE);
    await page.getByRole('button', { name: 'Use my current location' }).click();
    await status(page).getByText('We found your location.').waitFor();
    assert.equal(await continueFrom(page), '/report/details');
    await checkAccessibility(page);

    const original = await largePhoto();
    assert.ok(original.length > 2 * 1024 * 1024, 'the test photo is over 2 MB');
    await page.locator('#photos').setInputFiles({
      name: 'big.jpg',
      mimeType: 'image/jpeg',
      buffer: original,
    });
    const preview = page.getByRole('img', { name: 'Preview of photo 1: big.jpg' });
    await preview.waitFor();
    const chosen = await page.locator('#photos').evaluate(async (input: HTMLInputElement) => {
      const file = input.files?.[0];
      if (!file) return null;
      const bitmap = await createImageBitmap(file);
      return {
        count: input.files?.length,
        name: file.name,
        type: file.type,
        size: file.size,
        width: bitmap.width,
        height: bitmap.height,
      };
    });
    assert.ok(chosen, 'the input still holds a photo');
    assert.deepEqual(
      { count: chosen.count, name: chosen.name, type: chosen.type },
      { count: 1, name: 'big.jpg', type: 'image/jpeg' },
    );
    assert.deepEqual([chosen.width, chosen.height], [2048, 1536], 'scaled to 2048 px long');
    assert.ok(chosen.size < original.length / 2, `${chosen.size} bytes to upload`);
    assert.ok(
      await preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
      'the preview shows the photo',
    );
    assert.match(await page.locator('.report-photo-previews__caption').innerText(), /\d( KB| MB)$/);
    await page.getByText('1 photo ready to send.').waitFor();
    await checkAccessibility(page);
    t.diagnostic(await screenshot(page, 'report-details-photo'));

    // More than the page allows: the first ones are kept, and the resident is told.
    const small = await photoWithGps(PHOTO_TAKEN_AT);
    await page.locator('#photos').setInputFiles(
      ['a', 'b', 'c', 'd'].map((name) => ({
        name: `${name}.jpg`,
        mimeType: 'image/jpeg',
        buffer: small,
      })),
    );
    await page
      .getByText('You chose 4 photos. You can add up to 3, so we will send the first 3.')
      .waitFor();
    assert.equal(
      await page.locator('#photos').evaluate((i: HTMLInputElement) => i.files?.length),
      3,
    );
    assert.equal(await page.locator('.report-photo-previews__item').count(), 3);
    const weight = await pageWeight(page, server.baseUrl);
    t.diagnostic(`details page: ${(weight / 1024).toFixed(1)} KB without photos`);
    assert.ok(weight < PAGE_BUDGET_BYTES, `the details page weighs ${weight} bytes`);
    browser.assertNoConsoleErrors(page);
  });

  const ref = await makeReport(server);

  await t.test('a report’s page shows its place on a map', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.baseUrl}/reports/${ref}`);
    await mapReady(page, '#report-map');
    const map = page.getByRole('region', { name: 'Map showing where the problem is' });
    const box = await map.boundingBox();
    assert.ok(box && box.height >= 200, 'the map has room once it works');
    assert.equal(await map.locator('.report-map__marker').count(), 1, 'one marker, at the place');
    const marker = await map.locator('.report-map__marker').boundingBox();
    assert.ok(marker, 'the marker is drawn');
    const middle = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const markerMiddle = { x: marker.x + marker.width / 2, y: marker.y + marker.height / 2 };
    assert.ok(
      Math.abs(markerMiddle.x - middle.x) < 2 && Math.abs(markerMiddle.y - middle.y) < 2,
      'the marker is in the middle of the map',
    );
    assert.equal(
      await map.evaluate((element) => element.querySelectorAll('.leaflet-interactive').length),
      0,
      'nothing on the map can be chosen',
    );

    const weight = await pageWeight(page, server.baseUrl);
    t.diagnostic(`report page: ${(weight / 1024).toFixed(1)} KB without tiles`);
    assert.ok(weight < PAGE_BUDGET_BYTES, `the report page weighs ${weight} bytes`);
    await checkAccessibility(page);
    t.diagnostic(await screenshot(page, 'report-page-map'));
    browser.assertNoConsoleErrors(page);
  });

  await t.test('the public list shows its reports on a map, each linking to its page', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.baseUrl}${LIST_PAGE}`);
    await mapReady(page, '#reports-map');
    const map = page.getByRole('region', { name: 'Map of the reports listed below' });
    const refs = await page
      .locator('[data-report-list] > li')
      .evaluateAll((items: HTMLElement[]) => items.map((item) => item.dataset.ref ?? ''));
    assert.ok(refs.includes(ref), `the list shows ${ref}`);
    const pins = map.locator('.report-map__pin');
    assert.equal(await pins.count(), refs.length, 'a pin for each report in the list');
    const mapBox = await map.boundingBox();
    assert.ok(mapBox);
    for (const pinBox of await Promise.all((await pins.all()).map((pin) => pin.boundingBox())))
      assert.ok(
        pinBox &&
          pinBox.x >= mapBox.x &&
          pinBox.y >= mapBox.y &&
          pinBox.x + pinBox.width <= mapBox.x + mapBox.width &&
          pinBox.y + pinBox.height <= mapBox.y + mapBox.height,
        'the map shows every pin',
      );
    await checkAccessibility(page);

    // The pins are in the list's order. A click opens a popup with a link to the report.
    const pin = pins.nth(refs.indexOf(ref));
    await pin.click();
    const link = map.locator('.leaflet-popup a.govuk-link');
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), `/reports/${ref}`);
    assert.equal(await link.innerText(), await pin.getAttribute('title'), 'named as in the list');
    await checkAccessibility(page);
    t.diagnostic(await screenshot(page, 'report-list-map'));

    // The keyboard: Enter on a pin opens its popup and takes focus to the link; Escape closes
    // it and gives focus back to the pin.
    await page.keyboard.press('Escape');
    await link.waitFor({ state: 'detached' });
    const first = pins.first();
    await first.focus();
    await page.keyboard.press('Enter');
    await link.waitFor();
    assert.ok(
      await link.evaluate((element) => element === document.activeElement),
      'the link has focus',
    );
    assert.equal(await link.getAttribute('href'), `/reports/${refs[0] ?? ''}`);
    await page.keyboard.press('Escape');
    await link.waitFor({ state: 'detached' });
    assert.ok(
      await first.evaluate((element) => element === document.activeElement),
      'the pin has focus again',
    );

    await pin.click();
    await Promise.all([page.waitForURL(`**/reports/${ref}`), link.click()]);
    // Its map's tiles arrive before the page closes, while the tile server still answers.
    await mapReady(page, '#report-map');
    browser.assertNoConsoleErrors(page);
    await page.close();
  });
});

await test('Report It with JavaScript off', async (t) => {
  const server = await startServer(t);
  const browser = await launchBrowser(t, { javaScript: false });
  const page = await openWherePage(browser, server);
  const box = await page.locator('#report-map').boundingBox();
  assert.equal(box?.height ?? 0, 0, 'the empty map element takes no space');
  assert.equal(await page.getByRole('button', { name: 'Use my current location' }).count(), 0);
  await checkAccessibility(page);
  browser.assertNoConsoleErrors(page);

  const ref = await makeReport(server);
  for (const [path, selector] of [
    [`/reports/${ref}`, '#report-map'],
    [LIST_PAGE, '#reports-map'],
  ] as const) {
    await page.goto(`${server.baseUrl}${path}`);
    const mapBox = await page.locator(selector).boundingBox();
    assert.equal(mapBox?.height ?? 0, 0, `the empty map on ${path} takes no space`);
    await checkAccessibility(page);
  }
  browser.assertNoConsoleErrors(page);
});
