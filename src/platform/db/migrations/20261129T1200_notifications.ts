import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * Notifications: one row per message per recipient per channel (its idempotency key makes a
 * retried fan-out or a retried send harmless), the development mailbox, residents' web push
 * subscriptions, settings the platform generates once (the VAPID keys), and a mark on an
 * account whose email bounced.
 */
export const notifications: Migration = {
  async up(db: Kysely<unknown>, { id }) {
    await db.schema
      .createTable('deliveries')
      .addColumn('id', id, (c) => c.primaryKey())
      // e.g. 'case-event:812:subscriber:44:email'. Unique: the same message is queued once.
      .addColumn('key', 'text', (c) => c.notNull().unique())
      // 'email', 'sms' or 'push'.
      .addColumn('channel', 'text', (c) => c.notNull())
      // An email address, a phone number, or a push subscription's id.
      .addColumn('recipient', 'text', (c) => c.notNull())
      .addColumn('template', 'text', (c) => c.notNull())
      // The template's data, sealed: it may hold a sign-in link.
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('case_id', 'integer')
      .addColumn('account_id', 'integer')
      .addColumn('subscription_id', 'integer')
      // 'queued', 'sent', 'skipped' (no longer wanted at send time) or 'failed' (permanently).
      .addColumn('status', 'text', (c) => c.notNull())
      // The provider's message id once sent; why, when skipped or failed.
      .addColumn('detail', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .execute();
    await db.schema.createIndex('deliveries_case').on('deliveries').column('case_id').execute();

    await db.schema
      .createTable('mailbox')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('recipient', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('html', 'text')
      // JSON object of the headers that matter to a reader (List-Unsubscribe…).
      .addColumn('headers', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('push_subscriptions')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('account_id', 'integer', (c) => c.notNull())
      .addColumn('endpoint', 'text', (c) => c.notNull().unique())
      .addColumn('p256dh', 'text', (c) => c.notNull())
      .addColumn('auth', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('push_subscriptions_account')
      .on('push_subscriptions')
      .column('account_id')
      .execute();

    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    // Set when an email to the account's address bounced; the resident is asked to check it.
    await db.schema.alterTable('accounts').addColumn('email_bounced_at', 'text').execute();
  },
};
