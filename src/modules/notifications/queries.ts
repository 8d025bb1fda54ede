import type { Kysely, Selectable } from 'kysely';
import type { DB } from '../../platform/db/types.js';
import type { DeliveryTable, PushSubscriptionTable } from '../../platform/db/tables/platform.js';
import type { Channel } from './queue.js';

export type DeliveryRow = Selectable<DeliveryTable>;
export type PushRow = Selectable<PushSubscriptionTable>;

export function findDelivery(db: Kysely<DB>, id: number): Promise<DeliveryRow | undefined> {
  return db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Skipped or failed for good; only a delivery still queued changes. */
export async function finish(
  db: Kysely<DB>,
  id: number,
  status: 'skipped' | 'failed',
  detail: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('deliveries')
    .set({ status, detail: detail.slice(0, 2000), finished_at: now.toISOString() })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .execute();
}

export async function finishSent(
  db: Kysely<DB>,
  id: number,
  sent: { channel: Channel; to: string; detail: string },
  now: Date,
): Promise<void> {
  await db
    .updateTable('deliveries')
    .set({
      status: 'sent',
      channel: sent.channel,
      recipient: sent.to,
      detail: sent.detail,
      finished_at: now.toISOString(),
    })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .execute();
}

/** What was sent about a case, newest first, for staff. */
export function deliveriesOfCase(db: Kysely<DB>, caseId: number) {
  return db
    .selectFrom('deliveries')
    .select(['id', 'channel', 'recipient', 'template', 'status', 'detail', 'created_at'])
    .where('case_id', '=', caseId)
    .orderBy('id', 'desc')
    .execute();
}

export function pushSubscriptionsOf(db: Kysely<DB>, accountId: number): Promise<PushRow[]> {
  return db
    .selectFrom('push_subscriptions')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
}

/** Adds a device, or moves it to this account if another resident used it before. */
export async function savePushSubscription(
  db: Kysely<DB>,
  row: { account_id: number; endpoint: string; p256dh: string; auth: string; created_at: string },
): Promise<void> {
  await db
    .insertInto('push_subscriptions')
    .values(row)
    .onConflict((oc) =>
      oc.column('endpoint').doUpdateSet({
        account_id: row.account_id,
        p256dh: row.p256dh,
        auth: row.auth,
      }),
    )
    .execute();
}

export async function deletePushSubscription(db: Kysely<DB>, id: number): Promise<void> {
  await db.deleteFrom('push_subscriptions').where('id', '=', id).execute();
}

export async function deletePushEndpoint(
  db: Kysely<DB>,
  accountId: number,
  endpoint: string,
): Promise<void> {
  await db
    .deleteFrom('push_subscriptions')
    .where('account_id', '=', accountId)
    .where('endpoint', '=', endpoint)
    .execute();
}

// ---- The development mailbox ----------------------------------------------------------

export function mailbox(db: Kysely<DB>, limit: number) {
  return db
    .selectFrom('mailbox')
    .select(['id', 'recipient', 'subject', 'created_at'])
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export function mailboxMessage(db: Kysely<DB>, id: number) {
  return db.selectFrom('mailbox').selectAll().where('id', '=', id).executeTakeFirst();
}
