import type { Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * Residents' accounts (My Account): the account itself, the one-time tokens emailed to it
 * (stored only as fingerprints), the throttle on failed sign-ins, and which updates of each
 * case the resident has seen.
 */
export const accounts: Migration = {
  async up(db: Kysely<unknown>, { id }) {
    await db.schema
      .createTable('accounts')
      .addColumn('id', id, (c) => c.primaryKey())
      // Always stored lower-case, so the unique constraint is case-insensitive.
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('email_verified_at', 'text')
      .addColumn('name', 'text')
      // A PHC string ($scrypt$ln=15,r=8,p=1$salt$hash); null for people who sign in by emailed link.
      .addColumn('password_hash', 'text')
      .addColumn('role', 'text', (c) => c.notNull().defaultTo('resident'))
      // Sealed TOTP secret, for two-factor sign-in (not yet offered).
      .addColumn('totp_secret', 'text')
      // "Sign out of all devices": sessions signed in before this time are no longer valid.
      .addColumn('sessions_valid_after', 'text', (c) => c.notNull())
      .addColumn('last_signed_in_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('account_tokens')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('account_id', 'integer', (c) =>
        c.notNull().references('accounts.id').onDelete('cascade'),
      )
      .addColumn('purpose', 'text', (c) => c.notNull())
      // The address the link was sent to: using the link proves the resident reads it.
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('return_to', 'text')
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('account_tokens_account')
      .on('account_tokens')
      .columns(['account_id', 'purpose'])
      .execute();
    await db.schema
      .createIndex('account_tokens_expires')
      .on('account_tokens')
      .column('expires_at')
      .execute();

    await db.schema
      .createTable('account_attempts')
      .addColumn('id', id, (c) => c.primaryKey())
      // What is being throttled, e.g. failed sign-ins for one email address (as a fingerprint).
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('account_attempts_key')
      .on('account_attempts')
      .columns(['key', 'created_at'])
      .execute();
    await db.schema
      .createIndex('account_attempts_created')
      .on('account_attempts')
      .column('created_at')
      .execute();

    await db.schema
      .createTable('account_case_views')
      .addColumn('account_id', 'integer', (c) =>
        c.notNull().references('accounts.id').onDelete('cascade'),
      )
      .addColumn('case_id', 'integer', (c) =>
        c.notNull().references('cases.id').onDelete('cascade'),
      )
      // The newest public event the resident has seen on the case's page.
      .addColumn('last_event_id', 'integer', (c) => c.notNull())
      .addColumn('viewed_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('account_case_views_pk', ['account_id', 'case_id'])
      .execute();
  },
};
