/**
 * How fast is the home page next to the fastest Fastify can possibly serve the same bytes?
 *
 * Builds the real app (SQLite file, demo data, everything on) and a bare Fastify server
 * that answers with the home page's exact bytes, then loads each with autocannon in
 * alternating rounds and compares. Goal: the home page at ≥ 40 % of the bare route.
 *
 *   npm run bench                 10 s per run
 *   BENCH_SECONDS=3 npm run bench quicker, noisier
 *
 * Exits 0 whatever the ratio (it is a measurement), nonzero if a server errored or
 * any response was not a 2xx.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildApp, openDatabase } from '../src/app.js';
import { seedDemo } from '../src/demo.js';
import { loadConfig, type Config } from '../src/platform/config.js';
import { migrateToLatest } from '../src/platform/db/migrations/index.js';
import { createLogger } from '../src/platform/logger.js';
import { best, type Figures, hadFailures, measure, run, secondsFromEnv, table } from './lib.js';

const GOAL_PERCENT = 40;
const CONNECTIONS = 10;
const ROUNDS = 2;
const SECONDS = secondsFromEnv('BENCH_SECONDS', 10);
const WARMUP_SECONDS = Math.min(3, SECONDS);
/** Shared with the tests, so a bench after a test run does not rebuild the CSS and JavaScript. */
const ASSET_CACHE_DIR = path.resolve('.cache/assets');

/** The demo data, seeded the way `shire seed-demo` does it. */
async function seed(config: Config): Promise<void> {
  const database = openDatabase(config);
  try {
    await migrateToLatest(database);
    await seedDemo(database.db);
  } finally {
    await database.close();
  }
}

/** Counts errors a server handled, so the run can fail on them even if a response still looked fine. */
function countErrors(app: FastifyInstance, counter: { errors: number }): void {
  app.addHook('onError', (_request, _reply, _error, done) => {
    counter.errors++;
    done();
  });
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}/`;
}

async function main(): Promise<number> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shire-bench-'));
  const serverErrors = { errors: 0 };
  const servers: FastifyInstance[] = [];
  try {
    const config = loadConfig({
      SHIRE_ENV: 'test',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      IN_PROCESS_WORKER: 'false',
      RATE_LIMIT_PER_MINUTE: '1000000000',
    });
    await seed(config);

    const app = await buildApp(config, {
      logger: createLogger('silent'),
      assetCacheDir: ASSET_CACHE_DIR,
    });
    servers.push(app);
    countErrors(app, serverErrors);
    const homeUrl = await listen(app);

    const page = await fetch(homeUrl);
    const body = Buffer.from(await page.arrayBuffer());
    const contentType = page.headers.get('content-type');
    if (page.status !== 200 || !contentType)
      throw new Error(`GET / answered ${page.status} (${contentType ?? 'no content type'})`);

    const bare = Fastify({ logger: false });
    servers.push(bare);
    countErrors(bare, serverErrors);
    bare.get('/', (_request, reply) => reply.type(contentType).send(body));
    const bareUrl = await listen(bare);

    console.log(`Home page: ${body.length.toLocaleString('en-GB')} bytes of ${contentType}`);
    console.log(
      `Warming up (${WARMUP_SECONDS} s each), then ${ROUNDS} rounds of ${SECONDS} s per server, ${CONNECTIONS} connections…`,
    );
    await measure(bareUrl, WARMUP_SECONDS, CONNECTIONS);
    await measure(homeUrl, WARMUP_SECONDS, CONNECTIONS);

    const bareRuns: Figures[] = [];
    const homeRuns: Figures[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      bareRuns.push(await measure(bareUrl, SECONDS, CONNECTIONS));
      homeRuns.push(await measure(homeUrl, SECONDS, CONNECTIONS));
      const b = bareRuns.at(-1)?.requestsPerSecond ?? 0;
      const h = homeRuns.at(-1)?.requestsPerSecond ?? 0;
      console.log(`  round ${round}: bare ${Math.round(b)} req/s, home ${Math.round(h)} req/s`);
    }

    const bareBest = best(bareRuns);
    const homeBest = best(homeRuns);
    const percent =
      bareBest.requestsPerSecond > 0
        ? (100 * homeBest.requestsPerSecond) / bareBest.requestsPerSecond
        : 0;
    const verdict = percent >= GOAL_PERCENT ? 'PASS' : 'BELOW GOAL';
    const row = (name: string, f: Figures) => [
      name,
      Math.round(f.requestsPerSecond),
      f.p50,
      f.p99,
      body.length,
      f.wireBytesPerResponse,
    ];

    console.log();
    console.log(
      table([
        ['server (best of rounds)', 'req/s', 'p50 ms', 'p99 ms', 'body bytes', 'wire bytes/resp'],
        row('bare Fastify, same bytes', bareBest),
        row('Shire home page GET /', homeBest),
      ]),
    );
    console.log();
    console.log(
      `home / bare: ${percent.toFixed(1)} %   goal: home page ≥ ${GOAL_PERCENT} % of the bare route   ${verdict}`,
    );

    const all = [...bareRuns, ...homeRuns];
    const non2xx = all.reduce((n, f) => n + f.non2xx, 0);
    const connectionErrors = all.reduce((n, f) => n + f.errors + f.timeouts, 0);
    const failed = all.some(hadFailures) || serverErrors.errors > 0;
    if (failed)
      console.error(
        `FAILED: ${non2xx} non-2xx responses, ${connectionErrors} connection errors, ${serverErrors.errors} server errors`,
      );

    console.log(
      JSON.stringify({
        bench: 'home',
        seconds: SECONDS,
        connections: CONNECTIONS,
        rounds: ROUNDS,
        bodyBytes: body.length,
        bare: bareBest,
        home: homeBest,
        percent: Number(percent.toFixed(1)),
        goalPercent: GOAL_PERCENT,
        verdict,
        non2xx,
        connectionErrors,
        serverErrors: serverErrors.errors,
      }),
    );
    return failed ? 1 : 0;
  } finally {
    for (const server of servers) await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

run(main);
