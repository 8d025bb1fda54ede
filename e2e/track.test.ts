/**
 * "Check progress" as a resident does it in a browser, with JavaScript on and off: a mistyped
 * reference gets a GOV.UK error summary that leads to the field; the reference typed the way
 * people type it (lower case, spaces) finds the case; and the keyboard's first stop is the
 * skip link, which takes it past the header.
 */
import assert from 'node:assert/strict';
import test, { type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { DEMO_EMAIL } from '../src/demo.js';
import { isCaseKind, statusDefinition } from '../src/modules/cases/kinds.js';
import { REFERENCE_EXAMPLE } from '../src/modules/cases/reference.js';
import {
  checkAccessibility,
  launchBrowser,
  screenshot,
  startServer,
  type RunningServer,
} from './harness.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The reference with one character of its code changed, as a slip of the finger would; the check character catches it. */
function mistype(ref: string): string {
  const at = ref.indexOf('-') + 1;
  const original = ref.charAt(at);
  const slip = CROCKFORD[(CROCKFORD.indexOf(original) + 1) % CROCKFORD.length] ?? '0';
  return ref.slice(0, at) + slip + ref.slice(at + 1);
}

/** A demo report with public updates, and what its progress page should say. */
async function demoReport({ database }: RunningServer) {
  const found = await database.db
    .selectFrom('cases')
    .select(['id', 'ref', 'kind', 'status'])
    .where('kind', '=', 'report')
    .where('contact_email', '=', DEMO_EMAIL)
    .orderBy('id')
    .executeTakeFirstOrThrow();
  const updates = await database.db
    .selectFrom('case_events')
    .select('body')
    .where('case_id', '=', found.id)
    .where('public', '=', 1)
    .orderBy('id')
    .execute();
  assert.ok(isCaseKind(found.kind));
  const statusLabel = statusDefinition(found.kind, found.status)?.label;
  assert.ok(statusLabel, `the demo report's status ${found.status} has a label`);
  const bodies = updates
    .map((update) => update.body)
    .filter((body): body is string => Boolean(body));
  assert.ok(bodies.length > 1, 'the demo report has public updates to show');
  return { ref: found.ref, statusLabel, updates: bodies };
}

const focusedElement = (page: Page) =>
  page.evaluate(() => {
    const active = document.activeElement;
    return {
      id: active?.id ?? '',
      tag: active?.tagName.toLowerCase() ?? '',
      classes: active?.className ?? '',
      text: active?.textContent.trim() ?? '',
    };
  });

async function checkProgressJourney(
  t: TestContext,
  server: RunningServer,
  javaScript: boolean,
): Promise<void> {
  const report = await demoReport(server);
  const browser = await launchBrowser(t, { javaScript });
  const page = await browser.newPage({ viewport: { width: 320, height: 640 } });
  // The error page answers 400, which Chromium logs as a console error for the document.
  browser.allowConsoleError(page, /status of 400/);

  await page.goto(`${server.baseUrl}/track`);
  const field = page.getByLabel('What is your reference?');
  await field.fill(mistype(report.ref));
  await page.getByRole('button', { name: 'Check progress' }).click();
  await page.waitForURL(/\/track\?ref=/);

  const message = `Check the reference — it should look like ${REFERENCE_EXAMPLE}`;
  assert.match(
    await page.title(),
    /^Error: /,
    'the page title starts "Error:" so screen readers hear it first',
  );
  const summary = page.locator('.govuk-error-summary');
  assert.equal(await summary.getByRole('heading').innerText(), 'There is a problem');
  const summaryLink = summary.getByRole('link', { name: message });
  assert.equal(await summaryLink.getAttribute('href'), '#ref');
  assert.match(await page.locator('#ref-error').innerText(), new RegExp(message));
  assert.match(
    (await field.getAttribute('aria-describedby')) ?? '',
    /\bref-error\b/,
    'the field is described by its error',
  );
  assert.equal(await field.inputValue(), mistype(report.ref), 'what the resident typed is kept');
  if (javaScript) {
    // govuk-frontend moves focus to the summary, so it is read out straight away.
    assert.match(
      (await focusedElement(page)).classes,
      /govuk-error-summary/,
      'the error summary has focus',
    );
  }
  await checkAccessibility(page);
  t.diagnostic(await screenshot(page, `track-error-320${javaScript ? '' : '-nojs'}`));

  await summaryLink.click();
  assert.equal(
    (await focusedElement(page)).id,
    'ref',
    'the error link puts the cursor in the field',
  );

  // Typed as people type it: lower case, spaces for dashes; Enter submits.
  await field.fill(report.ref.toLowerCase().replace(/-/g, ' '));
  await field.press('Enter');
  // A report's progress is on its own public page, with its map and photos.
  await page.waitForURL(`${server.baseUrl}/reports/${report.ref}`);
  assert.equal(await page.locator('.govuk-caption-l').innerText(), report.ref);
  assert.equal(
    await page
      .locator('.govuk-summary-list__row', { hasText: 'Status' })
      .locator('.govuk-tag')
      .innerText(),
    report.statusLabel,
  );
  const updates = page.locator('.app-timeline');
  for (const update of report.updates)
    assert.ok(await updates.getByText(update).isVisible(), `the update "${update}" is shown`);
  await checkAccessibility(page);
  browser.assertNoConsoleErrors(page);
}

async function checkSkipLink(
  t: TestContext,
  server: RunningServer,
  javaScript: boolean,
): Promise<void> {
  const browser = await launchBrowser(t, { javaScript });
  const page = await browser.newPage();
  await page.goto(`${server.baseUrl}/track`);

  await page.keyboard.press('Tab');
  const first = await focusedElement(page);
  assert.match(
    first.classes,
    /govuk-skip-link/,
    `the first Tab reaches the skip link, not ${first.tag}.${first.classes}`,
  );
  assert.equal(first.text, 'Skip to main content');
  const box = await page.locator('.govuk-skip-link').boundingBox();
  assert.ok(box && box.width > 1 && box.height > 1, 'the skip link shows when it has focus');

  await page.keyboard.press('Enter');
  if (javaScript) {
    // govuk-frontend's SkipLink focuses <main> itself, so screen readers start reading there.
    assert.equal(
      (await focusedElement(page)).id,
      'main-content',
      'the skip link moves focus to the main content',
    );
  }
  // With or without JavaScript, the next Tab is inside the main content, past the header's links.
  await page.keyboard.press('Tab');
  const next = await focusedElement(page);
  assert.equal(
    next.id,
    'ref',
    `after the skip link, Tab reaches the reference field, not ${next.tag}#${next.id}`,
  );
  browser.assertNoConsoleErrors(page);
}

await test('Check progress in the browser', async (t) => {
  const server = await startServer(t);
  for (const javaScript of [true, false]) {
    const mode = javaScript ? 'JavaScript on' : 'JavaScript off';
    await t.test(
      `a mistyped reference is explained, then the right one finds the case (${mode})`,
      (t) => checkProgressJourney(t, server, javaScript),
    );
    await t.test(
      `the first Tab reaches the skip link, which jumps to the main content (${mode})`,
      (t) => checkSkipLink(t, server, javaScript),
    );
  }
});
