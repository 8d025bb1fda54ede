import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/types.js';

export function insertSavedForm(
  db: Kysely<DB>,
  row: {
    token_hash: string;
    service_code: string;
    sealed: string;
    expires_at: string;
    created_at: string;
    account_id?: number | null;
  },
): Promise<void> {
  return db
    .insertInto('saved_forms')
    .values(row)
    .execute()
    .then(() => undefined);
}

export function findSavedForm(db: Kysely<DB>, tokenHash: string, serviceCode: string) {
  return db
    .selectFrom('saved_forms')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('service_code', '=', serviceCode)
    .executeTakeFirst();
}

export function deleteSavedForm(db: Kysely<DB>, id: number): Promise<void> {
  return db
    .deleteFrom('saved_forms')
    .where('id', '=', id)
    .execute()
    .then(() => undefined);
}

export function deleteExpiredSavedForms(db: Kysely<DB>, now: string): Promise<void> {
  return db
    .deleteFrom('saved_forms')
    .where('expires_at', '<=', now)
    .execute()
    .then(() => undefined);
}

/** An account's saved, unexpired answers to one service (or every service), newest first. */
export function savedFormsOfAccount(
  db: Kysely<DB>,
  accountId: number,
  now: string,
  serviceCode?: string,
) {
  return db
    .selectFrom('saved_forms')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('expires_at', '>', now)
    .$if(serviceCode !== undefined, (q) => q.where('service_code', '=', serviceCode ?? ''))
    .orderBy('id', 'desc')
    .execute();
}

export function deleteSavedFormsOfAccount(
  db: Kysely<DB>,
  accountId: number,
  serviceCode: string,
): Promise<void> {
  return db
    .deleteFrom('saved_forms')
    .where('account_id', '=', accountId)
    .where('service_code', '=', serviceCode)
    .execute()
    .then(() => undefined);
}
