import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * The contact log: calls and visits that made no case (a question answered, a resident
 * pointed to the right page). With assisted cases, these are what the channel-cost figures
 * are built from; "could have done it online" is what moving contact online could save.
 */
export const contactLog: Migration = {
  async up(db: Kysely<unknown>, { id }) {
    await db.schema
      .createTable('contact_log')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('agent_id', 'integer', (c) => c.notNull())
      // 'phone', 'face_to_face', 'email' or 'chat'.
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('service_code', 'text')
      // 'answered', 'signposted', 'referred', 'case_opened'.
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('could_be_online', 'integer', (c) => c.notNull())
      .addColumn('note', 'text')
      .execute();
    await db.schema.createIndex('contact_log_at').on('contact_log').columns(['at', 'id']).execute();
  },
};
