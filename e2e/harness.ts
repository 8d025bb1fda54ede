/**
 * What every browser journey needs: the real app listening on a port with the demo council's
 * data, a real Chromium (Debian's, never a downloaded one), an axe-core check and screenshots.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';
import { buildApp, openDatabase, type AppDependencies } from '../src/app.js';
import { seedDemo } from '../src/demo.js';
import { loadConfig, type Config } from '../src/platform/config.js';
import type { Database } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrations/index.js';
import type { DB } from '../src/platform/db/types.js';
import { createLogger } from '../src/platform/logger.js';
import { ASSET_CACHE_DIR } from '../test/helper.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../screenshots/', import.meta.url));

export interface RunningServer {
  /** Where the app listens, e.g. http://127.0.0.1:41234 (no trailing slash). */
  baseUrl: string;
  app: FastifyInstance;
  config: Config;
  database: Database<DB>;
}

/**
 * The whole platform as residents get it from `shire start --demo`: a SQLite file in a fresh
 * data folder, the demo council's cases, the in-process outbox worker (with no SMTP_URL,
 * email goes to the database's mailbox), listening on 127.0.0.1. Everything is closed and deleted when the test ends.
 * `env` overrides any setting, e.g. `{ SMTP_URL: … }`.
 */
export async function startServer(
  t: TestContext,
  env: Record<string, string> = {},
  deps: Pick<AppDependencies, 'chatHoursClock' | 'pushAgent'> = {},
): Promise<RunningServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'shire-e2e-'));
  const running: { app?: FastifyInstance; database?: Database<DB> } = {};
  // One hook, so the order is right even if starting fails half way: stop serving, close the database, delete its folder.
  t.after(async () => {
    // Browsers first: a page left open would log every reconnection the closed server refuses.
    await closeBrowsersOf(t);
    await running.app?.close();
    await running.database?.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  // Links in emails use PUBLIC_URL, so it must name the port we will really listen on. A test
  // may name the port: a new version of the site at the same address, as a deploy would be.
  const port = env.PORT ? Number(env.PORT) : await freePort();
  // Maps need tiles; the real tile servers are out of reach, so a local one stands in.
  const tiles = env.MAP_TILES_URL ? undefined : await startBlankTileServer(t);
  const config = loadConfig({
    SHIRE_ENV: 'test',
    DATA_DIR: dataDir,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'silent',
    IN_PROCESS_WORKER: 'true',
    // A crawl asks for every page in a few seconds from one address; that is not abuse.
    RATE_LIMIT_PER_MINUTE: '100000',
    ...(tiles ? { MAP_TILES_URL: tiles } : {}),
    ...env,
  });
  const database = openDatabase(config);
  running.database = database;
  await migrateToLatest(database);
  // A fresh database has never been seeded.
  await seedDemo(database.db);
  const app = await buildApp(config, {
    ...deps,
    database,
    logger: createLogger(config.logLevel),
    assetCacheDir: ASSET_CACHE_DIR,
  });
  running.app = app;
  await app.listen({ host: '127.0.0.1', port });
  return { baseUrl: `http://127.0.0.1:${port}`, app, config, database };
}

/** A 1×1 grey PNG, served for every map tile. */
const BLANK_TILE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==',
  'base64',
);

/** A tile server on its own port (another origin, as a real one is); returns its URL template. */
async function startBlankTileServer(t: TestContext): Promise<string> {
  const server = createHttpServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'max-age=3600' });
    response.end(BLANK_TILE);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
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
  return `http://127.0.0.1:${String(port)}/{z}/{x}/{y}.png`;
}

/** A port nobody is listening on now; the app takes it a moment later. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

export interface BrowserOptions {
  /**
   * false gives a browser with JavaScript switched off, as some residents and networks have.
   * Default true. With it off, page.evaluate still runs code, but timers never fire, so
   * anything that awaits a setTimeout never returns.
   */
  javaScript?: boolean;
}

export interface TestBrowser {
  browser: Browser;
  /** Whether pages in this browser run JavaScript. */
  javaScript: boolean;
  /** A fresh context (own cookies, own session) with JavaScript on or off as the browser was launched. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a fresh context; its console errors and uncaught exceptions are recorded. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /**
   * Everything that went wrong on the page since the last call: console errors (CSP violations
   * and failed loads among them) and uncaught exceptions. Taken errors are not reported again.
   */
  takeErrors(page: Page): string[];
  /** Throws, listing them, if the page has logged a console error or thrown. */
  assertNoConsoleErrors(page: Page): void;
  /**
   * Stops recording console errors on this page that match, now and later. Chromium logs
   * "Failed to load resource: … status of 400" for every 4xx page, so a journey that means
   * to show an error page allows exactly that: `allowConsoleError(page, /status of 400/)`.
   */
  allowConsoleError(page: Page, pattern: RegExp): void;
}

