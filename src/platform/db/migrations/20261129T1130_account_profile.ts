import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * My Account profile and preferences: a phone number and postal address the resident may give
 * us, and how and when they want to hear about their cases. The choices have defaults, so
 * existing accounts keep getting every update by email.
 */
export const accountProfile: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('accounts').addColumn('phone', 'text').execute();
    // JSON: { line1, line2?, town, postcode }, as the form engine's address field answers it.
    await db.schema.alterTable('accounts').addColumn('address', 'text').execute();
    // 'email', 'sms' or 'app'.
    await db.schema
      .alterTable('accounts')
      .addColumn('notify_channel', 'text', (c) => c.notNull().defaultTo('email'))
      .execute();
    // 'every', 'status' or 'finished'.
    await db.schema
      .alterTable('accounts')
      .addColumn('notify_updates', 'text', (c) => c.notNull().defaultTo('every'))
      .execute();
  },
};
