/**
 * Every signed-in My Account page in a real browser, with JavaScript off and on, at 320 px:
 * a resident who has signed up walks every page the account links to (profile, preferences,
 * email, password, two-factor, their data, deleting the account), sends each form empty to
 * see its errors, turns on two-factor with a code from the secret on the page, signs out and
 * in again with a code. axe runs on every page: zero violations.
 */
import assert from 'node:assert/strict';
import test, { type TestContext } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { smtpServer } from '../test/smtp.js';
import {
  checkAccessibility,
  launchBrowser,
  screenshot,
  startServer,
  type RunningServer,
} from './harness.js';

const PASSWORD = 'copper window harvest';

/** Signs up through the pages, with the confirmation link from the real SMTP server. */
async function signUp(
  page: Page,
  server: RunningServer,
  smtp: Awaited<ReturnType<typeof smtpServer>>,
  email: string,
) {
  await page.goto(`${server.baseUrl}/account/sign-up`);
  await page.getByLabel('Your name').fill('Dev Patel');
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(/\/account\/check-email$/);
  const deadline = Date.now() + 20_000;
  let link: string | undefined;
  while (!link && Date.now() < deadline) {
    const mail = smtp.messages.find((m) => m.envelope.to.includes(email));
    link = mail && new RegExp(`${server.baseUrl}/account/verify/[\\w-]{43}`).exec(mail.text)?.[0];
    if (!link) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(link, 'the confirmation email arrived');
  await page.goto(link);
  await page.getByLabel('Create a password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/account$/);
}

/** Same-site /account pages this page links to, that a GET may visit. */
async function accountLinks(page: Page, origin: string): Promise<string[]> {
  const hrefs = await page
    .locator('main a[href]')
    .evaluateAll((anchors) => anchors.map((a) => (a as HTMLAnchorElement).href));
  return hrefs.filter((href) => {
    const url = new URL(href);
    return (
      url.origin === origin &&
      url.pathname.startsWith('/account/') &&
      !url.pathname.endsWith('.json')
    );
  });
}

async function walk(t: TestContext, javaScript: boolean) {
  const smtp = await smtpServer(t);
  const server = await startServer(t, { SMTP_URL: smtp.url });
  const browser = await launchBrowser(t, { javaScript });
  const page = await browser.newPage({ viewport: { width: 320, height: 800 } });
  // Pages with errors answer 400, which Chromium logs for the document.
  browser.allowConsoleError(page, /status of 400/);
  const mode = javaScript ? 'js' : 'nojs';
  const email = `dev.${mode}@example.org`;
  await signUp(page, server, smtp, email);

  // Every account page the dashboard leads to, and the pages they lead to.
  const seen = new Set<string>();
  const queue = [`${server.baseUrl}/account`];
  while (queue.length > 0) {
    const url = queue.shift() as string;
    if (seen.has(url)) continue;
    seen.add(url);
    const response = await page.goto(url);
    assert.equal(response?.status(), 200, url);
    await checkAccessibility(page);
    for (const link of await accountLinks(page, server.baseUrl)) queue.push(link);
  }
  t.diagnostic(`${String(seen.size)} account pages checked (${mode})`);
  assert.ok(seen.size >= 8, [...seen].join(', '));

  // The forms, sent empty, show error summaries that pass axe too.
  for (const path of [
    '/account/profile/details',
    '/account/profile/email',
    '/account/profile/password',
  ]) {
    await page.goto(`${server.baseUrl}${path}`);
    for (const field of await page
      .locator(
        'main input[type=text], main input[type=email], main input[type=password], main input[type=tel]',
      )
      .all())
      await field.fill('');
    await page.locator('main form button[type=submit]').first().click();
    assert.ok(await page.locator('.govuk-error-summary').isVisible(), `${path} shows errors`);
    await checkAccessibility(page);
  }

  // Two-factor: set up with a code worked out from the secret shown as text.
  await page.goto(`${server.baseUrl}/account/two-factor/set-up`);
  const secret = (await page.locator('#secret').innerText()).replace(/\s/g, '');
  const totp = new TOTP({ secret: Secret.fromBase32(secret) });
  await page.getByLabel(/code/i).first().fill(totp.generate());
  await page.locator('main form button[type=submit]').first().click();
  await checkAccessibility(page);
  t.diagnostic(await screenshot(page, `account-two-factor-codes-320-${mode}`));
  assert.match(await page.locator('main').innerText(), /recovery code/i);

  // Sign out, and in again: the code is asked for.
  await page.goto(`${server.baseUrl}/account`);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.goto(`${server.baseUrl}/account/sign-in`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/account\/sign-in\/two-factor/);
  await checkAccessibility(page);
  // A fresh time step, so the code is not the one already used.
  await new Promise((resolve) => setTimeout(resolve, 30_000 - (Date.now() % 30_000) + 500));
  await page.getByLabel(/code/i).first().fill(totp.generate());
  await page.locator('main form button[type=submit]').first().click();
  await page.waitForURL(/\/account$/);
  await checkAccessibility(page);
  browser.assertNoConsoleErrors(page);
}

await test('every My Account page passes axe, with JavaScript off and on', async (t) => {
  await t.test('with JavaScript off', (t) => walk(t, false));
  await t.test('with JavaScript on', (t) => walk(t, true));
});
