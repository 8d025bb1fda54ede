/**
 * Does a queue of 10,000 cases open as fast as a queue of 10?
 *
 * Seeds QUEUE_ROWS cases (default 1,000,000) over every team in the catalogue on SQLite (a
 * file in a temporary folder) and on PostgreSQL (a fresh schema at DATABASE_URL, dropped
 * after; skipped without one): teams' sizes fall away geometrically, so the biggest has tens
 * of thousands of open cases and the smallest exactly SMALL_TEAM_OPEN; 70 % are closed, the
 * open ones due from 60 days ago to 60 days ahead. Then an officer of the biggest team signs
 * in through the real pages (password and two-factor code) and the real app serves the staff
 * queue GET /staff/cases to app.inject, one request at a time, round after round with the
 * home page of the same app and session as the baseline. Goal: every queue page's p99 ≤ 50 ms.
 * Each page's query is also EXPLAINed, to show which index it reads.
 *
 *   npm run bench                              1,000,000 cases
 *   QUEUE_ROWS=100000 npx tsx bench/queue.ts   quicker
 *   QUEUE_REQUESTS=100                         fewer requests per page (default 300)
 *
 * Exits 0 whatever the timings (they are a measurement), nonzero if a page did not answer as
 * it should or a page listed the wrong cases.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  CompiledQuery,
  sql,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { Secret, TOTP } from 'otpauth';
import { buildApp, createServices } from '../src/app.js';
import { hashPassword } from '../src/modules/account/passwords.js';
import { BackOffice, type QueueQuery } from '../src/modules/backoffice/service.js';
import type { Staff } from '../src/modules/backoffice/roles.js';
import { CASE_KINDS, isCaseKind, type StatusDefinition } from '../src/modules/cases/kinds.js';
import { CaseService } from '../src/modules/cases/service.js';
import { loadConfig, type Config } from '../src/platform/config.js';
import { seal } from '../src/platform/crypto.js';
import { Database, type Dialect } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrations/index.js';
import type { DB } from '../src/platform/db/types.js';
import { createLogger } from '../src/platform/logger.js';
import { ASSET_CACHE_DIR } from '../test/helper.js';
import { seededRandom } from '../test/random.js';
import { countFromEnv, percentile, run, table } from './lib.js';

const GOAL_P99_MS = 50;
const ROWS = countFromEnv('QUEUE_ROWS', 1_000_000);
const REQUESTS = countFromEnv('QUEUE_REQUESTS', 300);
/** A page slower than this stops being asked once it has MIN_SAMPLES, so one slow page cannot take hours. */
const PROBE_BUDGET_SECONDS = 20;
const MIN_SAMPLES = 50;
const WARMUP = 20;
const BATCH = 20_000;
const OPEN_SHARE = 0.3;
const DUE_SPREAD_DAYS = 60;
/** The smallest team gets exactly this many open cases (and some closed ones), whatever ROWS is. */
const SMALL_TEAM_OPEN = 10;
const SMALL_TEAM_CLOSED = 25;
/** Sizes fall by this much from the biggest team to the second smallest. */
const SIZE_RANGE = 2_000;
/** Each resident has about this many cases, so a search by email finds a handful. */
const CASES_PER_RESIDENT = 5;
const PAGE_SIZE = 50;
const TOTP_SECRET = 'JBSWY3DPEHPK3PXP';
const PASSWORD = 'quiet lantern meadow bench';

// ---- The cases ----------------------------------------------------------------------------

interface Team {
  name: string;
  /** The services the team owns: code, reference prefix, case kind. */
  services: { code: string; prefix: string; kind: string }[];
  rows: number;
  open: number;
}

