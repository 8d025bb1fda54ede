import type { Agent } from 'node:https';
import type { Kysely } from 'kysely';
import webpush from 'web-push';
import { seal, unseal } from '../crypto.js';
import type { DB } from '../db/types.js';
import { PermanentFailure, type PushSender } from './senders.js';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

const SETTING = 'vapid';
const PURPOSE = 'vapid-keys';

/**
 * The council's VAPID key pair, made the first time it is needed and kept (sealed) in the
 * settings table. Every browser subscription is tied to the public key, so the pair must
 * never change: two processes starting at once both insert, the database keeps the first,
 * and both read that one back.
 */
export async function loadVapidKeys(
  db: Kysely<DB>,
  secret: string,
  now: Date = new Date(),
): Promise<VapidKeys> {
  const stored = await readSetting(db);
  if (stored !== undefined) return open(stored, secret);

  const keys = webpush.generateVAPIDKeys();
  await db
    .insertInto('settings')
    .values({ key: SETTING, value: seal(secret, PURPOSE, keys), created_at: now.toISOString() })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const kept = await readSetting(db);
  if (kept === undefined) throw new Error('The VAPID keys were stored but cannot be read back');
  return open(kept, secret);
}

async function readSetting(db: Kysely<DB>): Promise<string | undefined> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', SETTING)
    .executeTakeFirst();
  return row?.value;
}

function open(sealed: string, secret: string): VapidKeys {
  const keys = unseal(secret, PURPOSE, sealed) as Partial<VapidKeys> | undefined;
  if (typeof keys?.publicKey !== 'string' || typeof keys.privateKey !== 'string')
    // Making a new pair here would silently break every resident's existing subscription.
    throw new Error(
      'The stored VAPID keys cannot be opened: SESSION_SECRET has changed since they were made. ' +
        'Restore the previous SESSION_SECRET; or delete the "vapid" row from the settings table ' +
        'to make new keys, after which every resident must turn push notifications on again.',
    );
  return { publicKey: keys.publicKey, privateKey: keys.privateKey };
}

const DAY_SECONDS = 24 * 60 * 60;

/** A tag as a push Topic header allows: at most 32 characters of the URL-safe base64 alphabet. */
export function pushTopic(tag: string): string | undefined {
  const topic = tag.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 32);
  return topic === '' ? undefined : topic;
}

/**
 * Web Push (RFC 8030) with encrypted payloads (RFC 8291) and VAPID (RFC 8292), to any
 * browser's push service. The service worker shows the JSON message.
 */
export function createPushSender(options: {
  vapid: VapidKeys;
  /** How the push service can contact the council: a mailto: or https: URL. */
  subject: string;
  /** For a test push service with its own certificate authority; push services are HTTPS only. */
  agent?: Agent;
}): PushSender {
  const vapidDetails = { subject: options.subject, ...options.vapid };
  return {
    async sendPush(target, message) {
      const topic = message.tag === undefined ? undefined : pushTopic(message.tag);
      try {
        await webpush.sendNotification(target, JSON.stringify(message), {
          vapidDetails,
          // A day-old "your case was updated" is still worth showing; older is noise.
          TTL: DAY_SECONDS,
          urgency: 'normal',
          // A newer message with the same topic replaces one the device has not collected yet.
          ...(topic ? { topic } : {}),
          // Well inside the outbox lease, so a hung push service fails the job for a retry.
          timeout: 30_000,
          ...(options.agent ? { agent: options.agent } : {}),
        });
      } catch (err) {
        throw classify(err);
      }
    },
  };
}

function classify(err: unknown): Error {
  if (!(err instanceof webpush.WebPushError))
    return err instanceof Error ? err : new Error(String(err));
  const detail = `the push service answered ${err.statusCode}${err.body ? `: ${err.body.slice(0, 200)}` : ''}`;
  // The browser unsubscribed, or the service expired the subscription: it will never work again.
  if (err.statusCode === 404 || err.statusCode === 410)
    return new PermanentFailure('subscription_gone', `The subscription has gone (${detail})`);
  // A malformed or oversized message fails the same way however often it is sent.
  if (err.statusCode === 400 || err.statusCode === 413)
    return new PermanentFailure('rejected', `The push service rejected the message (${detail})`);
  return new Error(`Push not delivered: ${detail}`);
}
