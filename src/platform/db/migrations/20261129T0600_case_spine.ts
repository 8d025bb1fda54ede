import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from './index.js';

export const caseSpine: Migration = {
  async up(db: Kysely<unknown>, { id }) {
    await db.schema
      .createTable('cases')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('ref', 'text', (c) => c.notNull().unique())
      .addColumn('service_code', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('account_id', 'integer')
      .addColumn('contact_name', 'text')
      .addColumn('contact_email', 'text')
      .addColumn('contact_phone', 'text')
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('lat', 'double precision')
      .addColumn('lng', 'double precision')
      .addColumn('geohash', 'text')
      .addColumn('team', 'text')
      .addColumn('assignee_id', 'integer')
      .addColumn('due_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'text')
      .execute();
    await db.schema
      .createIndex('cases_account')
      .on('cases')
      .columns(['account_id', 'created_at'])
      .execute();
    await db.schema
      .createIndex('cases_service_status')
      .on('cases')
      .columns(['service_code', 'status'])
      .execute();
    await db.schema.createIndex('cases_geohash').on('cases').column('geohash').execute();
    await db.schema.createIndex('cases_created').on('cases').column('created_at').execute();
    await db.schema
      .createIndex('cases_contact_email')
      .on('cases')
      .expression(sql`lower(contact_email)`)
      .execute();

    await db.schema
      .createTable('case_events')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('case_id', 'integer', (c) =>
        c.notNull().references('cases.id').onDelete('cascade'),
      )
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'integer')
      .addColumn('actor_name', 'text')
      .addColumn('public', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('body', 'text')
      .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('case_events_case')
      .on('case_events')
      .columns(['case_id', 'id'])
      .execute();

    await db.schema
      .createTable('attachments')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('case_id', 'integer', (c) =>
        c.notNull().references('cases.id').onDelete('cascade'),
      )
      .addColumn('event_id', 'integer', (c) => c.references('case_events.id').onDelete('set null'))
      .addColumn('storage_key', 'text', (c) => c.notNull())
      .addColumn('filename', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('bytes', 'integer', (c) => c.notNull())
      .addColumn('public', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('attachments_case').on('attachments').column('case_id').execute();

    await db.schema
      .createTable('subscriptions')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('case_id', 'integer', (c) =>
        c.notNull().references('cases.id').onDelete('cascade'),
      )
      .addColumn('account_id', 'integer')
      .addColumn('email', 'text')
      .addColumn('token', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('subscriptions_case')
      .on('subscriptions')
      .column('case_id')
      .execute();
    await db.schema
      .createIndex('subscriptions_case_email')
      .on('subscriptions')
      .columns(['case_id', 'email'])
      .unique()
      .execute();
  },
};
