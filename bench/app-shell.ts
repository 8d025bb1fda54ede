/**
 * Is the Report It app fast on a cheap phone?
 *
 * 1. The shell's weight: every script and stylesheet the service worker keeps, and the
 *    worker itself, as the server sends them compressed. Goal: under 150 KB together.
 * 2. A repeat visit: the time to first contentful paint of the app's pages in Chromium with
 *    the CPU slowed 4× (DevTools throttling, as for a cheap phone), once the worker has
 *    stored the shell, against the same page in a fresh browser with nothing stored: the
 *    bare baseline, run in the same process, in alternating rounds. Twice: on this
 *    machine's own network, where fetching costs next to nothing, and on DevTools' "Slow
 *    4G" (a phone on a weak signal), where what the phone keeps is what it need not fetch.
 *
 *   npm run bench                    10 rounds per page
 *   APP_SHELL_ROUNDS=30 npm run bench steadier medians
 *
 * Exits 0 whatever the figures (it is a measurement), nonzero if a page failed to load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { buildApp, openDatabase } from '../src/app.js';
import { seedDemo } from '../src/demo.js';
import { loadConfig } from '../src/platform/config.js';
import { migrateToLatest } from '../src/platform/db/migrations/index.js';
import { createLogger } from '../src/platform/logger.js';
import type { Shell } from '../src/web/sw.js';
import { countFromEnv, percentile, run, table } from './lib.js';

const GOAL_BYTES = 150_000;
const CPU_SLOWDOWN = 4;
const ROUNDS = countFromEnv('APP_SHELL_ROUNDS', 10);
const PAGES = ['/app', '/app/report'];
const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];
/** Shared with the tests, so a bench after a test run does not rebuild the CSS and JavaScript. */
const ASSET_CACHE_DIR = path.resolve('.cache/assets');

interface Transfer {
  url: string;
  bytes: number;
  encoding: string;
}

/** The body's size on the wire, as a browser that accepts Brotli and gzip receives it. */
function compressedSize(url: string): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { 'accept-encoding': 'br, gzip' } }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => {
        if (response.statusCode !== 200)
          reject(new Error(`GET ${url} answered ${String(response.statusCode)}`));
        else resolve({ url, bytes, encoding: response.headers['content-encoding'] ?? 'none' });
      });
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The shell list the server puts in front of the worker's code. */
function readShell(script: string): Shell {
  const json = /^self\.shireShell=(.*);\n/.exec(script)?.[1];
  if (!json) throw new Error('/sw.js does not start with its shell list');
  return JSON.parse(json) as Shell;
}

interface Network {
  name: string;
  /** DevTools' throttling: round-trip latency in ms and bytes a second; none for the machine's own. */
  conditions?: { latency: number; downloadThroughput: number; uploadThroughput: number };
}
const NETWORKS: Network[] = [
  { name: 'local' },
  {
    name: 'Slow 4G',
    // DevTools' preset of that name.
    conditions: {
      latency: 562.5,
      downloadThroughput: ((1.6 * 1024 * 1024) / 8) * 0.9,
      uploadThroughput: ((750 * 1024) / 8) * 0.9,
    },
  },
];

/**
 * Loads `url` in a new page of `context` with the CPU slowed and the network as given, and
 * gives its first contentful paint in ms. What the worker answers from the phone's cache
 * never reaches the (throttled) network, as on a real phone.
 */
async function firstPaint(context: BrowserContext, url: string, network: Network): Promise<number> {
  const page = await context.newPage();
  try {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
    if (network.conditions) {
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, ...network.conditions });
    }
    const response = await page.goto(url, { waitUntil: 'load' });
    if (!response?.ok()) throw new Error(`${url} answered ${String(response?.status())}`);
    const paint = await page.waitForFunction(
      () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
    );
    return (await paint.jsonValue()) ?? 0;
  } finally {
    await page.close();
  }
}