/** The browsers a test launched, closed before its servers are (after hooks run in order). */
const browserClosers = new WeakMap<TestContext, (() => Promise<void>)[]>();
function closersOf(t: TestContext): (() => Promise<void>)[] {
  const closers = browserClosers.get(t) ?? [];
  browserClosers.set(t, closers);
  return closers;
}
async function closeBrowsersOf(t: TestContext): Promise<void> {
  await Promise.all(closersOf(t).map((close) => close()));
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Debian's Chromium with a profile on disk, for what it refuses in the incognito-like
 * contexts of launchBrowser: installing a web app ('in-incognito'). JavaScript is on. Its
 * pages' console errors (but those matching `allowConsoleErrors`) and uncaught exceptions
 * fail the test when it ends; the browser and its profile are deleted then.
 */
export async function launchProfileContext(
  t: TestContext,
  {
    allowConsoleErrors = [],
    ...options
  }: BrowserContextOptions & { allowConsoleErrors?: RegExp[] } = {},
): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `Browser tests need Chromium at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\``,
    );
  const profileDir = await mkdtemp(path.join(tmpdir(), 'shire-profile-'));
  const context = await chromium
    .launchPersistentContext(profileDir, {
      ...options,
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    })
    .catch(async (error: unknown) => {
      await rm(profileDir, { recursive: true, force: true });
      throw error;
    });
  const errors: string[] = [];
  closersOf(t).push(() => context.close());
  t.after(async () => {
    await context.close();
    await rm(profileDir, { recursive: true, force: true });
    if (errors.length)
      throw new Error(`The browser reported ${errors.length} error(s):\n  ${errors.join('\n  ')}`);
  });
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      if (!allowConsoleErrors.some((pattern) => pattern.test(message.text())))
        errors.push(`${page.url()}: console error: ${message.text()}`);
    });
    page.on('pageerror', (error) =>
      errors.push(`${page.url()}: uncaught ${error.name}: ${error.message}`),
    );
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return context;
}

/**
 * Debian's Chromium, headless. Each page's console errors and uncaught exceptions are recorded;
 * a test can check them at any point with assertNoConsoleErrors, and any it never checked fail
 * the test when it ends.
 */
export async function launchBrowser(
  t: TestContext,
  { javaScript = true }: BrowserOptions = {},
): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `Browser tests need Chromium at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\``,
    );
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const errors = new Map<Page, string[]>();
  const allowed = new Map<Page, RegExp[]>();

  const newContext = async (options: BrowserContextOptions = {}) => {
    // The app's service worker is left out: it answers from the phone's copies, which these
    // tests would then count uncompressed (page weights), and launchProfileContext tests it.
    const context = await browser.newContext({
      javaScriptEnabled: javaScript,
      serviceWorkers: 'block',
      ...options,
    });
    context.on('page', (page) => {
      const list: string[] = [];
      errors.set(page, list);
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        const text = message.text();
        if (!allowed.get(page)?.some((pattern) => pattern.test(text)))
          list.push(`${page.url()}: console error: ${text}`);
      });
      page.on('pageerror', (error) =>
        list.push(`${page.url()}: uncaught ${error.name}: ${error.message}`),
      );
    });
    return context;
  };

  const takeErrors = (page: Page) => errors.get(page)?.splice(0) ?? [];
  const assertNoConsoleErrors = (page: Page) => {
    const list = takeErrors(page);
    if (list.length)
      throw new Error(`The browser reported ${list.length} error(s):\n  ${list.join('\n  ')}`);
  };

  const allowConsoleError = (page: Page, pattern: RegExp) => {
    allowed.set(page, [...(allowed.get(page) ?? []), pattern]);
    const list = errors.get(page) ?? [];
    const kept = list.filter((error) => !pattern.test(error));
    list.splice(0, list.length, ...kept);
  };

  closersOf(t).push(() => browser.close());
  t.after(async () => {
    await browser.close();
    const all = [...errors.values()].flat();
    if (all.length)
      throw new Error(`The browser reported ${all.length} error(s):\n  ${all.join('\n  ')}`);
  });

  return {
    browser,
    javaScript,
    newContext,
    newPage: async (options) => (await newContext(options)).newPage(),
    takeErrors,
    assertNoConsoleErrors,
    allowConsoleError,
  };
}

