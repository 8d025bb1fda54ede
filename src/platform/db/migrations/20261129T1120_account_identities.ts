import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * Sign-in with an external identity provider (OpenID Connect): which account each person at
 * each provider is. A provider names a person by its issuer and a subject that never changes,
 * unlike their email address.
 */
export const accountIdentities: Migration = {
  async up(db: Kysely<unknown>, { id }) {
    await db.schema
      .createTable('account_identities')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('account_id', 'integer', (c) =>
        c.notNull().references('accounts.id').onDelete('cascade'),
      )
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_signed_in_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('account_identities_issuer_subject', ['issuer', 'subject'])
      .execute();
    await db.schema
      .createIndex('account_identities_account')
      .on('account_identities')
      .column('account_id')
      .execute();
  },
};
