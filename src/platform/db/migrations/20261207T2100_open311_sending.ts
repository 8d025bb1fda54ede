import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * Sending reports to other Open311 servers (council.yaml open311.sendTo). `open311_sent` is
 * one row per report routed to a server, made with the case so the outbox job always has it:
 * their service_request_id once known (or the token they answered with until then), and the
 * last error staff need to see. `open311_fetches` is each server's schedule for reading its
 * updates feed and how far it has read. `open311_received` remembers each of their updates
 * applied, by their update_id, so a feed read twice tells the resident once.
 */
export const open311Sending: Migration = {
  async up(db: Kysely<unknown>, { id }) {
    await db.schema
      .createTable('open311_sent')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('case_id', 'integer', (c) => c.notNull().unique().references('cases.id'))
      .addColumn('endpoint_id', 'text', (c) => c.notNull())
      // pending, sent, awaiting_id (answered with a token), failed, skipped.
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('external_id', 'text')
      .addColumn('token', 'text')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'text')
      .execute();
    // Their updates name their own ids: find our case by one.
    await db.schema
      .createIndex('open311_sent_external')
      .on('open311_sent')
      .columns(['endpoint_id', 'external_id'])
      .execute();

    await db.schema
      .createTable('open311_fetches')
      .addColumn('endpoint_id', 'text', (c) => c.primaryKey())
      // The updated_datetime of the latest update read: the next read starts there.
      .addColumn('updates_since', 'text', (c) => c.notNull())
      .addColumn('next_fetch_at', 'text', (c) => c.notNull())
      .addColumn('last_fetched_at', 'text')
      .addColumn('last_error', 'text')
      .execute();

    await db.schema
      .createTable('open311_received')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('endpoint_id', 'text', (c) => c.notNull())
      .addColumn('update_id', 'text', (c) => c.notNull())
      .addColumn('case_id', 'integer', (c) => c.notNull().references('cases.id'))
      // Null when the update changed nothing (the same status, no words).
      .addColumn('event_id', 'integer', (c) => c.references('case_events.id'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('open311_received_once', ['endpoint_id', 'update_id'])
      .execute();
  },
};
