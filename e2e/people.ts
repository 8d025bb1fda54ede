/**
 * People in the browser tests: residents signing up through the pages (with the confirmation
 * email from the test SMTP server) and council staff who then set up two-factor.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import type { StaffRole } from '../src/modules/backoffice/roles.js';
import type { Received, smtpServer } from '../test/smtp.js';
import { checkAccessibility, type RunningServer, type TestBrowser } from './harness.js';

export type Smtp = Awaited<ReturnType<typeof smtpServer>>;

export const PASSWORD = 'copper window harvest';

/** Polls until the SMTP server has received a message to `to` that `match` accepts. */
export async function waitForMail(
  smtp: Smtp,
  to: string,
  match: (mail: Received) => boolean,
  what: string,
): Promise<Received> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const mail = smtp.messages.find((m) => m.envelope.to.includes(to) && match(m));
    if (mail) return mail;
    if (Date.now() > deadline)
      assert.fail(
        `${what} never arrived; ${to} got: ${smtp.messages
          .filter((m) => m.envelope.to.includes(to))
          .map((m) => JSON.stringify(m.subject))
          .join(', ')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Signs up through the pages, with the confirmation link from the SMTP server. */
export async function signUp(
  page: Page,
  server: RunningServer,
  smtp: Smtp,
  name: string,
  email: string,
): Promise<void> {
  await page.goto(`${server.baseUrl}/account/sign-up`);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(/\/account\/check-email$/);
  const mail = await waitForMail(
    smtp,
    email,
    (m) => m.subject === 'Confirm your email address',
    'the confirmation email',
  );
  const link = new RegExp(`${server.baseUrl}/account/verify/[\\w-]{43}`).exec(mail.text)?.[0];
  assert.ok(link, mail.text);
  await page.goto(link);
  await page.getByLabel('Create a password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(/\/account$/);
}

/**
 * A member of staff as the back office gets one: signed up through the pages, given the role
 * (and team) in the database, sent to set up two-factor on their first back-office page, and
 * setting it up with a code from the secret shown on the page.
 */
export async function signedInStaff(
  t: TestContext,
  browser: TestBrowser,
  server: RunningServer,
  smtp: Smtp,
  who: { name: string; email: string; role: StaffRole; team: string | null },
  viewport = { width: 1280, height: 900 },
): Promise<Page> {
  const page = await browser.newPage({ viewport });
  browser.allowConsoleError(page, /status of 400/);
  await signUp(page, server, smtp, who.name, who.email);
  await server.database.db
    .updateTable('accounts')
    .set({ role: who.role, team: who.team })
    .where('email', '=', who.email)
    .executeTakeFirstOrThrow();
  await page.goto(`${server.baseUrl}/staff/cases`);
  await page.waitForURL(/\/account\/two-factor\/set-up$/);
  assert.match(await page.locator('main').innerText(), /Staff accounts must use two-factor/);
  await checkAccessibility(page);
  const secret = (await page.locator('#secret').innerText()).replace(/\s/g, '');
  const totp = new TOTP({ secret: Secret.fromBase32(secret) });
  await page.getByLabel(/code/i).first().fill(totp.generate());
  await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
  assert.match(await page.locator('main').innerText(), /recovery code/i);
  await checkAccessibility(page);
  t.diagnostic(`${who.role} ${who.email} has two-factor set up`);
  return page;
}