/** Every team in the catalogue, biggest first, with how many cases each gets. */
function teamsOf(config: Config, rows: number): Team[] {
  const { catalogue, backOffice } = createServices(Database.sqlite<DB>(':memory:'), config);
  const byTeam = new Map<string, Team['services']>();
  for (const service of catalogue.services) {
    const kind =
      service.caseKind && isCaseKind(service.caseKind)
        ? service.caseKind
        : isCaseKind(service.kind)
          ? service.kind
          : 'request';
    const owned = { code: service.code, prefix: service.refPrefix, kind };
    for (const team of [service.team, ...Object.values(service.report?.teams ?? {})])
      byTeam.set(team, [...(byTeam.get(team) ?? []), owned]);
  }
  // A fixed order, so every run gives the same team the same size: Highways first.
  const names = backOffice.teams().sort((a, b) => {
    const rank = (n: string) => (n === 'Highways' ? 0 : n === 'Libraries' ? 2 : 1);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const small = SMALL_TEAM_OPEN + SMALL_TEAM_CLOSED;
  const ratio = SIZE_RANGE ** (-1 / Math.max(1, names.length - 2));
  const weights = names.slice(0, -1).map((_, i) => ratio ** i);
  const total = weights.reduce((a, b) => a + b, 0);
  let left = rows - small;
  const teams = names.map((name, i): Team => {
    const services = byTeam.get(name) ?? [];
    if (i === names.length - 1) return { name, services, rows: small, open: 0 };
    const count =
      i === names.length - 2 ? left : Math.round(((rows - small) * (weights[i] ?? 0)) / total);
    left -= count;
    return { name, services, rows: count, open: 0 };
  });
  return teams;
}

const STATUSES = Object.fromEntries(
  Object.entries(CASE_KINDS).map(([kind, definition]) => {
    const all = Object.entries(definition.statuses as Record<string, StatusDefinition>);
    return [
      kind,
      {
        open: all.filter(([, s]) => s.open311 === 'open').map(([name]) => name),
        closed: all.filter(([, s]) => s.open311 === 'closed').map(([name]) => name),
      },
    ];
  }),
);

const residentEmail = (n: number) => `resident${n}@example.org`;

/** Inserts the cases in large batches straight into the table: openCase would take hours. */
async function seed(db: Kysely<DB>, dialect: Dialect, teams: Team[], now: number): Promise<void> {
  const { next, pick } = seededRandom(1);
  const day = 86_400_000;
  const start = now - 3 * 365 * day;
  const residents = Math.max(1, Math.round(ROWS / CASES_PER_RESIDENT));
  // Every case, team by team, in an order shuffled by batch so no team's rows sit together.
  const owners: number[] = [];
  for (const [t, team] of teams.entries()) for (let i = 0; i < team.rows; i++) owners.push(t);
  for (let i = owners.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [owners[i], owners[j]] = [owners[j] as number, owners[i] as number];
  }
  const smallOpenLeft = { count: SMALL_TEAM_OPEN };
  const smallest = teams.length - 1;
  for (let first = 0; first < owners.length; first += BATCH) {
    const rows: (string | number | null)[][] = [];
    for (let i = first; i < Math.min(owners.length, first + BATCH); i++) {
      const t = owners[i] as number;
      const team = teams[t] as Team;
      const service = team.services.length
        ? pick(team.services)
        : { code: 'report-a-pothole', prefix: 'PTH', kind: 'report' };
      const open = t === smallest ? smallOpenLeft.count-- > 0 : next() < OPEN_SHARE;
      if (open) team.open++;
      const created = start + next() * (now - start - 61 * day);
      const due = open
        ? now + (next() * 2 - 1) * DUE_SPREAD_DAYS * day
        : created + next() * 60 * day;
      const closedAt = open ? null : new Date(Math.min(now, due + next() * 20 * day)).toISOString();
      const statuses = STATUSES[service.kind] ?? STATUSES.report;
      const n = i.toString(36).toUpperCase().padStart(8, '0');
      rows.push([
        `${service.prefix}-${n.slice(0, 4)}-${n.slice(4)}`,
        service.code,
        service.kind,
        pick((open ? statuses?.open : statuses?.closed) ?? ['open']),
        `Case ${i} for ${team.name}`,
        residentEmail(Math.floor(next() * residents)),
        team.name,
        // One in ten open cases has no due date: they sort last.
        open && next() < 0.1 ? null : new Date(due).toISOString(),
        new Date(created).toISOString(),
        closedAt ?? new Date(created).toISOString(),
        closedAt,
      ]);
    }
    const json = JSON.stringify(rows);
    const columns = sql`(ref, service_code, kind, status, channel, title, data, contact_email,
      team, due_at, created_at, updated_at, closed_at)`;
    await (dialect === 'sqlite'
      ? sql`insert into cases ${columns}
          select value->>0, value->>1, value->>2, value->>3, 'web', value->>4, '{}', value->>5,
            value->>6, value->>7, value->>8, value->>9, value->>10
          from json_each(${json})`.execute(db)
      : sql`insert into cases ${columns}
          select e->>0, e->>1, e->>2, e->>3, 'web', e->>4, '{}', e->>5, e->>6, e->>7, e->>8,
            e->>9, e->>10
          from json_array_elements(${json}::json) e`.execute(db));
  }
}

/** An officer of `team`, with a password and two-factor on, as if they had set both up. */
async function addOfficer(db: Kysely<DB>, config: Config, team: string): Promise<string> {
  const email = 'officer@bench.example.org';
  const at = new Date(Date.now() - 86_400_000).toISOString();
  await db
    .insertInto('accounts')
    .values({
      email,
      email_verified_at: at,
      email_bounced_at: null,
      name: 'Bench Officer',
      password_hash: await hashPassword(PASSWORD),
      role: 'officer',
      team,
      totp_secret: seal(config.sessionSecret, 'account-totp-secret', TOTP_SECRET),
      sessions_valid_after: at,
      last_signed_in_at: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  return email;
}

// ---- Signing in through the pages ---------------------------------------------------------

/** A browser of one: keeps the session cookie and the newest CSRF token. */
class Browser {
  cookie = '';
  csrf = '';
  constructor(private readonly app: FastifyInstance) {}

  async get(url: string) {
    const res = await this.app.inject({ method: 'GET', url, headers: this.headers() });
    this.remember(res.headers['set-cookie'], res.body);
    return res;
  }

  async post(url: string, fields: Record<string, string>) {
    const res = await this.app.inject({
      method: 'POST',
      url,
      payload: new URLSearchParams({ _csrf: this.csrf, ...fields }).toString(),
      headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
    });
    this.remember(res.headers['set-cookie'], res.body);
    return res;
  }

  headers(): Record<string, string> {
    return this.cookie ? { cookie: this.cookie } : {};
  }

  private remember(setCookie: string | string[] | undefined, body: string): void {
    const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    if (first) this.cookie = first.split(';')[0] ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
    if (csrf) this.csrf = csrf;
  }
}

async function signIn(app: FastifyInstance, email: string): Promise<Browser> {
  const browser = new Browser(app);
  await browser.get('/account/sign-in');
  const first = await browser.post('/account/sign-in', { email, password: PASSWORD });
  if (first.statusCode !== 303 || first.headers.location !== '/account/sign-in/two-factor')
    throw new Error(`sign-in answered ${first.statusCode} ${String(first.headers.location)}`);
  await browser.get('/account/sign-in/two-factor');
  const code = new TOTP({ secret: Secret.fromBase32(TOTP_SECRET) }).generate();
  const second = await browser.post('/account/sign-in/two-factor', { code });
  if (second.statusCode !== 303)
    throw new Error(`the two-factor step answered ${second.statusCode}: ${second.body}`);
  return browser;
}

// ---- The pages ----------------------------------------------------------------------------

interface Page {
  name: string;
  url: string;
  /** The same page as BackOffice.queue sees it, to EXPLAIN; none for the baselines. */
  query?: QueueQuery;
  /** How many cases the page must list, if known. */
  expectRows?: number;
}

function pages(teams: Team[], searchEmail: string, searchCount: number): Page[] {
  const big = teams[0] as Team;
  const small = teams.at(-1) as Team;
  const mid = teams
    .slice(1, -1)
    .reduce((a, b) =>
      Math.abs(Math.log(b.open / 10_000)) < Math.abs(Math.log(a.open / 10_000)) ? b : a,
    );
  const due = { sort: 'due' as const, status: 'open', page: 1 };
  const q = (team: string) => encodeURIComponent(team);
  return [
    { name: 'baseline: home page GET /', url: '/' },
    {
      name: `${big.name} (${big.open.toLocaleString('en-GB')} open), default`,
      url: '/staff/cases',
      query: { ...due, team: big.name },
      expectRows: Math.min(PAGE_SIZE, big.open),
    },
    {
      name: `${mid.name} (${mid.open.toLocaleString('en-GB')} open)`,
      url: `/staff/cases?team=${q(mid.name)}`,
      query: { ...due, team: mid.name },
      expectRows: Math.min(PAGE_SIZE, mid.open),
    },
    {
      name: `${small.name} (${small.open} open)`,
      url: `/staff/cases?team=${q(small.name)}`,
      query: { ...due, team: small.name },
      expectRows: Math.min(PAGE_SIZE, small.open),
    },
    {
      name: 'all teams',
      url: '/staff/cases?team=all',
      query: { ...due, team: undefined },
      expectRows: PAGE_SIZE,
    },
    {
      name: `${big.name}, overdue only`,
      url: '/staff/cases?overdue=yes',
      query: { ...due, team: big.name, overdue: true },
      expectRows: PAGE_SIZE,
    },
    {
      name: `${big.name}, page 20`,
      url: '/staff/cases?page=20',
      query: { ...due, team: big.name, page: 20 },
      expectRows: Math.max(0, Math.min(PAGE_SIZE, big.open - 19 * PAGE_SIZE)),
    },
    {
      name: `all teams, search by email (${searchCount} open)`,
      url: `/staff/cases?team=all&search=${encodeURIComponent(searchEmail)}`,
      query: { ...due, team: undefined, search: searchEmail },
      expectRows: Math.min(PAGE_SIZE, searchCount),
    },
    {
      name: `${big.name}, search by email`,
      url: `/staff/cases?search=${encodeURIComponent(searchEmail)}`,
      query: { ...due, team: big.name, search: searchEmail },
    },
  ];
}

/** How many cases a queue page lists: its table's body rows. */
function listed(body: string): number {
  const tbody = /<tbody[^>]*>([\s\S]*?)<\/tbody>/.exec(body)?.[1] ?? '';
  return (tbody.match(/<tr[\s>]/g) ?? []).length;
}

// ---- Query plans --------------------------------------------------------------------------

/** Catches the query a service would run, and stops it there. */
class Capture implements KyselyPlugin {
  node: RootOperationNode | undefined;
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === 'SelectQueryNode' && !this.node) this.node = node;
    throw new CaptureDone();
  }
  transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(result);
  }
}
class CaptureDone extends Error {}

/** The plan of the query BackOffice.queue runs for `query`, as the database reports it. */
async function planOf(
  database: Database<DB>,
  config: Config,
  staff: Staff,
  query: QueueQuery,
): Promise<string[]> {
  const capture = new Capture();
  const db = database.db.withPlugin(capture);
  const services = createServices(database, config);
  const office = new BackOffice(
    db,
    new CaseService(db),
    services.accounts,
    services.catalogue,
    services.reports,
    services.settings,
  );
  await office.queue(staff, query).catch((err: unknown) => {
    if (!(err instanceof CaptureDone)) throw err;
  });
  if (!capture.node) throw new Error('no query to explain');
  const compiled = database.db.getExecutor().compileQuery(capture.node, { queryId: 'plan' });
  const explain =
    database.dialect === 'sqlite' ? 'explain query plan ' : 'explain (analyze, buffers) ';
  const { rows } = await database.db.executeQuery<Record<string, unknown>>(
    CompiledQuery.raw(explain + compiled.sql, [...compiled.parameters]),
  );
  return rows.map((r) => String(r.detail ?? r['QUERY PLAN']));
}

// ---- Timing -------------------------------------------------------------------------------

interface Timing {
  name: string;
  runs: number;
  p50: number;
  p99: number;
  bytes: number;
  rows: number;
}

/**
 * Asks every page in turn, round after round, so a busy machine slows each of them alike and
 * the ratios to the baseline stay fair. Returns the timings and how many answers were wrong.
 */
async function time(
  app: FastifyInstance,
  browser: Browser,
  list: Page[],
): Promise<{ timings: Timing[]; wrong: number }> {
  const ms = list.map(() => [] as number[]);
  const spent = list.map(() => 0);
  const bytes = list.map(() => 0);
  const rows = list.map(() => 0);
  let wrong = 0;
  const headers = browser.headers();
  for (let round = -WARMUP; round < REQUESTS; round++)
    for (const [i, page] of list.entries()) {
      const samples = ms[i] as number[];
      if (samples.length >= MIN_SAMPLES && (spent[i] ?? 0) > PROBE_BUDGET_SECONDS * 1000) continue;
      // A slow page warms up in a few requests.
      if (round < -3 && (spent[i] ?? 0) > 2000) continue;
      const started = performance.now();
      const res = await app.inject({ method: 'GET', url: page.url, headers });
      const took = performance.now() - started;
      spent[i] = (spent[i] ?? 0) + took;
      if (round === 0) {
        bytes[i] = res.body.length;
        rows[i] = page.query ? listed(res.body) : 0;
        const rowsWrong = page.expectRows !== undefined && rows[i] !== page.expectRows;
        if (res.statusCode !== 200 || rowsWrong) {
          wrong++;
          console.error(
            `  WRONG ${page.name}: ${res.statusCode}, ${rows[i]} rows, expected ${page.expectRows ?? '?'}` +
              (res.statusCode === 200 ? '' : `\n${res.body.slice(0, 500)}`),
          );
        }
      }
      if (round >= 0) samples.push(took);
    }
  return {
    timings: list.map((page, i) => {
      const sorted = (ms[i] ?? []).sort((a, b) => a - b);
      return {
        name: page.name,
        runs: sorted.length,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        bytes: bytes[i] ?? 0,
        rows: rows[i] ?? 0,
      };
    }),
    wrong,
  };
}

/** The same queue page's bytes from a bare Fastify, through inject: the framework's floor. */
async function bareFloor(body: string, contentType: string): Promise<Timing> {
  const bare = Fastify({ logger: false });
  bare.get('/', (_request, reply) => reply.type(contentType).send(body));
  await bare.ready();
  const ms: number[] = [];
  try {
    for (let i = -WARMUP; i < REQUESTS; i++) {
      const started = performance.now();
      await bare.inject({ method: 'GET', url: '/' });
      if (i >= 0) ms.push(performance.now() - started);
    }
  } finally {
    await bare.close();
  }
  ms.sort((a, b) => a - b);
  return {
    name: 'bare Fastify, same bytes',
    runs: ms.length,
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    bytes: body.length,
    rows: 0,
  };
}

// ---- One database -------------------------------------------------------------------------

interface Outcome {
  timings: Timing[];
  wrong: number;
}

async function measure(database: Database<DB>, config: Config): Promise<Outcome> {
  const now = Date.now();
  const teams = teamsOf(config, ROWS);
  const started = performance.now();
  await migrateToLatest(database);
  await seed(database.db, database.dialect, teams, now);
  // Fresh statistics, and on PostgreSQL a visibility map, so index-only scans are possible.
  await (database.dialect === 'sqlite' ? sql`analyze` : sql`vacuum analyze cases`).execute(
    database.db,
  );
  const big = teams[0] as Team;
  const email = await addOfficer(database.db, config, big.name);
  console.log(
    `${database.dialect}: seeded ${ROWS.toLocaleString('en-GB')} cases over ${teams.length} teams in ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s; open cases: ` +
      teams.map((t) => `${t.name} ${t.open.toLocaleString('en-GB')}`).join(', '),
  );

  // A resident with several open cases, to search for.
  const searched = await database.db
    .selectFrom('cases')
    .select(['contact_email', (eb) => eb.fn.countAll<string | number>().as('n')])
    .where('closed_at', 'is', null)
    .where('contact_email', 'in', [1, 2, 3, 4, 5, 6, 7, 8].map(residentEmail))
    .groupBy('contact_email')
    .orderBy('n', 'desc')
    .executeTakeFirstOrThrow();
  const list = pages(teams, searched.contact_email ?? '', Number(searched.n));

  const app = await buildApp(config, {
    database,
    logger: createLogger('silent'),
    assetCacheDir: ASSET_CACHE_DIR,
  });
  try {
    const browser = await signIn(app, email);
    const first = await browser.get('/staff/cases');
    if (first.statusCode !== 200)
      throw new Error(`GET /staff/cases answered ${first.statusCode}: ${first.body.slice(0, 500)}`);

    const officer = await database.db
      .selectFrom('accounts')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    const staff: Staff = { id: officer.id, name: 'Bench Officer', role: 'officer', team: big.name };
    for (const page of list) {
      if (!page.query) continue;
      const plan = await planOf(database, config, staff, page.query);
      console.log(`  plan, ${page.name}:\n    ${plan.join('\n    ')}`);
    }

    const { timings, wrong } = await time(app, browser, list);
    const floor = await bareFloor(first.body, String(first.headers['content-type']));
    return { timings: [floor, ...timings], wrong };
  } finally {
    await app.close();
  }
}

function configFor(dataDir: string): Config {
  return loadConfig({
    SHIRE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    IN_PROCESS_WORKER: 'false',
    RATE_LIMIT_PER_MINUTE: '1000000000',
  });
}

async function onSqlite(): Promise<Outcome> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shire-queue-'));
  try {
    const database = Database.sqlite<DB>(path.join(dir, 'shire.db'));
    try {
      return await measure(database, configFor(dir));
    } finally {
      await database.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onPostgres(url: string): Promise<Outcome> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shire-queue-'));
  const schema = `bench_queue_${randomBytes(6).toString('hex')}`;
  const admin = Database.postgres<DB>(url);
  await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  const database = Database.postgres<DB>(url, schema);
  try {
    return await measure(database, configFor(dir));
  } finally {
    await database.close();
    await sql`drop schema ${sql.id(schema)} cascade`.execute(admin.db);
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL;
  const runs: ({ dialect: Dialect } & Outcome)[] = [];
  runs.push({ dialect: 'sqlite', ...(await onSqlite()) });
  if (url) runs.push({ dialect: 'postgres', ...(await onPostgres(url)) });
  else console.log('PostgreSQL: skipped (set DATABASE_URL to include it)');

  const rows: (string | number)[][] = [
    ['database', 'page', 'runs', 'p50 ms', 'p99 ms', 'p99 × home', 'cases', 'bytes'],
  ];
  const summary = [];
  for (const run of runs) {
    const home = run.timings.find((t) => t.name.startsWith('baseline'));
    const baseline = home?.p99 ?? 0;
    for (const t of run.timings)
      rows.push([
        run.dialect,
        t.name,
        t.runs,
        round(t.p50),
        round(t.p99),
        baseline > 0 ? round(t.p99 / baseline) : 0,
        t.rows,
        t.bytes,
      ]);
    const queues = run.timings.slice(2);
    const slowest = queues.reduce((a, b) => (b.p99 > a.p99 ? b : a));
    const [, , bigTeam, midTeam, smallTeam] = run.timings;
    summary.push({
      dialect: run.dialect,
      slowest: { name: slowest.name, p99: round(slowest.p99) },
      verdict: slowest.p99 <= GOAL_P99_MS ? 'PASS' : 'BELOW GOAL',
      asFast: {
        small: { name: smallTeam?.name, p99: round(smallTeam?.p99 ?? 0) },
        mid: { name: midTeam?.name, p99: round(midTeam?.p99 ?? 0) },
        big: { name: bigTeam?.name, p99: round(bigTeam?.p99 ?? 0) },
      },
      wrong: run.wrong,
      timings: run.timings.map((t) => ({ ...t, p50: round(t.p50), p99: round(t.p99) })),
    });
  }
  console.log();
  console.log(table(rows));
  console.log();
  for (const s of summary) {
    console.log(
      `${s.dialect}: queue p99, ${s.asFast.small.name}: ${s.asFast.small.p99} ms; ` +
        `${s.asFast.mid.name}: ${s.asFast.mid.p99} ms; ${s.asFast.big.name}: ${s.asFast.big.p99} ms`,
    );
    console.log(
      `${s.dialect}: slowest queue page p99 ${s.slowest.p99} ms (${s.slowest.name})   ` +
        `goal: p99 ≤ ${GOAL_P99_MS} ms   ${s.verdict}   wrong answers: ${s.wrong}`,
    );
  }
  console.log(JSON.stringify({ bench: 'queue', rows: ROWS, goalP99Ms: GOAL_P99_MS, summary }));
  return summary.some((s) => s.wrong > 0) ? 1 : 0;
}

run(main);
