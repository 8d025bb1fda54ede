import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { DB } from '../../platform/db/types.js';
import type {
  Open311FetchTable,
  Open311KeyTable,
  Open311ReceivedTable,
  Open311SentTable,
  Open311UpdateTable,
} from '../../platform/db/tables/open311.js';

export type KeyRow = Selectable<Open311KeyTable>;
export type UpdateRow = Selectable<Open311UpdateTable>;
export type SentRow = Selectable<Open311SentTable>;
export type FetchRow = Selectable<Open311FetchTable>;

export function listKeys(db: Kysely<DB>): Promise<KeyRow[]> {
  return db.selectFrom('open311_keys').selectAll().orderBy('id', 'desc').execute();
}

export function insertKey(db: Kysely<DB>, row: Insertable<Open311KeyTable>): Promise<KeyRow> {
  return db.insertInto('open311_keys').values(row).returningAll().executeTakeFirstOrThrow();
}

export function findKey(db: Kysely<DB>, id: number): Promise<KeyRow | undefined> {
  return db.selectFrom('open311_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A key that has not been revoked, by its hash. */
export function findLiveKey(db: Kysely<DB>, hash: string): Promise<KeyRow | undefined> {
  return db
    .selectFrom('open311_keys')
    .selectAll()
    .where('key_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function revokeKey(db: Kysely<DB>, id: number, by: string, at: string) {
  await db
    .updateTable('open311_keys')
    .set({ revoked_by: by, revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function keyUsed(db: Kysely<DB>, id: number, at: string) {
  await db.updateTable('open311_keys').set({ last_used_at: at }).where('id', '=', id).execute();
}

export function findUpdate(db: Kysely<DB>, updateId: string): Promise<UpdateRow | undefined> {
  return db
    .selectFrom('open311_updates')
    .selectAll()
    .where('update_id', '=', updateId)
    .executeTakeFirst();
}

export async function insertUpdate(db: Kysely<DB>, row: Insertable<Open311UpdateTable>) {
  await db.insertInto('open311_updates').values(row).execute();
}

// ---- Reports sent to other Open311 servers ------------------------------------------------

export async function insertSent(db: Kysely<DB>, row: Insertable<Open311SentTable>) {
  await db.insertInto('open311_sent').values(row).execute();
}

export function findSentByCase(db: Kysely<DB>, caseId: number): Promise<SentRow | undefined> {
  return db.selectFrom('open311_sent').selectAll().where('case_id', '=', caseId).executeTakeFirst();
}

export async function updateSent(
  db: Kysely<DB>,
  caseId: number,
  changes: Updateable<Open311SentTable>,
) {
  await db.updateTable('open311_sent').set(changes).where('case_id', '=', caseId).execute();
}

/** Reports a server answered with a token, oldest first. */
export function awaitingIds(db: Kysely<DB>, endpointId: string): Promise<SentRow[]> {
  return db
    .selectFrom('open311_sent')
    .selectAll()
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'awaiting_id')
    .orderBy('id')
    .execute();
}

/** Our cases by a server's ids for them. */
export async function casesByExternalId(
  db: Kysely<DB>,
  endpointId: string,
  externalIds: string[],
): Promise<Map<string, number>> {
  if (externalIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('open311_sent')
    .select(['external_id', 'case_id'])
    .where('endpoint_id', '=', endpointId)
    .where('external_id', 'in', externalIds)
    .execute();
  return new Map(rows.map((r) => [r.external_id ?? '', r.case_id]));
}

/** A server's fetch schedule, made at `since` if it has none yet. */
export async function ensureFetch(
  db: Kysely<DB>,
  endpointId: string,
  since: string,
  firstAt: string,
) {
  await db
    .insertInto('open311_fetches')
    .values({ endpoint_id: endpointId, updates_since: since, next_fetch_at: firstAt })
    .onConflict((oc) => oc.column('endpoint_id').doNothing())
    .execute();
}

export function findFetch(db: Kysely<DB>, endpointId: string): Promise<FetchRow | undefined> {
  return db
    .selectFrom('open311_fetches')
    .selectAll()
    .where('endpoint_id', '=', endpointId)
    .executeTakeFirst();
}

/**
 * Takes a server's fetch that is due, moving it on to `next`; false if it is not due (another
 * worker took it, or this is a stray second job), so one fetch runs per period.
 */
export async function claimFetch(
  db: Kysely<DB>,
  endpointId: string,
  now: string,
  next: string,
): Promise<boolean> {
  const result = await db
    .updateTable('open311_fetches')
    .set({ next_fetch_at: next })
    .where('endpoint_id', '=', endpointId)
    .where('next_fetch_at', '<=', now)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function updateFetch(
  db: Kysely<DB>,
  endpointId: string,
  changes: Updateable<Open311FetchTable>,
) {
  await db
    .updateTable('open311_fetches')
    .set(changes)
    .where('endpoint_id', '=', endpointId)
    .execute();
}

export function findReceived(db: Kysely<DB>, endpointId: string, updateId: string) {
  return db
    .selectFrom('open311_received')
    .select('id')
    .where('endpoint_id', '=', endpointId)
    .where('update_id', '=', updateId)
    .executeTakeFirst();
}

export async function insertReceived(db: Kysely<DB>, row: Insertable<Open311ReceivedTable>) {
  await db.insertInto('open311_received').values(row).execute();
}
