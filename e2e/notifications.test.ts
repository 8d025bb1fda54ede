/**
 * What a resident does from a notification, in a real browser, at 320 px: in development the
 * email lands in the mailbox at /dev/mailbox; from it, the resident stops updates with the
 * link in the email and, when the report closes, answers the satisfaction question. Someone
 * whose email bounced is asked to check it when they sign in. axe runs on every page.
 */
import assert from 'node:assert/strict';
import test, { type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { CaseService } from '../src/modules/cases/service.js';
import {
  checkAccessibility,
  launchBrowser,
  screenshot,
  startServer,
  type RunningServer,
} from './harness.js';

const STAFF = { type: 'staff', id: 1, name: 'Highways officer' } as const;

/** Waits for the in-process worker to put an email with this subject in the mailbox, and opens it. */
async function openEmail(page: Page, server: RunningServer, subject: RegExp) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await page.goto(`${server.baseUrl}/dev/mailbox`);
    const link = page.getByRole('link', { name: subject }).first();
    if (await link.count()) {
      await checkAccessibility(page);
      await link.click();
      await checkAccessibility(page);
      return page.locator('main').innerText();
    }
    assert.ok(Date.now() < deadline, `no email matching ${String(subject)} arrived`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function journey(t: TestContext, javaScript: boolean) {
  const server = await startServer(t, { SHIRE_ENV: 'development' });
  const browser = await launchBrowser(t, { javaScript });
  const page = await browser.newPage({ viewport: { width: 320, height: 800 } });
  browser.allowConsoleError(page, /status of 400/);
  const mode = javaScript ? 'js' : 'nojs';
  const cases = new CaseService(server.database.db);
  const opened = await cases.openCase({
    serviceCode: 'report-a-pothole',
    refPrefix: 'PTH',
    kind: 'report',
    channel: 'web',
    title: 'Pothole on Mill Lane',
    contact: { name: 'Ada Lovelace', email: `ada.${mode}@example.org` },
    location: { lat: 51.42, lng: -2.2 },
    actor: { type: 'resident', name: 'Ada Lovelace' },
  });
  const neighbour = `neighbour.${mode}@example.org`;
  await cases.subscribe(opened.id, { email: neighbour });

  // The "received" email, read in the development mailbox.
  const received = await openEmail(
    page,
    server,
    new RegExp(`We received your report: ${opened.ref}`),
  );
  assert.match(received, new RegExp(`Your reference is ${opened.ref}`));
  assert.match(received, /List-Unsubscribe-Post/);

  // A status change reaches the neighbour too; they stop updates from the link in it.
  await cases.changeStatus(opened.id, 'investigating', STAFF, {
    publicText: 'An inspector will visit this week.',
  });
  await page.goto(`${server.baseUrl}/dev/mailbox`);
  const toNeighbour = page
    .getByRole('row')
    .filter({ hasText: neighbour })
    .getByRole('link', { name: /Update on your report/ });
  const deadline = Date.now() + 20_000;
  while (!(await toNeighbour.count())) {
    assert.ok(Date.now() < deadline, 'the update to the neighbour arrived');
    await new Promise((resolve) => setTimeout(resolve, 250));
    await page.reload();
  }
  await toNeighbour.click();
  const update = await page.locator('main').innerText();
  const unsubscribe = /http:\/\/\S+\/notifications\/unsubscribe\/[\w-]+/.exec(update)?.[0];
  assert.ok(unsubscribe, update);
  await page.goto(unsubscribe);
  await checkAccessibility(page);
  await page.getByRole('button', { name: 'Stop updates' }).click();
  await page.getByRole('heading', { name: 'Updates stopped' }).waitFor();
  await checkAccessibility(page);
  t.diagnostic(await screenshot(page, `notifications-unsubscribed-320-${mode}`));

  // Closing it asks the one satisfaction question.
  await cases.changeStatus(opened.id, 'fixed', STAFF, { publicText: 'Filled in today.' });
  const closed = await openEmail(page, server, new RegExp(`Your report ${opened.ref} is closed`));
  const survey = /http:\/\/\S+\/notifications\/survey\/[\w-]+/.exec(closed)?.[0];
  assert.ok(survey, closed);
  await page.goto(survey);
  await checkAccessibility(page);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('.govuk-error-summary').waitFor();
  await checkAccessibility(page);
  await page.getByRole('link', { name: 'Select how satisfied you are' }).click();
  await page.getByLabel('Satisfied', { exact: true }).check();
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('heading', { name: 'Thank you for your feedback' }).waitFor();
  await checkAccessibility(page);
  t.diagnostic(await screenshot(page, `notifications-survey-done-320-${mode}`));
  browser.assertNoConsoleErrors(page);
}

await test('from a notification: mailbox, unsubscribe, satisfaction question', async (t) => {
  await t.test('with JavaScript off', (t) => journey(t, false));
  await t.test('with JavaScript on', (t) => journey(t, true));
});
