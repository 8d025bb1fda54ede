import {
  sql,
  type Expression,
  type Insertable,
  type Kysely,
  type Selectable,
  type SqlBool,
} from 'kysely';
import type { AccountTable, AccountTokenTable } from '../../platform/db/tables/accounts.js';
import type { CaseTable } from '../../platform/db/tables/cases.js';
import type { DB } from '../../platform/db/types.js';

export type AccountRow = Selectable<AccountTable>;
export type TokenRow = Selectable<AccountTokenTable>;
export type TokenPurpose = AccountTokenTable['purpose'];

// ---- Accounts ---------------------------------------------------------------------------

export function findAccountByEmail(db: Kysely<DB>, email: string) {
  return db.selectFrom('accounts').selectAll().where('email', '=', email).executeTakeFirst();
}

export function findAccountById(db: Kysely<DB>, id: number) {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export function insertAccount(db: Kysely<DB>, row: Insertable<AccountTable>): Promise<AccountRow> {
  return db.insertInto('accounts').values(row).returningAll().executeTakeFirstOrThrow();
}

export function updateAccount(
  db: Kysely<DB>,
  id: number,
  changes: Partial<
    Pick<
      AccountRow,
      | 'name'
      | 'password_hash'
      | 'email_verified_at'
      | 'sessions_valid_after'
      | 'last_signed_in_at'
      | 'updated_at'
      | 'role'
      | 'team'
    >
  >,
): Promise<AccountRow> {
  return db
    .updateTable('accounts')
    .set(changes)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

// ---- One-time tokens --------------------------------------------------------------------

export async function insertToken(
  db: Kysely<DB>,
  row: Insertable<AccountTokenTable>,
): Promise<void> {
  await db.insertInto('account_tokens').values(row).execute();
}

/** A token that can still be used, without using it (to show the page its link opens). */
export function findUsableToken(
  db: Kysely<DB>,
  tokenHash: string,
  purpose: TokenPurpose,
  now: string,
): Promise<TokenRow | undefined> {
  return db
    .selectFrom('account_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/**
 * Uses a token up, if it can still be used. One statement, so two requests racing with the
 * same link cannot both succeed.
 */
export function useToken(
  db: Kysely<DB>,
  tokenHash: string,
  purpose: TokenPurpose,
  now: string,
): Promise<TokenRow | undefined> {
  return db
    .updateTable('account_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
}

/** Once one link of a kind has been used, the account's other unused links of that kind go. */
export async function deleteUnusedTokens(
  db: Kysely<DB>,
  accountId: number,
  purpose: TokenPurpose,
): Promise<void> {
  await db
    .deleteFrom('account_tokens')
    .where('account_id', '=', accountId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
}

export async function deleteExpiredTokens(db: Kysely<DB>, now: string): Promise<void> {
  await db.deleteFrom('account_tokens').where('expires_at', '<=', now).execute();
}

// ---- Throttling -------------------------------------------------------------------------

/** How many attempts under each key since `since`. */
export async function countAttempts(
  db: Kysely<DB>,
  keys: string[],
  since: string,
): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('account_attempts')
    .select(['key', (eb) => eb.fn.countAll().as('count')])
    .where('key', 'in', keys)
    .where('created_at', '>', since)
    .groupBy('key')
    .execute();
  return new Map(rows.map((row) => [row.key, Number(row.count)]));
}

export async function recordAttempts(db: Kysely<DB>, keys: string[], now: string): Promise<void> {
  await db
    .insertInto('account_attempts')
    .values(keys.map((key) => ({ key, created_at: now })))
    .execute();
}

export async function clearAttempts(db: Kysely<DB>, key: string): Promise<void> {
  await db.deleteFrom('account_attempts').where('key', '=', key).execute();
}

export async function deleteAttemptsBefore(db: Kysely<DB>, before: string): Promise<void> {
  await db.deleteFrom('account_attempts').where('created_at', '<=', before).execute();
}

// ---- The resident's cases ---------------------------------------------------------------

/**
 * Cases opened without signing in, with an email address the resident has proved is theirs,
 * become theirs: the one place outside the cases module that writes `cases.account_id`
 * (linking a case to an account is not an event on its timeline). Their update subscriptions
 * follow. Returns how many cases were claimed.
 */
export async function claimCases(db: Kysely<DB>, accountId: number, email: string) {
  const claimed = await db
    .updateTable('cases')
    .set({ account_id: accountId })
    .where('account_id', 'is', null)
    // The same expression as the cases_contact_email index, so this is an index lookup.
    .where(sql<string>`lower(contact_email)`, '=', email)
    .executeTakeFirst();
  await db
    .updateTable('subscriptions')
    .set({ account_id: accountId })
    .where('account_id', 'is', null)
    .where('email', '=', email)
    .execute();
  return Number(claimed.numUpdatedRows);
}

/** Kind and status pairs to keep; undefined keeps every case. */
export type CaseFilter = { kind: string; statuses: readonly string[] }[] | undefined;

export type AccountCaseRow = Selectable<CaseTable> & { has_update: SqlBool };

function accountCases(db: Kysely<DB>, accountId: number, filter: CaseFilter) {
  return db
    .selectFrom('cases')
    .where('cases.account_id', '=', accountId)
    .$if(filter !== undefined, (q) =>
      q.where((eb) =>
        eb.or(
          (filter ?? []).map(({ kind, statuses }) =>
            eb.and([eb('cases.kind', '=', kind), eb('cases.status', 'in', [...statuses])]),
          ),
        ),
      ),
    );
}

/**
 * A page of the resident's cases, newest first, each with whether it has a public update
 * from the council the resident has not yet seen on its page. Their own words and the
 * "we received it" line do not count as news.
 */
export function listAccountCases(
  db: Kysely<DB>,
  accountId: number,
  filter: CaseFilter,
  page: { limit: number; offset: number },
): Promise<AccountCaseRow[]> {
  return accountCases(db, accountId, filter)
    .leftJoin('account_case_views as seen', (join) =>
      join.onRef('seen.case_id', '=', 'cases.id').on('seen.account_id', '=', accountId),
    )
    .selectAll('cases')
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('case_events as event')
            .select('event.id')
            .whereRef('event.case_id', '=', 'cases.id')
            .where('event.public', '=', 1)
            .where('event.type', '!=', 'created')
            .where('event.actor_type', '!=', 'resident')
            .where(
              'event.id',
              '>',
              eb.fn.coalesce('seen.last_event_id', sql<number>`0`) as Expression<number>,
            ),
        )
        .as('has_update'),
    )
    .orderBy('cases.id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

export async function countAccountCases(
  db: Kysely<DB>,
  accountId: number,
  filter: CaseFilter,
): Promise<number> {
  const row = await accountCases(db, accountId, filter)
    .select((eb) => eb.fn.countAll().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export function findCaseView(db: Kysely<DB>, accountId: number, caseId: number) {
  return db
    .selectFrom('account_case_views')
    .select(['last_event_id', 'viewed_at'])
    .where('account_id', '=', accountId)
    .where('case_id', '=', caseId)
    .executeTakeFirst();
}

export async function saveCaseView(
  db: Kysely<DB>,
  row: { account_id: number; case_id: number; last_event_id: number; viewed_at: string },
): Promise<void> {
  await db
    .insertInto('account_case_views')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['account_id', 'case_id']).doUpdateSet({
        last_event_id: row.last_event_id,
        viewed_at: row.viewed_at,
      }),
    )
    .execute();
}

/** Everyone with a staff role, by name. */
export function listStaff(db: Kysely<DB>) {
  return db
    .selectFrom('accounts')
    .select(['id', 'name', 'email', 'role', 'team', 'last_signed_in_at', 'totp_secret'])
    .where('role', '!=', 'resident')
    .orderBy('name')
    .orderBy('id')
    .execute();
}
