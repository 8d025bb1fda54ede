import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { seal } from '../../platform/crypto.js';
import type { DB } from '../../platform/db/types.js';
import { enqueue } from '../../platform/outbox/outbox.js';
import type { TemplateData, TemplateName } from './messages.js';

/** The outbox job that sends one delivery. */
export const DELIVER_JOB = 'notification.deliver';
export interface DeliverPayload {
  deliveryId: number;
}

/** Template data is sealed at rest: a sign-in link in it is as good as a password. */
export const DELIVERY_PURPOSE = 'delivery';

export type Channel = 'email' | 'sms' | 'push';

export interface Outgoing<K extends TemplateName = TemplateName> {
  /**
   * One per recipient, channel and event, e.g. `case-event:812:subscription:44:email`. Queueing
   * the same key twice (a retried fan-out) queues it once.
   */
  key: string;
  channel: Channel;
  /** An email address, a phone number, or a push subscription's id. */
  to: string;
  template: K;
  data: TemplateData[K];
  caseId?: number | null;
  accountId?: number | null;
  /** The case subscription it is sent under: unsubscribing from it stops what is still queued. */
  subscriptionId?: number | null;
}

/**
 * Queues a message in the caller's transaction: a delivery row and the job that sends it.
 * Returns false, and queues nothing, when a message with this key was queued before.
 */
export async function queueDelivery(
  trx: Kysely<DB>,
  secret: string,
  outgoing: Outgoing,
  now = new Date(),
): Promise<boolean> {
  const row = await trx
    .insertInto('deliveries')
    .values({
      key: outgoing.key,
      channel: outgoing.channel,
      recipient: outgoing.to,
      template: outgoing.template,
      sealed: seal(secret, DELIVERY_PURPOSE, outgoing.data),
      case_id: outgoing.caseId ?? null,
      account_id: outgoing.accountId ?? null,
      subscription_id: outgoing.subscriptionId ?? null,
      status: 'queued',
      created_at: now.toISOString(),
    })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) return false;
  const payload: DeliverPayload = { deliveryId: row.id };
  // Tries over about six hours (backoff doubles to an hour), so an outage of the relay or of
  // Notify delays messages rather than losing them.
  await enqueue(trx, { type: DELIVER_JOB, payload, maxAttempts: 16 }, now);
  return true;
}

/** A one-off email (a sign-in link, a saved form) to an address, queued in the caller's transaction. */
export async function queueEmail<K extends TemplateName>(
  trx: Kysely<DB>,
  secret: string,
  email: { to: string; template: K; data: TemplateData[K]; accountId?: number | null },
  now = new Date(),
): Promise<void> {
  await queueDelivery(
    trx,
    secret,
    { key: `email:${randomUUID()}`, channel: 'email', ...email },
    now,
  );
}
