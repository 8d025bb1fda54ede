/**
 * How fast is "near here" with a million reports, next to the cheapest query the same stack
 * can run (a case by its id)?
 *
 * Seeds NEARBY_ROWS reports (default 1,000,000) around the demo council's towns on SQLite (a
 * file in a temporary folder) and on PostgreSQL (a fresh schema at DATABASE_URL, dropped
 * after; skipped without one), then times CaseService.near the way Report It calls it: the
 * duplicate check (250 m, same category, open, 5 nearest) and the public list near a place
 * (2 km, 20 a page). Goal: p99 ≤ 10 ms on both. Some answers are also checked against a
 * full scan, so a fast wrong answer fails the run.
 *
 *   npm run bench                           1,000,000 reports, 2,000 duplicate checks
 *   NEARBY_ROWS=100000 npx tsx bench/nearby.ts
 *
 * Exits 0 whatever the timings (they are a measurement), nonzero if an answer was wrong.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import { CASE_KINDS, type StatusDefinition } from '../src/modules/cases/kinds.js';
import { nearestQuery } from '../src/modules/cases/queries.js';
import { CaseService } from '../src/modules/cases/service.js';
import { Database, type Dialect } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrations/index.js';
import type { DB } from '../src/platform/db/types.js';
import { coveringRanges, distanceMetres, geohashOf, type Point } from '../src/platform/geo/geo.js';
import { seededRandom } from '../test/random.js';
import { countFromEnv, percentile, run, table } from './lib.js';

const GOAL_P99_MS = 10;
const ROWS = countFromEnv('NEARBY_ROWS', 1_000_000);
const DUPLICATE_CHECKS = countFromEnv('NEARBY_QUERIES', 2_000);
/** One public list of each sort for every four duplicate checks. */
const LIST_EVERY = 4;
const CHECKED_ANSWERS = 25;
const BATCH = 20_000;

/** The demo council's area (config/council.yaml). */
const AREA = { south: 51.24, west: -2.38, north: 51.48, east: -2.02 };
/** Most reports are in towns: centre, share of the town reports, spread (km). */
const TOWNS = [
  { lat: 51.35, lng: -2.21, share: 0.3, km: 1.6 },
  { lat: 51.42, lng: -2.3, share: 0.15, km: 1.2 },
  { lat: 51.28, lng: -2.12, share: 0.15, km: 1.2 },
  { lat: 51.45, lng: -2.08, share: 0.1, km: 0.9 },
  { lat: 51.27, lng: -2.33, share: 0.1, km: 0.9 },
  { lat: 51.38, lng: -2.06, share: 0.08, km: 0.7 },
  { lat: 51.31, lng: -2.25, share: 0.06, km: 0.6 },
  { lat: 51.46, lng: -2.2, share: 0.06, km: 0.6 },
];
const IN_TOWNS = 0.75;
/** Report It categories (catalogue service codes), commonest first. */
const CATEGORIES = [
  'report-a-pothole',
  'report-fly-tipping',
  'report-a-street-light-fault',
  'report-overgrown-vegetation',
  'report-a-damaged-pavement',
  'report-a-blocked-drain',
  'report-graffiti-on-council-property',
  'report-a-missed-bin-collection',
  'report-an-abandoned-vehicle',
  'report-a-damaged-road-sign',
  'report-a-dead-animal-on-the-road',
  'report-a-bus-stop-problem',
];
const OPEN_SHARE = 0.7;
const REPORT_STATUSES = Object.entries(
  CASE_KINDS.report.statuses as Record<string, StatusDefinition>,
);
const OPEN_STATUSES = REPORT_STATUSES.filter(([, s]) => s.open311 === 'open').map(([name]) => name);
const CLOSED_STATUSES = REPORT_STATUSES.filter(([, s]) => s.open311 === 'closed').map(
  ([name]) => name,
);