/** A browser context whose worker has stored the shell and controls the app's pages. */
async function installedApp(browser: Browser, origin: string): Promise<BrowserContext> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/app`);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
    timeout: 30_000,
  });
  await page.close();
  return context;
}

const ms = (value: number) => Math.round(value * 10) / 10;

async function main(): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shire-bench-'));
  const config = loadConfig({
    SHIRE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    IN_PROCESS_WORKER: 'false',
    RATE_LIMIT_PER_MINUTE: '1000000000',
  });
  const database = openDatabase(config);
  await migrateToLatest(database);
  await seedDemo(database.db);
  const app = await buildApp(config, {
    database,
    logger: createLogger('silent'),
    assetCacheDir: ASSET_CACHE_DIR,
  });
  let browser: Browser | undefined;
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const origin = `http://127.0.0.1:${String((app.server.address() as AddressInfo).port)}`;

    // ---- The shell's weight ----
    const script = await (await fetch(`${origin}/sw.js`)).text();
    const shell = readShell(script);
    const code = shell.urls.filter((url) => /\.(js|css)$/.test(url));
    const transfers = await Promise.all(
      [...code, '/sw.js'].map((url) => compressedSize(`${origin}${url}`)),
    );
    const total = transfers.reduce((sum, t) => sum + t.bytes, 0);
    const weightVerdict = total < GOAL_BYTES ? 'PASS' : 'OVER GOAL';
    console.log('The app shell: its scripts and stylesheets as sent, compressed');
    console.log(
      table([
        ['file', 'encoding', 'bytes'],
        ...transfers.map((t) => [t.url, t.encoding, t.bytes]),
        ['total', '', total],
      ]),
    );
    console.log(
      `shell: ${(total / 1000).toFixed(1)} KB   goal: < ${GOAL_BYTES / 1000} KB   ${weightVerdict}`,
    );
    console.log();

    // ---- First paint, repeat visit against uncached ----
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const installed = await installedApp(browser, origin);
    console.log(
      `First contentful paint at ${CPU_SLOWDOWN}× CPU slowdown, ${ROUNDS} rounds per page (after one warm-up)…`,
    );
    const rows: (string | number)[][] = [];
    const figures: Record<string, { uncached: number; repeat: number; ratio: number }> = {};
    for (const network of NETWORKS)
      for (const pagePath of PAGES) {
        const url = `${origin}${pagePath}`;
        const uncached: number[] = [];
        const repeat: number[] = [];
        for (let round = 0; round <= ROUNDS; round++) {
          // Nothing stored: a fresh context, and no worker to register on the way.
          const fresh = await browser.newContext({ serviceWorkers: 'block' });
          const cold = await firstPaint(fresh, url, network);
          await fresh.close();
          const warm = await firstPaint(installed, url, network);
          if (round === 0) continue;
          uncached.push(cold);
          repeat.push(warm);
        }
        uncached.sort((a, b) => a - b);
        repeat.sort((a, b) => a - b);
        const row = { uncached: percentile(uncached, 50), repeat: percentile(repeat, 50) };
        figures[`${network.name} ${pagePath}`] = { ...row, ratio: row.repeat / row.uncached };
        rows.push([
          network.name,
          pagePath,
          ms(row.uncached),
          ms(percentile(uncached, 90)),
          ms(row.repeat),
          ms(percentile(repeat, 90)),
          Math.round((100 * row.repeat) / row.uncached),
        ]);
      }
    console.log(
      table([
        [
          'network',
          'page',
          'uncached p50 ms',
          'p90 ms',
          'repeat p50 ms',
          'p90 ms',
          'repeat / uncached %',
        ],
        ...rows,
      ]),
    );
    console.log(
      JSON.stringify({
        bench: 'app-shell',
        shellBytes: total,
        goalBytes: GOAL_BYTES,
        weightVerdict,
        cpuSlowdown: CPU_SLOWDOWN,
        rounds: ROUNDS,
        firstContentfulPaint: figures,
      }),
    );
    return 0;
  } finally {
    await browser?.close();
    await app.close();
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

run(main);
