import { randomBytes } from 'node:crypto';
import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { AttachmentTable, CaseEventTable, CaseTable } from '../../platform/db/tables/cases.js';
import type { DB } from '../../platform/db/types.js';
import { EARTH_RADIUS_METRES, type CircleCover, type Point } from '../../platform/geo/geo.js';

export type CaseRow = Selectable<CaseTable>;
export type CaseEventRow = Selectable<CaseEventTable>;

export function insertCase(db: Kysely<DB>, row: Insertable<CaseTable>): Promise<CaseRow> {
  return db.insertInto('cases').values(row).returningAll().executeTakeFirstOrThrow();
}

export function insertEvent(
  db: Kysely<DB>,
  row: Insertable<CaseEventTable>,
): Promise<CaseEventRow> {
  return db.insertInto('case_events').values(row).returningAll().executeTakeFirstOrThrow();
}

export function findById(db: Kysely<DB>, id: number): Promise<CaseRow | undefined> {
  return db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findByRef(db: Kysely<DB>, ref: string): Promise<CaseRow | undefined> {
  return db.selectFrom('cases').selectAll().where('ref', '=', ref).executeTakeFirst();
}

export function findByIdempotencyKey(db: Kysely<DB>, key: string): Promise<CaseRow | undefined> {
  return db.selectFrom('cases').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
}

export function refExists(db: Kysely<DB>, ref: string): Promise<boolean> {
  return db
    .selectFrom('cases')
    .select('id')
    .where('ref', '=', ref)
    .executeTakeFirst()
    .then((row) => row !== undefined);
}

export function updateCase(
  db: Kysely<DB>,
  id: number,
  changes: Partial<
    Pick<
      CaseRow,
      | 'status'
      | 'updated_at'
      | 'closed_at'
      | 'service_code'
      | 'team'
      | 'assignee_id'
      | 'due_at'
      | 'account_id'
      | 'data'
    >
  >,
): Promise<CaseRow> {
  return db
    .updateTable('cases')
    .set(changes)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function listEvents(
  db: Kysely<DB>,
  caseId: number,
  publicOnly: boolean,
): Promise<CaseEventRow[]> {
  return db
    .selectFrom('case_events')
    .selectAll()
    .where('case_id', '=', caseId)
    .$if(publicOnly, (q) => q.where('public', '=', 1))
    .orderBy('id')
    .execute();
}

export function listForAccount(
  db: Kysely<DB>,
  accountId: number,
  limit: number,
  beforeId?: number,
): Promise<CaseRow[]> {
  return db
    .selectFrom('cases')
    .selectAll()
    .where('account_id', '=', accountId)
    .$if(beforeId !== undefined, (q) => q.where('id', '<', beforeId ?? 0))
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export interface NearestFilter {
  centre: Point;
  reachMetres: number;
  /** Where the cases within reach can be (`coveringRanges(centre, reachMetres)`). */
  cover: CircleCover;
  kind?: string | undefined;
  serviceCodes?: string[] | undefined;
  statuses?: string[] | undefined;
  limit: number;
  offset: number;
}

/**
 * One page (`offset`, `limit`) of the matching cases within reach, nearest first then oldest,
 * returned in no particular order: the caller sorts them by exact distance.
 */
export function nearest(db: Kysely<DB>, filter: NearestFilter): Promise<CaseRow[]> {
  return nearestQuery(db, filter).execute();
}

/**
 * The query behind `nearest`, for the benchmark to read its plan. Each geohash range is its
 * own branch of a UNION ALL, so PostgreSQL scans the cases_near indexes alone (an OR of
 * ranges would read the table for every candidate), and the database puts them in order of
 * distance, so only the page leaves it.
 */
export function nearestQuery(db: Kysely<DB>, filter: NearestFilter) {
  const { cover, kind, serviceCodes, statuses } = filter;
  const [first, ...rest] = cover.ranges.map(({ from, to }) =>
    db
      .selectFrom('cases')
      .select(['id', 'lat', 'lng'])
      .where('geohash', '>=', from)
      .$if(to !== undefined, (q) => q.where('geohash', '<', to ?? ''))
      .where((eb) =>
        eb.or(
          cover.boxes.map((box) =>
            eb.and([
              eb('lat', '>=', box.south),
              eb('lat', '<=', box.north),
              eb('lng', '>=', box.west),
              eb('lng', '<=', box.east),
            ]),
          ),
        ),
      )
      .$if(kind !== undefined, (q) => q.where('kind', '=', kind ?? ''))
      .$if(serviceCodes !== undefined, (q) => q.where('service_code', 'in', serviceCodes ?? []))
      .$if(statuses !== undefined, (q) => q.where('status', 'in', statuses ?? [])),
  );
  if (!first) throw new Error('A cover has at least one geohash range');
  const located = rest.reduce((all, range) => all.unionAll(range), first);
  const h = haversine(filter.centre);
  const page = db
    .selectFrom(located.as('located'))
    .select('id')
    .where(h, '<=', haversineWithin(filter.reachMetres))
    .orderBy(h)
    .orderBy('id')
    .limit(filter.limit)
    .offset(filter.offset);
  return db.selectFrom('cases').selectAll().where('id', 'in', page);
}

/**
 * Haversine's h (before its arcsine) from `centre` to a row's lat/lng, as `distanceMetres`
 * computes it: it grows with distance, so it orders and bounds rows as distance would.
 * SQLite has sin and cos because better-sqlite3 builds it with SQLITE_ENABLE_MATH_FUNCTIONS.
 */
function haversine(centre: Point) {
  const cosLat = Math.cos((centre.lat * Math.PI) / 180);
  return sql<number>`power(sin(radians(lat - ${centre.lat}) / 2), 2) + ${cosLat} * cos(radians(lat)) * power(sin(radians(lng - ${centre.lng}) / 2), 2)`;
}

/** The largest h within `metres`, a hair generous so the database never drops what the exact test keeps. */
function haversineWithin(metres: number): number {
  return Math.sin(Math.min(Math.PI / 2, metres / (2 * EARTH_RADIUS_METRES))) ** 2 * (1 + 1e-9);
}

export function addSubscription(
  db: Kysely<DB>,
  row: {
    case_id: number;
    account_id: number | null;
    email: string | null;
    token: string;
    created_at: string;
  },
): Promise<void> {
  return db
    .insertInto('subscriptions')
    .values(row)
    .onConflict((oc) => oc.columns(['case_id', 'email']).doNothing())
    .execute()
    .then(() => undefined);
}

export function listSubscribers(db: Kysely<DB>, caseId: number) {
  return db
    .selectFrom('subscriptions')
    .select(['id', 'email', 'account_id', 'token'])
    .where('case_id', '=', caseId)
    .orderBy('id')
    .execute();
}

export function findSubscriptionById(db: Kysely<DB>, id: number) {
  return db
    .selectFrom('subscriptions')
    .innerJoin('cases', 'cases.id', 'subscriptions.case_id')
    .select([
      'subscriptions.id',
      'subscriptions.case_id as caseId',
      'subscriptions.email',
      'subscriptions.account_id as accountId',
      'cases.ref',
      'cases.title',
    ])
    .where('subscriptions.id', '=', id)
    .executeTakeFirst();
}

export function deleteSubscriptionById(db: Kysely<DB>, id: number): Promise<void> {
  return db
    .deleteFrom('subscriptions')
    .where('id', '=', id)
    .execute()
    .then(() => undefined);
}

export function findSubscription(db: Kysely<DB>, token: string) {
  return db
    .selectFrom('subscriptions')
    .innerJoin('cases', 'cases.id', 'subscriptions.case_id')
    .select(['subscriptions.id', 'subscriptions.case_id as caseId', 'cases.ref'])
    .where('subscriptions.token', '=', token)
    .executeTakeFirst();
}

export function insertAttachment(db: Kysely<DB>, row: Insertable<AttachmentTable>): Promise<void> {
  return db
    .insertInto('attachments')
    .values(row)
    .execute()
    .then(() => undefined);
}

export function listAttachments(db: Kysely<DB>, caseId: number) {
  return db
    .selectFrom('attachments')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('id')
    .execute();
}

export function setAttachmentPublic(
  db: Kysely<DB>,
  caseId: number,
  storageKey: string,
  shown: boolean,
): Promise<void> {
  return db
    .updateTable('attachments')
    .set({ public: shown ? 1 : 0 })
    .where('case_id', '=', caseId)
    .where('storage_key', '=', storageKey)
    .execute()
    .then(() => undefined);
}

/**
 * Takes a resident out of their cases (CaseService.removePersonalDetails): the account link
 * and contact details of every case that is theirs by account or address, the name on their
 * own timeline entries, and their subscriptions. Returns the ids of the cases changed.
 */
export async function removePersonalDetails(
  db: Kysely<DB>,
  accountId: number,
  email: string,
): Promise<number[]> {
  const rows = await db
    .selectFrom('cases')
    .select('id')
    .where((eb) =>
      eb.or([
        eb('account_id', '=', accountId),
        // The same expression as the cases_contact_email index.
        eb(sql<string>`lower(contact_email)`, '=', email),
      ]),
    )
    .execute();
  const ids = rows.map((row) => row.id);
  await db
    .deleteFrom('subscriptions')
    .where((eb) => eb.or([eb('account_id', '=', accountId), eb('email', '=', email)]))
    .execute();
  if (ids.length === 0) return ids;
  await db
    .updateTable('cases')
    .set({ account_id: null, contact_name: null, contact_email: null, contact_phone: null })
    .where('id', 'in', ids)
    .execute();
  await db
    .updateTable('case_events')
    .set({ actor_name: null })
    .where('case_id', 'in', ids)
    .where('actor_type', '=', 'resident')
    .execute();
  return ids;
}

// ---- The back office's queues ----------------------------------------------------------

export interface QueueFilter {
  team?: string | undefined;
  serviceCode?: string | undefined;
  /** 'open' (not closed), 'closed', or one status. */
  status?: string | undefined;
  /** An account id, or null for unassigned. */
  assigneeId?: number | null | undefined;
  /** Only cases due before this ISO time and still open. */
  overdueAt?: string | undefined;
  contactEmail?: string | undefined;
  ids?: number[] | undefined;
  sort: 'due' | 'newest' | 'updated';
  limit: number;
  offset: number;
}

/** Open cases without a due date sort after every dated one, on both engines. */
export const DUE_ORDER = sql<string>`coalesce(due_at, '9999-12-31')`;

/**
 * One page of a queue. The default — a team's open cases, soonest due first — reads the
 * partial index cases_open_queue in order and stops at the page, however many cases there are.
 */
export function queue(db: Kysely<DB>, filter: QueueFilter): Promise<CaseRow[]> {
  let query = db.selectFrom('cases').selectAll();
  if (filter.team !== undefined) query = query.where('team', '=', filter.team);
  if (filter.serviceCode) query = query.where('service_code', '=', filter.serviceCode);
  if (filter.status === 'open') query = query.where('closed_at', 'is', null);
  else if (filter.status === 'closed') query = query.where('closed_at', 'is not', null);
  else if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.assigneeId === null) query = query.where('assignee_id', 'is', null);
  else if (filter.assigneeId !== undefined)
    query = query.where('assignee_id', '=', filter.assigneeId);
  if (filter.overdueAt)
    query = query.where('closed_at', 'is', null).where('due_at', '<', filter.overdueAt);
  // As the index cases_contact_email is: on lower(contact_email), not the column.
  if (filter.contactEmail)
    query = query.where(sql<string>`lower(contact_email)`, '=', filter.contactEmail.toLowerCase());
  if (filter.ids) query = query.where('id', 'in', filter.ids.length ? filter.ids : [0]);
  if (filter.sort === 'due') query = query.orderBy(DUE_ORDER).orderBy('id');
  else if (filter.sort === 'updated')
    query = query.orderBy('updated_at', 'desc').orderBy('id', 'desc');
  else query = query.orderBy('created_at', 'desc').orderBy('id', 'desc');
  return query.limit(filter.limit).offset(filter.offset).execute();
}

/** Sets updated_at only if it is still what the caller saw: false when someone changed it since. */
export async function claimVersion(
  db: Kysely<DB>,
  id: number,
  seen: string,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('cases')
    .set({ updated_at: now })
    .where('id', '=', id)
    .where('updated_at', '=', seen)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Open cases of a team (or everyone's) by status, and how many of them are overdue. */
export async function openCounts(db: Kysely<DB>, team: string | undefined, now: string) {
  const base = db
    .selectFrom('cases')
    .where('closed_at', 'is', null)
    .$if(team !== undefined, (q) => q.where('team', '=', team ?? ''));
  const [byStatus, overdue] = await Promise.all([
    base
      .select(['kind', 'status', (eb) => eb.fn.countAll<string | number>().as('n')])
      .groupBy(['kind', 'status'])
      .execute(),
    base
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('due_at', '<', now)
      .executeTakeFirstOrThrow(),
  ]);
  return { byStatus: byStatus.map((r) => ({ ...r, n: Number(r.n) })), overdue: Number(overdue.n) };
}

/**
 * Everyone following one case now follows another too (it was a duplicate of it); someone
 * already following that one is not added twice. Returns how many were added.
 */
export async function copySubscriptions(
  db: Kysely<DB>,
  fromId: number,
  toId: number,
  now: string,
): Promise<number> {
  const [from, to] = await Promise.all([listSubscribers(db, fromId), listSubscribers(db, toId)]);
  let added = 0;
  for (const follower of from) {
    const already = to.some(
      (s) =>
        (follower.email !== null && s.email === follower.email) ||
        (follower.account_id !== null && s.account_id === follower.account_id),
    );
    if (already) continue;
    await addSubscription(db, {
      case_id: toId,
      account_id: follower.account_id,
      email: follower.email,
      token: randomBytes(24).toString('base64url'),
      created_at: now,
    });
    added++;
  }
  return added;
}

// ---- Lists by date, for other systems (Open311) ------------------------------------------

export interface ListFilter {
  kind: string;
  refs?: string[] | undefined;
  serviceCodes?: string[] | undefined;
  statuses: string[];
  /** ISO times: created at or after `from`, and at or before `to`. */
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
}

/** Cases of a kind, newest first; reads cases_created for a date window. */
export function listCases(db: Kysely<DB>, filter: ListFilter): Promise<CaseRow[]> {
  return db
    .selectFrom('cases')
    .selectAll()
    .where('kind', '=', filter.kind)
    .where('status', 'in', filter.statuses.length ? filter.statuses : [''])
    .$if(filter.refs !== undefined, (q) =>
      q.where('ref', 'in', filter.refs?.length ? filter.refs : ['']),
    )
    .$if(filter.serviceCodes !== undefined, (q) =>
      q.where('service_code', 'in', filter.serviceCodes?.length ? filter.serviceCodes : ['']),
    )
    .$if(filter.from !== undefined, (q) => q.where('created_at', '>=', filter.from ?? ''))
    .$if(filter.to !== undefined, (q) => q.where('created_at', '<=', filter.to ?? ''))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit)
    .execute();
}

export interface PublicEventFilter {
  kind: string;
  types: string[];
  /** Only events of cases now in one of these statuses. */
  statuses: string[];
  from: string;
  to: string;
  limit: number;
}

/**
 * Public events in a date window, oldest first, each with its case's reference and the
 * data of the status change before it (what the status was when it was written), for the
 * events that do not change the status themselves. Reads case_events_created.
 */
export function publicEvents(db: Kysely<DB>, filter: PublicEventFilter) {
  return db
    .selectFrom('case_events as e')
    .innerJoin('cases as c', 'c.id', 'e.case_id')
    .select([
      'e.id',
      'e.type',
      'e.body',
      'e.data',
      'e.created_at',
      'c.ref',
      'c.kind',
      'c.status as case_status',
    ])
    .select((eb) =>
      eb
        .selectFrom('case_events as before')
        .select('before.data')
        .whereRef('before.case_id', '=', 'e.case_id')
        .where('before.type', '=', 'status_changed')
        .whereRef('before.id', '<', 'e.id')
        .orderBy('before.id', 'desc')
        .limit(1)
        .as('status_before'),
    )
    .where('e.public', '=', 1)
    .where('e.type', 'in', filter.types)
    .where('e.created_at', '>=', filter.from)
    .where('e.created_at', '<=', filter.to)
    .where('c.kind', '=', filter.kind)
    .where('c.status', 'in', filter.statuses)
    .orderBy('e.created_at')
    .orderBy('e.id')
    .limit(filter.limit)
    .execute();
}