/** Seeded, so every run and both databases get the same reports and questions. */
function randomSource(seed: number) {
  const { next, pick } = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  /** Categories by a 1/rank share, so potholes are the commonest. */
  const weights = CATEGORIES.map((_, rank) => 1 / (rank + 1));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const category = () => {
    let x = next() * totalWeight;
    for (const [i, w] of weights.entries()) if ((x -= w) < 0) return CATEGORIES[i] as string;
    return CATEGORIES[0] as string;
  };
  const place = (): Point => {
    for (;;) {
      let point: Point;
      if (next() < IN_TOWNS) {
        let x = next();
        const town = TOWNS.find((t) => (x -= t.share) < 0) ?? TOWNS[0];
        if (!town) throw new Error('No towns');
        point = {
          lat: town.lat + (gaussian() * town.km) / 111.2,
          lng: town.lng + (gaussian() * town.km) / (111.2 * Math.cos((town.lat * Math.PI) / 180)),
        };
      } else {
        point = {
          lat: AREA.south + next() * (AREA.north - AREA.south),
          lng: AREA.west + next() * (AREA.east - AREA.west),
        };
      }
      if (point.lat >= AREA.south && point.lat <= AREA.north)
        if (point.lng >= AREA.west && point.lng <= AREA.east) return point;
    }
  };
  return { next, pick, category, place };
}

/** Inserts the reports in large batches straight into the table: openCase would take hours. */
async function seed(db: Kysely<DB>, dialect: Dialect): Promise<void> {
  const random = randomSource(1);
  const start = Date.parse('2024-01-01T00:00:00Z');
  const span = Date.parse('2026-11-01T00:00:00Z') - start;
  for (let first = 0; first < ROWS; first += BATCH) {
    const rows: (string | number | null)[][] = [];
    for (let i = first; i < Math.min(ROWS, first + BATCH); i++) {
      const point = random.place();
      const open = random.next() < OPEN_SHARE;
      const created = new Date(start + random.next() * span).toISOString();
      rows.push([
        `BEN-${i.toString(32).toUpperCase().padStart(8, '0')}`,
        random.category(),
        random.pick(open ? OPEN_STATUSES : CLOSED_STATUSES),
        `Report ${i}`,
        point.lat,
        point.lng,
        geohashOf(point),
        created,
        open ? null : created,
      ]);
    }
    const json = JSON.stringify(rows);
    const columns = sql`(ref, service_code, kind, status, channel, title, data, lat, lng, geohash, created_at, updated_at, closed_at)`;
    await (dialect === 'sqlite'
      ? sql`insert into cases ${columns}
          select value->>0, value->>1, 'report', value->>2, 'web', value->>3, '{}', value->>4,
            value->>5, value->>6, value->>7, value->>7, value->>8
          from json_each(${json})`.execute(db)
      : sql`insert into cases ${columns}
          select e->>0, e->>1, 'report', e->>2, 'web', e->>3, '{}', (e->>4)::float8,
            (e->>5)::float8, e->>6, e->>7, e->>7, e->>8
          from json_array_elements(${json}::json) e`.execute(db));
  }
}

interface Question {
  name: string;
  point: Point;
  radius: number;
  options: Parameters<CaseService['near']>[2] & object;
}

/** The questions Report It asks, at places drawn like the reports (people report where people are). */
function questions(seedValue: number) {
  const random = randomSource(seedValue);
  return {
    duplicateCheck: (): Question => ({
      name: 'duplicate check: 250 m, category, open, 5',
      point: random.place(),
      radius: 250,
      options: { kind: 'report', serviceCodes: [random.category()], state: 'open', limit: 5 },
    }),
    publicList: (): Question => ({
      name: 'public list: 2 km, open, 20',
      point: random.place(),
      radius: 2_000,
      options: { kind: 'report', state: 'open', limit: 20 },
    }),
    categoryPage: (): Question => ({
      name: 'public list: 2 km, category, page 2',
      point: random.place(),
      radius: 2_000,
      options: { kind: 'report', serviceCodes: [random.category()], limit: 20, offset: 20 },
    }),
  };
}

interface Located {
  id: number;
  point: Point;
  serviceCode: string;
  status: string;
}

/** The answer by brute force over every report, to hold `near` to. */
function bruteForce(all: Located[], q: Question): number[] {
  const { serviceCodes, state, limit = 20, offset = 0 } = q.options;
  const statuses = state === 'open' ? OPEN_STATUSES : state ? CLOSED_STATUSES : undefined;
  return all
    .filter((c) => !serviceCodes || serviceCodes.includes(c.serviceCode))
    .filter((c) => !statuses || statuses.includes(c.status))
    .map((c) => ({ id: c.id, distance: distanceMetres(q.point, c.point) }))
    .filter(({ distance }) => distance <= q.radius)
    .sort((a, b) => a.distance - b.distance || a.id - b.id)
    .slice(offset, offset + limit)
    .map(({ id }) => id);
}