const require = createRequire(import.meta.url);
let axeSource: Promise<string> | undefined;

export interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** The WCAG 2.2 AA rules (DESIGN.md §4: zero axe-core violations on every page). */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Runs axe-core's WCAG 2.2 AA rules on the page as it is now and throws with a readable list
 * of violations, if any.
 *
 * How axe gets in: our pages send a strict CSP (script-src 'self' plus a per-response nonce),
 * so page.addScriptTag({ content }) would insert an inline script the browser refuses. A
 * context with bypassCSP would let it in, but would also hide the CSP from every other check
 * on the page (a missing nonce would go unnoticed). Code sent through the DevTools protocol
 * is not bound by the page's CSP, so axe is evaluated that way, and the page under test keeps
 * its real policy.
 *
 * With JavaScript off, timers never fire, yet promises do, and axe.run waits on zero-delay
 * timers between rules, so it would never finish. axe therefore runs in an isolated world (as
 * Playwright's own helpers do: same DOM and styles, separate globals) with a setTimeout that
 * runs zero-delay callbacks as microtasks and never fires axe's long watchdog ones (see
 * TIMERS). Being a separate world, neither axe nor that setTimeout touches the page's scripts.
 */
export async function checkAccessibility(page: Page): Promise<void> {
  // Very rarely axe.run never settles (its watchdog timers never fire in our world, see
  // TIMERS), which would hang the whole run: give it a minute, then once more in a new world.
  try {
    await runAxe(page);
  } catch (err) {
    if (!(err instanceof AxeTimeout)) throw err;
    await runAxe(page);
  }
}

class AxeTimeout extends Error {}

const AXE_TIMEOUT_MS = 60_000;

async function runAxe(page: Page): Promise<void> {
  axeSource ??= readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  const source = await axeSource;
  const cdp = await page.context().newCDPSession(page);
  try {
    const { frameTree } = await cdp.send('Page.getFrameTree');
    const { executionContextId: contextId } = await cdp.send('Page.createIsolatedWorld', {
      frameId: frameTree.frame.id,
      worldName: 'shire-axe',
    });
    await cdp.send('Runtime.evaluate', { expression: TIMERS, contextId });
    const loaded = await cdp.send('Runtime.evaluate', { expression: source, contextId });
    if (loaded.exceptionDetails)
      throw new Error(`axe-core did not load: ${loaded.exceptionDetails.text}`);
    const options = { runOnly: { type: 'tag', values: WCAG_TAGS }, resultTypes: ['violations'] };
    let timer: NodeJS.Timeout | undefined;
    const run = await Promise.race([
      cdp.send('Runtime.evaluate', {
        expression: `axe.run(document, ${JSON.stringify(options)}).then((results) => JSON.stringify(results.violations))`,
        contextId,
        awaitPromise: true,
        returnByValue: true,
      }),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new AxeTimeout(`axe-core did not finish on ${page.url()} within a minute`));
        }, AXE_TIMEOUT_MS);
      }),
    ]).finally(() => {
      clearTimeout(timer);
    });
    if (run.exceptionDetails || typeof run.result.value !== 'string')
      throw new Error(
        `axe-core failed on ${page.url()}: ${run.exceptionDetails?.exception?.description ?? 'no result'}`,
      );
    const violations = JSON.parse(run.result.value) as AxeViolation[];
    if (violations.length)
      throw new Error(
        `${page.url()} has accessibility problems:\n${describeViolations(violations)}`,
      );
  } finally {
    await cdp.detach();
  }
}

/** Timers for axe's isolated world that work with JavaScript switched off (see checkAccessibility). */
const TIMERS = `{
  let next = 1;
  const cancelled = new Set();
  globalThis.setTimeout = (callback, delay = 0, ...args) => {
    const id = next++;
    if (delay <= 1) queueMicrotask(() => { if (!cancelled.delete(id)) callback(...args); });
    return id;
  };
  globalThis.clearTimeout = (id) => { cancelled.add(id); };
}`;

/** One paragraph per broken rule: what it is, how to fix it, and the elements that break it. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => {
      const targets = v.nodes
        .map((node) => `    at ${node.target.map(String).join(' ')}`)
        .join('\n');
      return `  ${v.id} (${v.impact ?? 'unknown impact'}): ${v.help}\n    ${v.helpUrl}\n${targets}`;
    })
    .join('\n');
}

/** A full-page PNG at screenshots/<name>.png (the folder is gitignored); returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
