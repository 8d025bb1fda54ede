import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * What administrators change in the back office over what the council's files say: which
 * team handles a service and its SLA in working days, and the cost of a transaction on each
 * channel. A row overrides the file; no row, the file holds.
 */
export const serviceSettings: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('service_settings')
      .addColumn('service_code', 'text', (c) => c.primaryKey())
      .addColumn('team', 'text', (c) => c.notNull())
      .addColumn('sla_days', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('unit_costs')
      .addColumn('channel', 'text', (c) => c.primaryKey())
      // Whole pence per transaction.
      .addColumn('pence', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
};
