import type { Insertable, Kysely, Selectable } from 'kysely';
import type { AttachmentTable, CaseEventTable, CaseTable } from '../../platform/db/tables/cases.js';
import type { DB } from '../../platform/db/types.js';
import type { CircleCover } from '../../platform/geo/geo.js';

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
      'status' | 'updated_at' | 'closed_at' | 'team' | 'assignee_id' | 'due_at' | 'account_id'
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

export interface LocatedFilter {
  cover: CircleCover;
  kind?: string | undefined;
  serviceCodes?: string[] | undefined;
  statuses?: string[] | undefined;
}

/**
 * Every matching case located in the cover's ranges and boxes: the id and place only, read
 * from the cases_near indexes alone, for the caller to filter by exact distance.
 */
export function locatedIn(
  db: Kysely<DB>,
  filter: LocatedFilter,
): Promise<{ id: number; lat: number; lng: number }[]> {
  return locatedQuery(db, filter).execute();
}

/** The query behind `locatedIn`, for the benchmark to read its plan. */
export function locatedQuery(
  db: Kysely<DB>,
  { cover, kind, serviceCodes, statuses }: LocatedFilter,
) {
  return (
    db
      .selectFrom('cases')
      .select(['id', 'lat', 'lng'])
      .where((eb) =>
        eb.and([
          eb.or(
            cover.ranges.map(({ from, to }) =>
              to === undefined
                ? eb('geohash', '>=', from)
                : eb.and([eb('geohash', '>=', from), eb('geohash', '<', to)]),
            ),
          ),
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
        ]),
      )
      .$if(kind !== undefined, (q) => q.where('kind', '=', kind ?? ''))
      .$if(serviceCodes !== undefined, (q) => q.where('service_code', 'in', serviceCodes ?? []))
      .$if(statuses !== undefined, (q) => q.where('status', 'in', statuses ?? []))
      // Inside a box, so never null.
      .$narrowType<{ lat: number; lng: number }>()
  );
}

export function findByIds(db: Kysely<DB>, ids: number[]): Promise<CaseRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('cases').selectAll().where('id', 'in', ids).execute();
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
    .select(['email', 'account_id', 'token'])
    .where('case_id', '=', caseId)
    .execute();
}

export function findSubscription(db: Kysely<DB>, token: string) {
  return db
    .selectFrom('subscriptions')
    .innerJoin('cases', 'cases.id', 'subscriptions.case_id')
    .select(['subscriptions.case_id as caseId', 'subscriptions.email', 'cases.ref'])
    .where('subscriptions.token', '=', token)
    .executeTakeFirst();
}

export function deleteSubscription(db: Kysely<DB>, token: string): Promise<void> {
  return db
    .deleteFrom('subscriptions')
    .where('token', '=', token)
    .execute()
    .then(() => undefined);
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
