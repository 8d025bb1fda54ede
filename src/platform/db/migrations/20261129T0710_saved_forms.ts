import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/** Forms a resident saved to finish later: answers sealed at rest, found by a token's fingerprint. */
export const savedForms: Migration = {
  async up(db: Kysely<unknown>, { id }) {
    await db.schema
      .createTable('saved_forms')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('service_code', 'text', (c) => c.notNull())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('saved_forms_expires')
      .on('saved_forms')
      .column('expires_at')
      .execute();
  },
};
