import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * Report categories administrators make or change in the back office: the whole definition,
 * checked by the same rules as the council's files, kept as JSON. A row with a file's code
 * replaces that file's definition; a retired one takes no new reports but still names its
 * old cases.
 */
export const serviceDefinitions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('service_definitions')
      .addColumn('service_code', 'text', (c) => c.primaryKey())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('retired_at', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
};
