/**
 * Every page a resident can reach, in a real browser, with JavaScript on and off: each one
 * loads (status < 400), has zero axe-core WCAG 2.2 AA violations and logs no console errors
 * (a script blocked by the CSP, a missing asset or an uncaught exception all show up there).
 */
import assert from 'node:assert/strict';
import test, { type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { surveyUrl, unsubscribeUrl } from '../src/modules/notifications/links.js';
import { DEMO_EMAIL } from '../src/demo.js';
import { newReference } from '../src/modules/cases/reference.js';
import {
  checkAccessibility,
  launchBrowser,
  screenshot,
  startServer,
  type RunningServer,
  type TestBrowser,
} from './harness.js';

/** Far more than the site has; a crawl that reaches it has found a link that makes new pages forever. */
const MAX_PAGES = 500;

interface CrawlResult {
  visited: string[];
  problems: string[];
}

/** Same-origin pages linked from this one, without fragments; assets, mailto: and tel: are not pages. */
async function pageLinks(page: Page, origin: string): Promise<string[]> {
  const hrefs = await page
    .locator('a[href]')
    .evaluateAll((anchors) => anchors.map((a) => (a as HTMLAnchorElement).href));
  const links: string[] = [];
  for (const href of hrefs) {
    const url = new URL(href);
    if (url.origin !== origin || url.pathname.startsWith('/assets/')) continue;
    url.hash = '';
    links.push(url.href);
  }
  return links;
}

/**
 * Breadth first from the entry points through every same-origin link not already in `seen`,
 * checking each page as it goes. Problems are collected rather than thrown, so one run reports
 * every broken page.
 */
async function crawl(
  browser: TestBrowser,
  baseUrl: string,
  entryPoints: string[],
  seen: Set<string>,
): Promise<CrawlResult> {
  const { origin } = new URL(baseUrl);
  const queue = entryPoints
    .map((entry) => new URL(entry, baseUrl).href)
    .filter((url) => !seen.has(url));
  for (const url of queue) seen.add(url);
  const visited: string[] = [];
  const problems: string[] = [];
  const page = await browser.newPage();

  for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
    if (visited.length >= MAX_PAGES) {
      problems.push(`stopped after ${MAX_PAGES} pages: some link keeps making new addresses`);
      break;
    }
    visited.push(url);
    try {
      const response = await page.goto(url);
      const status = response?.status() ?? 0;
      if (status >= 400 || status === 0) problems.push(`${url} answered ${status}`);
      // Feeds and other machine-readable links are checked by their own tests, not as pages.
      const type = (await response?.headerValue('content-type')) ?? '';
      if (status < 400 && !type.startsWith('text/html')) continue;
    } catch (err) {
      problems.push(`${url} did not load: ${(err as Error).message}`);
      continue;
    }
    try {
      await checkAccessibility(page);
    } catch (err) {
      problems.push((err as Error).message);
    }
    problems.push(...browser.takeErrors(page));
    // The layout's inline script (allowed by its CSP nonce) marks the body; it proves which mode we are testing.
    const enhanced = await page
      .locator('body')
      .evaluate((body) => body.classList.contains('govuk-frontend-supported'));
    if (enhanced !== browser.javaScript)
      problems.push(
        `${url}: <body> should${browser.javaScript ? '' : ' not'} have govuk-frontend-supported`,
      );
    for (const link of await pageLinks(page, origin)) {
      if (seen.has(link)) continue;
      seen.add(link);
      queue.push(link);
    }
  }
  return { visited, problems };
}

/** Pages nothing links to, because you need something from an email or letter to get there. */
async function unlinkedPages({ database, config }: RunningServer): Promise<string[]> {
  const cases = await database.db
    .selectFrom('cases')
    .select(['id', 'ref'])
    .where('contact_email', '=', DEMO_EMAIL)
    .orderBy('id')
    .execute();
  const subscription = await database.db
    .selectFrom('subscriptions')
    .select('id')
    .orderBy('id')
    .executeTakeFirst();
  assert.ok(cases.length > 0, 'the demo data has cases');
  // Links from emails: stop updates, and the satisfaction question.
  const settings = { publicUrl: config.publicUrl, secret: config.sessionSecret };
  const path = (url: string) => new URL(url).pathname;
  return [
    ...cases.map(({ ref }) => `/track/${ref}`),
    ...(subscription ? [path(unsubscribeUrl(settings, subscription.id))] : []),
    ...cases.slice(0, 1).map(({ id }) => path(surveyUrl(settings, id))),
  ];
}

