import type { Insertable, Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/types.js';
import type { Open311KeyTable, Open311UpdateTable } from '../../platform/db/tables/open311.js';

export type KeyRow = Selectable<Open311KeyTable>;
export type UpdateRow = Selectable<Open311UpdateTable>;

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
