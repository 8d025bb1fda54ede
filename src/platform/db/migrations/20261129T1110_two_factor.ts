import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * Two-factor sign-in: the time step of the last code accepted (so a code cannot be used twice
 * in its window), and one-time recovery codes, stored only as fingerprints.
 */
export const twoFactor: Migration = {
  async up(db: Kysely<unknown>, { id }) {
    await db.schema.alterTable('accounts').addColumn('totp_last_step', 'integer').execute();
    await db.schema
      .createTable('account_recovery_codes')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('account_id', 'integer', (c) =>
        c.notNull().references('accounts.id').onDelete('cascade'),
      )
      .addColumn('code_hash', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('account_recovery_codes_account')
      .on('account_recovery_codes')
      .columns(['account_id', 'code_hash'])
      .execute();
  },
};
