import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/** Signed-in residents save forms to their account instead of to an emailed link. */
export const savedFormsAccounts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('saved_forms').addColumn('account_id', 'integer').execute();
    await db.schema
      .createIndex('saved_forms_account')
      .on('saved_forms')
      .columns(['account_id', 'service_code'])
      .execute();
  },
};
