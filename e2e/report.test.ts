/**
 * Report It as a new resident does it, with JavaScript off (every journey works without it):
 * from the pothole's start page, search a postcode, answer the pothole's questions with a
 * photo, give contact details, check what will be public, send; find the report on the public
 * list of reports near the place and on its own page with the photo; and receive the emails —
 * "we received it", then the update staff post — through a real SMTP server. Every page
 * passes axe and works at 320 px. The pages walked are counted for the note.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import sharp from 'sharp';
import { CaseService } from '../src/modules/cases/service.js';
import { smtpServer } from '../test/smtp.js';
import { checkAccessibility, launchBrowser, screenshot, startServer } from './harness.js';

const REFERENCE = /[A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{4}/;

await test('a new resident reports a pothole with a photo and follows it to the fix', async (t) => {
  const smtp = await smtpServer(t);
  const server = await startServer(t, { SMTP_URL: smtp.url });
  const browser = await launchBrowser(t, { javaScript: false });
  const page = await browser.newPage({ viewport: { width: 320, height: 800 } });
  const photo = await sharp({
    create: { width: 1600, height: 1200, channels: 3, background: '#5a5048' },
  })
    .jpeg()
    .toBuffer();

  const pages: string[] = [];
  const arrive = async (name: string) => {
    pages.push(name);
    await checkAccessibility(page);
    t.diagnostic(await screenshot(page, `report-${name}-320-nojs`));
  };

  await page.goto(`${server.baseUrl}/services/report-a-pothole`);
  await page.getByRole('button', { name: 'Start now' }).click();

  await page.waitForURL(/\/report\?category=report-a-pothole$/);
  assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Where is the problem?');
  await arrive('where');
  await page.getByLabel('Street name, place or postcode').fill('wm1 1aa');
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.waitForURL(/\/report\/details$/);
  await arrive('details');
  await page.getByRole('group', { name: 'Where is it?' }).getByLabel('In the road').check();
  await page.getByRole('group', { name: 'How deep is it?' }).getByLabel('4cm to 10cm').check();
  await page
    .getByRole('group', { name: 'How wide is it?' })
    .getByLabel('Between a dinner plate and a car tyre')
    .check();
  await page
    .getByRole('group', { name: /Is it causing a danger/ })
    .getByLabel('No', { exact: true })
    .check();
  await page.getByLabel('Describe the problem (optional)').fill('By the post box, near the kerb.');
  await page.getByLabel('Photos (optional)').setInputFiles({
    name: 'pothole.jpg',
    mimeType: 'image/jpeg',
    buffer: photo,
  });
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.waitForURL(/\/report\/contact$/);
  await arrive('contact');
  await page.getByLabel('Your name').fill('Priya Shah');
  await page.getByLabel('Email address').fill('priya@example.org');
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.waitForURL(/\/report\/check$/);
  await arrive('check');
  const preview = await page.locator('.govuk-inset-text').innerText();
  assert.match(preview, /that a resident reported it, but not your name/);
  assert.match(preview, /Nobody but council staff will see your email address/);
  // A person reads the check page before sending; a script that sends within seconds of
  // starting is taken for a bot (and asked to send again).
  await page.waitForTimeout(3000);
  await page.getByRole('button', { name: 'Send report' }).click();

  await page.waitForURL(/\/report\/confirmation$/);
  await arrive('confirmation');
  const ref = REFERENCE.exec(await page.locator('.govuk-panel').innerText())?.[0] ?? '';
  assert.match(ref, REFERENCE);
  t.diagnostic(
    `pages from start to confirmation for a resident who is not signed in: ${String(pages.length)} (${pages.join(', ')})`,
  );
  assert.ok(pages.length <= 5);

  // The report is on the public list of reports near the place, and on its own page.
  await page.goto(`${server.baseUrl}/reports?place=WM1+1AA`);
  await checkAccessibility(page);
  await page
    .getByRole('link', { name: /Pothole/ })
    .first()
    .click();
  await page.waitForURL(new RegExp(`/reports/${ref}$`));
  await checkAccessibility(page);
  t.diagnostic(await screenshot(page, 'report-page-320-nojs'));
  const reportPage = await page.locator('main').innerText();
  assert.match(reportPage, /By the post box/);
  assert.doesNotMatch(reportPage, /Priya|priya@example\.org/);
  const image = page.getByRole('img', { name: /Photo 1 of the pothole/ });
  assert.ok(await image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0));

  // Staff post an update (through the cases API, as the back office will); Priya is emailed.
  const cases = new CaseService(server.database.db);
  const found = await cases.getByRef(ref);
  assert.ok(found);
  await cases.changeStatus(
    found.id,
    'action_scheduled',
    { type: 'staff', name: 'Highways officer' },
    { publicText: 'A repair crew will fill it on Thursday.' },
  );
  // The demo council's own cases send their emails too: Priya's are the ones to her.
  const toPriya = () => smtp.messages.filter((m) => m.envelope.to.includes('priya@example.org'));
  const deadline = Date.now() + 20_000;
  while (toPriya().length < 2 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 200));
  const [received, update] = toPriya();
  assert.equal(received?.subject, `We received your report: ${ref}`);
  assert.equal(update?.subject, `Update on your report ${ref}: Action scheduled`);
  assert.match(update.text, /A repair crew will fill it on Thursday\./);
  assert.match(update.text, new RegExp(`/reports/${ref}`));
  assert.match(update.text, /Stop getting these emails: .*\/notifications\/unsubscribe\//);
  assert.match(update.html ?? '', /A repair crew will fill it on Thursday\./);
  browser.assertNoConsoleErrors(page);
});
