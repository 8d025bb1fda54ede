/**
 * My Account as a new resident meets it, with JavaScript off and at 320 px: they reported a
 * pothole before having an account; from the header's "My account" they create one, confirm
 * their email address from the email a real SMTP server receives, choose a password, and find
 * the report in their account; the council posts an update, which is marked new until they
 * read it; they sign out and sign in again. Every page passes axe. With JavaScript on, the
 * password field's show/hide button works and the pages still pass axe.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { Page } from 'playwright-core';
import { CaseService } from '../src/modules/cases/service.js';
import { smtpServer } from '../test/smtp.js';
import { checkAccessibility, launchBrowser, screenshot, startServer } from './harness.js';

const RESIDENT = {
  name: 'Priya Shah',
  email: 'priya.shah@example.org',
  password: 'kettle orchard lighthouse',
};

await test('a new resident signs up, confirms their email and follows their report in My Account', async (t) => {
  const smtp = await smtpServer(t);
  const server = await startServer(t, { SMTP_URL: smtp.url });
  const browser = await launchBrowser(t, { javaScript: false });
  const page = await browser.newPage({ viewport: { width: 320, height: 800 } });
  browser.allowConsoleError(page, /status of 400/);
  const arrive = async (name: string, heading: string) => {
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), heading);
    await checkAccessibility(page);
    t.diagnostic(await screenshot(page, `account-${name}-320-nojs`));
  };

  // Before having an account, Priya reported a pothole with her email address.
  const cases = new CaseService(server.database.db);
  const pothole = await cases.openCase({
    serviceCode: 'report-a-pothole',
    refPrefix: 'PTH',
    kind: 'report',
    channel: 'web',
    title: 'Pothole outside 12 Mill Lane',
    contact: { name: RESIDENT.name, email: RESIDENT.email },
    actor: { type: 'resident', name: RESIDENT.name },
  });

  await page.goto(`${server.baseUrl}/`);
  await page.getByRole('link', { name: 'My account' }).click();
  await page.waitForURL(/\/account\/sign-in$/);
  await arrive('sign-in', 'Sign in to your account');
  await page.getByRole('link', { name: 'Create an account' }).click();

  await page.waitForURL(/\/account\/sign-up$/);
  await arrive('sign-up', 'Create an account');
  await page.getByRole('button', { name: 'Continue' }).click();
  await arrive('sign-up-errors', 'Create an account');
  const summary = page.getByRole('alert');
  assert.match(await summary.innerText(), /Enter your name[\s\S]*Enter your email address/);
  await summary.getByRole('link', { name: 'Enter your email address' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'email');
  await page.getByLabel('Your name').fill(RESIDENT.name);
  await page.getByLabel('Email address').fill(RESIDENT.email);
  await page.getByRole('button', { name: 'Continue' }).click();

  await page.waitForURL(/\/account\/check-email$/);
  await arrive('check-email', 'Check your email');
  assert.match(await page.locator('main').innerText(), new RegExp(RESIDENT.email));

  // The email arrives through the real SMTP server, sent by the outbox worker.
  const toPriya = () => smtp.messages.filter((m) => m.envelope.to.includes(RESIDENT.email));
  const deadline = Date.now() + 20_000;
  while (
    !toPriya().some((m) => m.subject === 'Confirm your email address') &&
    Date.now() < deadline
  )
    await new Promise((resolve) => setTimeout(resolve, 200));
  const confirm = toPriya().find((m) => m.subject === 'Confirm your email address');
  assert.ok(confirm, 'the confirmation email arrived');
  const link = new RegExp(`${server.baseUrl}/account/verify/[\\w-]{43}`).exec(confirm.text)?.[0];
  assert.ok(link, confirm.text);

  await page.goto(link);
  await arrive('create-password', 'Create a password');
  await page.getByLabel('Create a password', { exact: true }).fill('password1');
  await page.getByRole('button', { name: 'Create account' }).click();
  await arrive('create-password-error', 'Create a password');
  assert.match(
    await page.getByRole('alert').innerText(),
    /Enter a password that is harder to guess/,
  );
  await page.getByLabel('Create a password', { exact: true }).fill(RESIDENT.password);
  await page.getByRole('button', { name: 'Create account' }).click();

  // The report made before signing up is in the account.
  await page.waitForURL(/\/account$/);
  await arrive('dashboard', 'Your account');
  const main = page.locator('main');
  assert.match(await main.innerText(), /Your account has been created/);
  assert.match(await main.innerText(), new RegExp(pothole.ref));
  assert.match(await main.innerText(), /Reported/);

  // The council posts an update: it is marked new until Priya reads it.
  await cases.changeStatus(
    pothole.id,
    'action_scheduled',
    { type: 'staff', name: 'Highways officer' },
    { publicText: 'A repair crew will fill it on Thursday.' },
  );
  await page.reload();
  assert.match(await main.innerText(), /New update/);
  assert.match(await main.innerText(), /Action scheduled/);
  await page.getByRole('link', { name: pothole.title }).click();
  await page.waitForURL(new RegExp(`/account/cases/${pothole.ref}$`));
  await arrive('case', pothole.title);
  assert.match(await main.innerText(), /A repair crew will fill it on Thursday\./);
  await page.getByRole('link', { name: 'Back' }).click();
  await page.waitForURL(/\/account$/);
  assert.doesNotMatch(await main.innerText(), /New update/);

  // Filters are an ordinary form: they work without JavaScript.
  await page.getByLabel('Type').selectOption({ label: 'Applications' });
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/\/account\?kind=application/);
  await arrive('dashboard-filtered', 'Your account');
  assert.match(await main.innerText(), /None of your cases match these filters/);

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL(/\/account\/signed-out$/);
  await arrive('signed-out', 'You have signed out');

  await page.goto(`${server.baseUrl}/account/cases/${pothole.ref}`);
  await page.waitForURL(/\/account\/sign-in\?returnTo=/);
  await page.getByLabel('Email address').fill(RESIDENT.email);
  await page.getByLabel('Password', { exact: true }).fill('not my password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await arrive('sign-in-error', 'Sign in to your account');
  assert.match(
    await page.getByRole('alert').innerText(),
    /Enter a correct email address and password/,
  );
  await page.getByLabel('Password', { exact: true }).fill(RESIDENT.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(new RegExp(`/account/cases/${pothole.ref}$`), { waitUntil: 'load' });
  await arrive('case-after-sign-in', pothole.title);

  // The other ways in: a link by email and a forgotten password.
  for (const [path, heading] of [
    ['/account/sign-in/email', 'Sign in with an email link'],
    ['/account/password/forgot', 'Reset your password'],
  ] as const) {
    await page.goto(`${server.baseUrl}${path}`);
    await arrive(path.split('/').slice(2).join('-'), heading);
  }
  await page.goto(`${server.baseUrl}/account/verify/${'x'.repeat(43)}`);
  browser.allowConsoleError(page, /status of 404/);
  await arrive('link-gone', 'This link has expired or has already been used');
  browser.assertNoConsoleErrors(page);
});

await test('with JavaScript on, passwords can be shown, and the pages still pass axe', async (t) => {
  const server = await startServer(t);
  const browser = await launchBrowser(t);
  const page: Page = await browser.newPage({ viewport: { width: 320, height: 800 } });
  await page.goto(`${server.baseUrl}/account/sign-in`);
  await checkAccessibility(page);
  const password = page.getByLabel('Password', { exact: true });
  await password.fill('kettle orchard');
  assert.equal(await password.getAttribute('type'), 'password');
  await page.getByRole('button', { name: 'Show password' }).click();
  assert.equal(await password.getAttribute('type'), 'text');
  await checkAccessibility(page);
  t.diagnostic(await screenshot(page, 'account-sign-in-320-js'));
  for (const path of ['/account/sign-up', '/account/sign-in/email', '/account/password/forgot']) {
    await page.goto(`${server.baseUrl}${path}`);
    await checkAccessibility(page);
  }
  browser.assertNoConsoleErrors(page);
});