/** The pages people land on when something is not there: they must be as accessible as the rest. */
async function checkNotFoundPages(
  t: TestContext,
  baseUrl: string,
  javaScript: boolean,
): Promise<void> {
  const browser = await launchBrowser(t, { javaScript });
  // Narrow, where a long reference in a message is most likely to push the page sideways.
  const page = await browser.newPage({ viewport: { width: 320, height: 640 } });
  // Chromium logs every 4xx document as a console error; here that is the point.
  browser.allowConsoleError(page, /status of 404/);
  for (const path of ['/no-such-page', `/track/${newReference('PTH')}`]) {
    const response = await page.goto(`${baseUrl}${path}`);
    assert.equal(response?.status(), 404, `${path} is not found`);
    await checkAccessibility(page);
    await assertNoHorizontalScroll(page);
  }
  browser.assertNoConsoleErrors(page);
}

async function checkSite(
  t: TestContext,
  server: RunningServer,
  javaScript: boolean,
): Promise<void> {
  const browser = await launchBrowser(t, { javaScript });
  const seen = new Set<string>();
  const fromHome = await crawl(browser, server.baseUrl, ['/'], seen);
  const fromReferences = await crawl(browser, server.baseUrl, await unlinkedPages(server), seen);
  const mode = `JavaScript ${javaScript ? 'on' : 'off'}`;
  t.diagnostic(
    `${mode}: crawled ${fromHome.visited.length} pages reachable from the home page and ` +
      `${fromReferences.visited.length} more from case references (progress pages, and the unsubscribe and satisfaction pages emails link to)`,
  );
  console.log(
    `${mode}: ${fromHome.visited.length} pages from home + ${fromReferences.visited.length} from references:`,
  );
  for (const url of [...fromHome.visited, ...fromReferences.visited])
    console.log(`  ${url.slice(server.baseUrl.length)}`);
  assert.ok(fromHome.visited.length > 1, 'the home page links to other pages');
  const problems = [...fromHome.problems, ...fromReferences.problems];
  assert.deepEqual(problems, [], `Problems found:\n${problems.join('\n')}`);
}

await test('every page works and passes axe, with JavaScript on and off', async (t) => {
  const server = await startServer(t);
  await t.test('with JavaScript on', (t) => checkSite(t, server, true));
  await t.test('with JavaScript off', (t) => checkSite(t, server, false));
  await t.test('not-found pages, JavaScript on', (t) =>
    checkNotFoundPages(t, server.baseUrl, true),
  );
  await t.test('not-found pages, JavaScript off', (t) =>
    checkNotFoundPages(t, server.baseUrl, false),
  );
});

await test('screenshots of the home page and a case progress page, narrow and wide', async (t) => {
  const server = await startServer(t);
  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  const report = await server.database.db
    .selectFrom('cases')
    .select('ref')
    .where('kind', '=', 'report')
    .where('contact_email', '=', DEMO_EMAIL)
    .orderBy('id')
    .executeTakeFirstOrThrow();
  for (const width of [320, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(`${server.baseUrl}/`);
    await assertNoHorizontalScroll(page);
    t.diagnostic(await screenshot(page, `home-${width}`));
    await page.goto(`${server.baseUrl}/track/${report.ref}`);
    await assertNoHorizontalScroll(page);
    t.diagnostic(await screenshot(page, `progress-${width}`));
  }
  browser.assertNoConsoleErrors(page);
});

/** At 320 px (WCAG 1.4.10 reflow) nothing should make the resident scroll sideways. */
async function assertNoHorizontalScroll(page: Page): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  assert.ok(
    scrollWidth <= clientWidth,
    `${page.url()} scrolls sideways: ${scrollWidth}px of content in ${clientWidth}px`,
  );
}
