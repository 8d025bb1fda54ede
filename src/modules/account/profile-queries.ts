import type { Kysely, Updateable } from 'kysely';
import type { AccountTable } from '../../platform/db/tables/accounts.js';
import type { DB } from '../../platform/db/types.js';

/**
 * The SQL behind the profile, preferences and "your data" pages (profile.ts, my-data.ts). The
 * account's sign-in queries stay in queries.ts.
 */

type ProfileChanges = Pick<
  Updateable<AccountTable>,
  | 'name'
  | 'email'
  | 'email_verified_at'
  | 'email_bounced_at'
  | 'phone'
  | 'address'
  | 'password_hash'
  | 'sessions_valid_after'
  | 'notify_channel'
  | 'notify_updates'
>;

export async function updateProfile(
  db: Kysely<DB>,
  accountId: number,
  changes: ProfileChanges,
  now: string,
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ ...changes, updated_at: now })
    .where('id', '=', accountId)
    .execute();
}

/** Whether another account has this (lower-case) address. */
export async function emailTaken(db: Kysely<DB>, email: string, accountId: number) {
  const row = await db
    .selectFrom('accounts')
    .select('id')
    .where('email', '=', email)
    .where('id', '!=', accountId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The cases the resident follows, by reference. */
export function subscriptionsOf(db: Kysely<DB>, accountId: number, email: string) {
  return db
    .selectFrom('subscriptions')
    .innerJoin('cases', 'cases.id', 'subscriptions.case_id')
    .select(['cases.ref', 'cases.title', 'subscriptions.created_at'])
    .where((eb) =>
      eb.or([
        eb('subscriptions.account_id', '=', accountId),
        eb('subscriptions.email', '=', email),
      ]),
    )
    .orderBy('subscriptions.id')
    .execute();
}

/** Every emailed link of the account, used or not. */
export async function deleteTokensOf(db: Kysely<DB>, accountId: number): Promise<void> {
  await db.deleteFrom('account_tokens').where('account_id', '=', accountId).execute();
}

/** Everything of the account's own, then the account: the rest of deleting an account. */
export async function deleteAccount(db: Kysely<DB>, accountId: number): Promise<void> {
  await db.deleteFrom('saved_forms').where('account_id', '=', accountId).execute();
  await deleteTokensOf(db, accountId);
  await db.deleteFrom('account_case_views').where('account_id', '=', accountId).execute();
  await db.deleteFrom('accounts').where('id', '=', accountId).execute();
}

/** Marks every account with this (lower-case) address: email to it bounced. */
export async function markEmailBounced(db: Kysely<DB>, email: string, now: string): Promise<void> {
  await db
    .updateTable('accounts')
    .set({ email_bounced_at: now })
    .where('email', '=', email)
    .execute();
}