/** Checks some answers against a full scan; returns how many were wrong. */
async function checkAnswers(db: Kysely<DB>, cases: CaseService): Promise<number> {
  const all: Located[] = (
    await db.selectFrom('cases').select(['id', 'lat', 'lng', 'service_code', 'status']).execute()
  ).map((r) => ({
    id: r.id,
    point: { lat: r.lat ?? NaN, lng: r.lng ?? NaN },
    serviceCode: r.service_code,
    status: r.status,
  }));
  const ask = questions(99);
  let wrong = 0;
  for (const make of [ask.duplicateCheck, ask.publicList, ask.categoryPage])
    for (let i = 0; i < CHECKED_ANSWERS; i++) {
      const q = make();
      const answer = (await cases.near(q.point, q.radius, q.options)).map((n) => n.case.id);
      const expected = bruteForce(all, q);
      if (JSON.stringify(answer) !== JSON.stringify(expected)) {
        wrong++;
        console.error(
          `  WRONG ${q.name} at ${JSON.stringify(q.point)}: ${answer.length} vs ${expected.length}`,
        );
      }
    }
  return wrong;
}

/** How the database runs one pass of a duplicate check and of a public list. */
async function plans(database: Database<DB>): Promise<string[]> {
  const ask = questions(7);
  const plans = [];
  for (const q of [ask.duplicateCheck(), ask.publicList()]) {
    const query = nearestQuery(database.db, {
      centre: q.point,
      reachMetres: q.radius,
      cover: coveringRanges(q.point, q.radius),
      kind: q.options.kind,
      serviceCodes: q.options.serviceCodes,
      statuses: q.options.state === 'open' ? OPEN_STATUSES : undefined,
      limit: q.options.limit ?? 20,
      offset: 0,
    }).compile();
    const explain = database.dialect === 'sqlite' ? 'explain query plan ' : 'explain ';
    const { rows } = await database.db.executeQuery<Record<string, unknown>>(
      CompiledQuery.raw(explain + query.sql, [...query.parameters]),
    );
    const steps = rows.map((r) => String(r.detail ?? r['QUERY PLAN']));
    // The shape, not the bounds: which index each step uses, and how.
    const shape = steps
      .filter((step) => /SCAN|SEARCH|Scan|Join|Nested|Sort|Limit/.test(step) && !step.includes(':'))
      .map((step) =>
        step
          .replace(/\(.*\)/, '')
          .replace(/ on cases( \w+)?\s*$/, '')
          .replace(/\s+/g, ' ')
          .trim(),
      );
    plans.push(`${q.name}:\n    ${[...new Set(shape)].join('\n    ')}`);
  }
  return plans;
}

interface Timing {
  name: string;
  runs: number;
  p50: number;
  p99: number;
  results: number;
}

interface Probe {
  name: string;
  /** Run this probe on one in `every` rounds. */
  every: number;
  ask: () => Promise<number>;
}

/**
 * Runs the probes in turn, round after round, so a busy machine slows each of them alike
 * and the ratios to the baseline stay fair.
 */
async function time(rounds: number, probes: Probe[]): Promise<Timing[]> {
  const warmup = Math.min(200, rounds);
  const ms = probes.map(() => [] as number[]);
  const results = probes.map(() => 0);
  for (let round = -warmup; round < rounds; round++)
    for (const [i, probe] of probes.entries()) {
      if (Math.abs(round) % probe.every !== 0) continue;
      const started = performance.now();
      const found = await probe.ask();
      if (round < 0) continue;
      ms[i]?.push(performance.now() - started);
      results[i] = (results[i] ?? 0) + found;
    }
  return probes.map((probe, i) => {
    const sorted = (ms[i] ?? []).sort((a, b) => a - b);
    return {
      name: probe.name,
      runs: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      results: (results[i] ?? 0) / Math.max(1, sorted.length),
    };
  });
}

