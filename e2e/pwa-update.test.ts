/**
 * A new version of the Report It app, deployed while a resident is writing a report: the
 * new worker waits while the page is open, takes over when the app is next opened, and the
 * report being written is still there to send.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { Page } from 'playwright-core';
import { CaseService } from '../src/modules/cases/service.js';
import { councilFileWith } from '../test/council-file.js';
import { answerPothole } from './app-report.js';
import { photoWithGps } from './photos.js';
import { checkAccessibility, launchProfileContext, screenshot, startServer } from './harness.js';

const DESCRIPTION = 'The hole by the school gate is getting deeper.';

/** The app's caches on the phone: one per version. */
const shellCaches = (page: Page) =>
  page.evaluate(async () =>
    (await caches.keys()).filter((name) => name.startsWith('shire-shell-')),
  );

await test('a new version takes over without losing a report being written', async (t) => {
  const context = await launchProfileContext(t, { viewport: { width: 390, height: 844 } });
  let page = context.pages()[0] ?? (await context.newPage());
  let port = '';
  let firstVersion: string[] = [];

  await t.test('version 1: a report half written', async (t) => {
    const server = await startServer(t);
    port = new URL(server.baseUrl).port;
    await page.goto(`${server.baseUrl}/app/report`);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
      timeout: 30_000,
    });
    firstVersion = await shellCaches(page);
    assert.equal(firstVersion.length, 1);
    await page.locator('input[name="service_code"][value="report-a-pothole"]').check();
    await page.getByLabel('Describe the problem (optional)').fill(DESCRIPTION);
    // Kept on the phone as it is written.
    await page.waitForFunction(async (description) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open('shire-app');
        open.onsuccess = () => {
          resolve(open.result);
        };
        open.onerror = () => {
          reject(open.error ?? new Error('no database'));
        };
      });
      const drafts = await new Promise<{ fields: Record<string, unknown> }[]>((resolve) => {
        const all = db.transaction('drafts').objectStore('drafts').getAll();
        all.onsuccess = () => {
          resolve(all.result as { fields: Record<string, unknown> }[]);
        };
      });
      db.close();
      return drafts.some((d) => d.fields.description === description);
    }, DESCRIPTION);
  });

  await t.test('version 2, deployed at the same address', async (t) => {
    const server = await startServer(t, {
      PORT: port,
      // Another brand colour: new stylesheets, so a new version of the app.
      COUNCIL_CONFIG: councilFileWith(t, (council) => {
        council.brandColour = '#1d70b8';
      }),
    });
    // The browser looks for a new worker, as it does on its own when the app is used.
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      await registration?.update();
    });
    await page.waitForFunction(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      return registration?.waiting?.state === 'installed';
    });
    // The new version waits: the page being written in is left alone.
    assert.deepEqual(
      (await shellCaches(page)).filter((name) => firstVersion.includes(name)),
      firstVersion,
      'the version in use keeps its files',
    );
    assert.equal(
      await page.getByLabel('Describe the problem (optional)').inputValue(),
      DESCRIPTION,
    );

    // The resident closes the app and opens it again: the new version takes over, and the
    // old version's files are deleted.
    await page.close();
    page = await context.newPage();
    await page.goto(`${server.baseUrl}/app/report`);
    await page.waitForFunction(
      async (old) => {
        const names = (await caches.keys()).filter((name) => name.startsWith('shire-shell-'));
        return names.length === 1 && names[0] !== old;
      },
      firstVersion[0],
      { timeout: 30_000 },
    );
    await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated');
    // The old version may have answered that first page while the new one took over: the
    // next page is the new version's.
    await page.reload();
    // With the report as it was left.
    await page.waitForFunction(
      (description) =>
        document.querySelector<HTMLTextAreaElement>('textarea[name="description"]')?.value ===
        description,
      DESCRIPTION,
    );
    assert.ok(
      await page.locator('input[name="service_code"][value="report-a-pothole"]').isChecked(),
    );
    assert.equal(
      await page
        .locator('.app-header')
        .evaluate((header) => getComputedStyle(header).backgroundColor),
      'rgb(29, 112, 184)',
      'in the new version’s colours',
    );
    await checkAccessibility(page);
    await screenshot(page, 'app-new-version-draft');

    // And it can be finished and sent, with a photo that says where it was taken.
    await page.locator('#photos').setInputFiles({
      name: 'IMG_3001.jpg',
      mimeType: 'image/jpeg',
      buffer: await photoWithGps({ latitude: 51.42, longitude: -2.25 }),
    });
    await page.getByText('Where your photo was taken: 51.420000, -2.250000').waitFor();
    await answerPothole(page);
    await page.getByLabel('Email address').fill('new-version@example.org');
    await page.getByRole('button', { name: 'Send report' }).click();
    await page.getByRole('heading', { name: 'Report sent' }).waitFor({ timeout: 30_000 });
    const ref = (await page.locator('.app-report__outcome a').textContent()) ?? '';
    const sent = await new CaseService(server.database.db).getByRef(ref);
    assert.equal(sent?.data.description, DESCRIPTION, 'the report arrived as it was written');
    assert.deepEqual(sent.location, { lat: 51.42, lng: -2.25 }, 'where the photo was taken');
    assert.equal((sent.data.photos as unknown[]).length, 1);
  });
});
