import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/types.js';

/** The account a person at a provider signs in as, if they have signed in with it before. */
export function findIdentity(db: Kysely<DB>, issuer: string, subject: string) {
  return db
    .selectFrom('account_identities')
    .select(['id', 'account_id'])
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst();
}

export async function insertIdentity(
  db: Kysely<DB>,
  row: { account_id: number; issuer: string; subject: string; at: string },
): Promise<void> {
  await db
    .insertInto('account_identities')
    .values({
      account_id: row.account_id,
      issuer: row.issuer,
      subject: row.subject,
      created_at: row.at,
      last_signed_in_at: row.at,
    })
    .execute();
}

export async function touchIdentity(db: Kysely<DB>, id: number, at: string): Promise<void> {
  await db
    .updateTable('account_identities')
    .set({ last_signed_in_at: at })
    .where('id', '=', id)
    .execute();
}