async function measure(database: Database<DB>): Promise<{ timings: Timing[]; wrong: number }> {
  const cases = new CaseService(database.db);
  for (const line of await plans(database)) console.log(`  plan, ${line}`);
  const random = randomSource(3);
  const ask = questions(5);
  const near = (make: () => Question): Probe => {
    const every = make === ask.duplicateCheck ? 1 : LIST_EVERY;
    return {
      name: make().name,
      every,
      ask: async () => {
        const q = make();
        return (await cases.near(q.point, q.radius, q.options)).length;
      },
    };
  };
  const timings = await time(DUPLICATE_CHECKS, [
    {
      name: 'baseline: one case by id',
      every: 1,
      ask: async () => ((await cases.getById(1 + Math.floor(random.next() * ROWS))) ? 1 : 0),
    },
    near(ask.duplicateCheck),
    near(ask.publicList),
    near(ask.categoryPage),
  ]);
  // After the timings: the full scan holds every report in memory, and collecting it would pause them.
  const wrong = await checkAnswers(database.db, cases);
  return { timings, wrong };
}

async function seeded(database: Database<DB>): Promise<number> {
  const started = performance.now();
  await migrateToLatest(database);
  await seed(database.db, database.dialect);
  // Fresh statistics, and on PostgreSQL a visibility map, so index-only scans are possible.
  await (database.dialect === 'sqlite' ? sql`analyze` : sql`vacuum analyze cases`).execute(
    database.db,
  );
  return (performance.now() - started) / 1000;
}

async function onSqlite(): Promise<{ timings: Timing[]; wrong: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shire-nearby-'));
  const file = path.join(dir, 'shire.db');
  try {
    const loading = Database.sqlite<DB>(file);
    // A big cache for loading only; the timings use a connection as Shire opens it.
    await sql`pragma cache_size = -1000000`.execute(loading.db);
    const seconds = await seeded(loading);
    await loading.close();
    console.log(
      `SQLite: seeded ${ROWS.toLocaleString('en-GB')} reports in ${seconds.toFixed(0)} s`,
    );
    const database = Database.sqlite<DB>(file);
    try {
      return await measure(database);
    } finally {
      await database.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onPostgres(url: string): Promise<{ timings: Timing[]; wrong: number }> {
  const schema = `bench_nearby_${randomBytes(6).toString('hex')}`;
  const admin = Database.postgres<DB>(url);
  await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  const database = Database.postgres<DB>(url, schema);
  try {
    const seconds = await seeded(database);
    console.log(
      `PostgreSQL: seeded ${ROWS.toLocaleString('en-GB')} reports in ${seconds.toFixed(0)} s`,
    );
    return await measure(database);
  } finally {
    await database.close();
    await sql`drop schema ${sql.id(schema)} cascade`.execute(admin.db);
    await admin.close();
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL;
  const runs: { dialect: Dialect; timings: Timing[]; wrong: number }[] = [];
  runs.push({ dialect: 'sqlite', ...(await onSqlite()) });
  if (url) runs.push({ dialect: 'postgres', ...(await onPostgres(url)) });
  else console.log('PostgreSQL: skipped (set DATABASE_URL to include it)');

  const rows: (string | number)[][] = [
    ['database', 'query', 'runs', 'p50 ms', 'p99 ms', 'p50 × baseline', 'results'],
  ];
  const summary = [];
  for (const run of runs) {
    const baseline = run.timings[0]?.p50 ?? 0;
    for (const t of run.timings)
      rows.push([
        run.dialect,
        t.name,
        t.runs,
        round(t.p50),
        round(t.p99),
        baseline > 0 ? round(t.p50 / baseline) : 0,
        round(t.results),
      ]);
    const slowest = Math.max(...run.timings.slice(1).map((t) => t.p99));
    summary.push({
      dialect: run.dialect,
      slowestP99: round(slowest),
      verdict: slowest <= GOAL_P99_MS ? 'PASS' : 'BELOW GOAL',
      wrong: run.wrong,
      timings: run.timings.map((t) => ({ ...t, p50: round(t.p50), p99: round(t.p99) })),
    });
  }
  console.log();
  console.log(table(rows));
  console.log();
  for (const s of summary)
    console.log(
      `${s.dialect}: slowest p99 ${s.slowestP99} ms   goal: p99 ≤ ${GOAL_P99_MS} ms   ${s.verdict}` +
        `   answers checked against a full scan: ${3 * CHECKED_ANSWERS - s.wrong} of ${3 * CHECKED_ANSWERS} right`,
    );
  console.log(JSON.stringify({ bench: 'nearby', rows: ROWS, goalP99Ms: GOAL_P99_MS, summary }));
  return summary.some((s) => s.wrong > 0) ? 1 : 0;
}

run(main);
