import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Insertable, Kysely } from 'kysely';
import ngeohash from 'ngeohash';
import { dialects, testDatabase } from '../../../test/helper.js';
import { seededRandom } from '../../../test/random.js';
import type { CaseTable } from '../../platform/db/tables/cases.js';
import type { DB } from '../../platform/db/types.js';
import { distanceMetres, geohashOf, type Point } from '../../platform/geo/geo.js';
import {
  CASE_KINDS,
  KIND_NAMES,
  statusDefinition,
  type CaseKindName,
  type Open311State,
  type StatusDefinition,
} from './kinds.js';
import { CaseService } from './service.js';

type NearOptions = NonNullable<Parameters<CaseService['near']>[2]>;

const WESTMOOR = { lat: 51.35, lng: -2.21 };
const REPORT_CODES = ['report-a-pothole', 'report-fly-tipping', 'report-a-street-light-fault'];

/** The same pseudo-random places on every run, so a failure can be replayed. */
function randomSource(seed: number) {
  const { next, pick } = seededRandom(seed);
  /** Within about `metres` of a point, more of them near the middle. */
  const around = (centre: Point, metres: number): Point => {
    const r = (metres * Math.sqrt(next())) / 111_195;
    const angle = 2 * Math.PI * next();
    return {
      lat: centre.lat + r * Math.sin(angle),
      lng: centre.lng + (r * Math.cos(angle)) / Math.cos((centre.lat * Math.PI) / 180),
    };
  };
  return { next, pick, around };
}

interface Located {
  id: number;
  kind: CaseKindName;
  serviceCode: string;
  status: string;
  location: Point | null;
}

let refs = 0;
function row(kind: CaseKindName, serviceCode: string, status: string, location: Point | null) {
  const now = new Date().toISOString();
  return {
    ref: `TST-${String(++refs).padStart(9, '0')}`,
    service_code: serviceCode,
    kind,
    status,
    channel: 'web',
    title: `${serviceCode} ${String(refs)}`,
    data: '{}',
    lat: location?.lat ?? null,
    lng: location?.lng ?? null,
    geohash: location ? geohashOf(location) : null,
    created_at: now,
    updated_at: now,
  } satisfies Insertable<CaseTable>;
}

async function insert(db: Kysely<DB>, rows: Insertable<CaseTable>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto('cases')
      .values(rows.slice(i, i + 200))
      .execute();
}

/**
 * A few thousand cases: a dense town centre (far more than any page within 250 m), a
 * spread-out town, open country, points a hair either side of geohash cell edges, some
 * applications among the reports, and a few cases with no place at all.
 */
function scatter(random: ReturnType<typeof randomSource>): Insertable<CaseTable>[] {
  const places: Point[] = [];
  for (let i = 0; i < 1_500; i++) places.push(random.around(WESTMOOR, 300));
  for (let i = 0; i < 1_000; i++) places.push(random.around(WESTMOOR, 3_000));
  for (let i = 0; i < 500; i++)
    places.push({ lat: 51.24 + random.next() * 0.24, lng: -2.38 + random.next() * 0.36 });
  for (let i = 0; i < 100; i++) {
    const cell = geohashOf(random.around(WESTMOOR, 1_500)).slice(0, random.pick([5, 6, 7]));
    const [south, west] = ngeohash.decode_bbox(cell);
    for (const [dLat, dLng] of [
      [-1e-9, 0],
      [1e-9, 0],
      [0, -1e-9],
      [0, 1e-9],
      [0, 0],
    ] as const)
      places.push({ lat: south + dLat, lng: west + dLng });
  }
  const rows = places.map((place) => {
    const kind: CaseKindName = random.next() < 0.85 ? 'report' : 'application';
    const serviceCode = kind === 'report' ? random.pick(REPORT_CODES) : 'apply-for-a-skip-permit';
    return row(kind, serviceCode, random.pick(Object.keys(CASE_KINDS[kind].statuses)), place);
  });
  for (let i = 0; i < 20; i++) rows.push(row('report', 'report-a-pothole', 'confirmed', null));
  return rows;
}

/** What `near` must answer, by brute force over every case. */
function expected(all: Located[], centre: Point, radius: number, options: NearOptions = {}) {
  const { kind, serviceCodes, state, statuses, limit = 20, offset = 0 } = options;
  return all
    .filter((c) => kind === undefined || c.kind === kind)
    .filter((c) => statuses === undefined || statuses.includes(c.status))
    .filter((c) => serviceCodes === undefined || serviceCodes.includes(c.serviceCode))
    .filter((c) => state === undefined || statusDefinition(c.kind, c.status)?.open311 === state)
    .flatMap((c) =>
      c.location ? [{ id: c.id, distance: distanceMetres(centre, c.location) }] : [],
    )
    .filter(({ distance }) => distance <= radius)
    .sort((a, b) => a.distance - b.distance || a.id - b.id)
    .slice(offset, offset + limit)
    .map(({ id, distance }) => [id, Math.round(distance)]);
}

async function answer(cases: CaseService, centre: Point, radius: number, options?: NearOptions) {
  return (await cases.near(centre, radius, options)).map((n) => [n.case.id, n.distanceMetres]);
}

