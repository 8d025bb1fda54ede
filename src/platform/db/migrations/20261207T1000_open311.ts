import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * Open311 (GeoReport v2 and mySociety's updates extension). `open311_keys` holds the keys
 * administrators issue to back-office systems and apps: only a SHA-256 of each key is kept
 * (the key is shown once), with its own requests-per-minute limit, and revoked keys stay for
 * the audit log. `open311_updates` remembers every update a back office pushed, by its own
 * update_id (unique across keys, so a key reissued to the same system cannot replay old
 * updates), with the answer given, so a repeat returns the same answer and changes nothing.
 * The case_events index serves the updates feed, which reads public events by date.
 */
export const open311: Migration = {
  async up(db: Kysely<unknown>, { id }) {
    await db.schema
      .createTable('open311_keys')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      // The first characters of the key, so staff can tell keys apart without the key itself.
      .addColumn('key_start', 'text', (c) => c.notNull())
      .addColumn('per_minute', 'integer', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('revoked_by', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('last_used_at', 'text')
      .execute();

    await db.schema
      .createTable('open311_updates')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('update_id', 'text', (c) => c.notNull().unique())
      .addColumn('key_id', 'integer', (c) => c.notNull().references('open311_keys.id'))
      .addColumn('case_id', 'integer', (c) => c.notNull().references('cases.id'))
      .addColumn('event_id', 'integer', (c) => c.notNull().references('case_events.id'))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('updated_datetime', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createIndex('case_events_created')
      .on('case_events')
      .columns(['created_at', 'id'])
      .execute();
  },
};
