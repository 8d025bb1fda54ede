import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * A key the caller chooses for "this one submission", so a double-clicked Send or a
 * retried API call opens one case, not two.
 */
export const caseIdempotency: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('cases').addColumn('idempotency_key', 'text').execute();
    await db.schema
      .createIndex('cases_idempotency_key')
      .on('cases')
      .column('idempotency_key')
      .unique()
      .execute();
  },
};