await test('no status means open for one kind and closed for another', () => {
  // near() with a state and no kind keeps the union of every kind's statuses for that state.
  const seen = new Map<string, Open311State>();
  for (const kind of KIND_NAMES)
    for (const [name, { open311 }] of Object.entries(
      CASE_KINDS[kind].statuses as Record<string, StatusDefinition>,
    )) {
      const before = seen.get(name) ?? open311;
      assert.equal(open311, before, `"${name}" is ${before} in one kind, ${open311} in ${kind}`);
      seen.set(name, open311);
    }
});

for (const dialect of dialects()) {
  await test(`near on ${dialect}`, async (t) => {
    const database = await testDatabase(t, dialect);
    const cases = new CaseService(database.db);
    const random = randomSource(dialect === 'sqlite' ? 1 : 2);
    await insert(database.db, scatter(random));
    const all: Located[] = (
      await database.db
        .selectFrom('cases')
        .select(['id', 'kind', 'service_code', 'status', 'lat', 'lng'])
        .execute()
    ).map((c) => ({
      id: c.id,
      kind: c.kind as CaseKindName,
      serviceCode: c.service_code,
      status: c.status,
      location: c.lat !== null && c.lng !== null ? { lat: c.lat, lng: c.lng } : null,
    }));

    await t.test('matches a brute-force search, with every filter, at every radius', async () => {
      const filters: NearOptions[] = [
        {},
        { kind: 'report', serviceCodes: [random.pick(REPORT_CODES)], state: 'open', limit: 5 },
        { kind: 'report', state: 'closed', limit: 50 },
        { serviceCodes: ['report-fly-tipping', 'apply-for-a-skip-permit'], limit: 30 },
        { state: 'open', limit: 10 },
        { kind: 'application', limit: 3 },
        // The public list: every report status but a few, open or closed.
        { kind: 'report', statuses: ['confirmed', 'fixed', 'closed'], state: 'closed', limit: 20 },
        { statuses: ['investigating', 'submitted'], limit: 15 },
      ];
      for (let i = 0; i < 15; i++) {
        const centre = random.around(WESTMOOR, i < 5 ? 200 : 4_000);
        for (const radius of [10, 60, 250, 700, 2_000, 5_000])
          for (const options of filters)
            assert.deepEqual(
              await answer(cases, centre, radius, options),
              expected(all, centre, radius, options),
              `${JSON.stringify(options)} within ${radius} m of ${JSON.stringify(centre)}`,
            );
      }
    });

    await t.test('finds all of a crowd, not just the first few hundred', async () => {
      // 1,500 cases within 300 m: every one within 250 m belongs on some page.
      const centre = WESTMOOR;
      const within = expected(all, centre, 250, { limit: 10_000 });
      assert.ok(within.length > 1_000, `${within.length} cases within 250 m`);
      assert.deepEqual(await answer(cases, centre, 250, { limit: 10_000 }), within);
    });

    await t.test('pages with offset, nearest first, with nothing lost or repeated', async () => {
      const centre = random.around(WESTMOOR, 500);
      const options: NearOptions = { kind: 'report', state: 'open', limit: 25 };
      const pages = [];
      for (let offset = 0; ; offset += 25) {
        const page = await answer(cases, centre, 400, { ...options, offset });
        assert.deepEqual(
          page,
          expected(all, centre, 400, { ...options, offset }),
          `offset ${offset}`,
        );
        pages.push(...page);
        if (page.length < 25) break;
      }
      assert.deepEqual(pages, expected(all, centre, 400, { ...options, limit: 100_000 }));
      const distances = pages.map(([, distance]) => distance ?? 0);
      assert.deepEqual(
        distances,
        [...distances].sort((a, b) => a - b),
      );
    });

    await t.test('includes a case exactly on the radius and not one a hair beyond', async () => {
      const spot = all.find((c) => c.location && c.kind === 'report');
      assert.ok(spot?.location);
      const centre = { lat: spot.location.lat + 0.0009, lng: spot.location.lng + 0.0011 };
      const exact = distanceMetres(centre, spot.location);
      const ids = async (radius: number) =>
        (await cases.near(centre, radius, { limit: 10_000 })).map((n) => n.case.id);
      assert.ok((await ids(exact)).includes(spot.id));
      assert.ok(!(await ids(exact * (1 - 1e-9))).includes(spot.id));
    });

    await t.test('answers nothing for an empty category list or no radius', async () => {
      assert.deepEqual(await answer(cases, WESTMOOR, 250, { serviceCodes: [] }), []);
      assert.deepEqual(await answer(cases, WESTMOOR, -1), []);
      assert.deepEqual(await answer(cases, WESTMOOR, 250, { limit: 0 }), []);
    });
  });

  await test(`near across the 180° meridian on ${dialect}`, async (t) => {
    const database = await testDatabase(t, dialect);
    const cases = new CaseService(database.db);
    await insert(database.db, [
      row('report', 'report-a-pothole', 'confirmed', { lat: -16.5, lng: 179.9995 }),
      row('report', 'report-a-pothole', 'confirmed', { lat: -16.5, lng: -179.9993 }),
      row('report', 'report-a-pothole', 'confirmed', { lat: -16.5, lng: -179.99 }),
    ]);
    const found = await cases.near({ lat: -16.5, lng: 180 }, 100);
    assert.deepEqual(
      found.map((n) => [n.case.location?.lng, n.distanceMetres]),
      [
        [179.9995, 53],
        [-179.9993, 75],
      ],
    );
  });
}
