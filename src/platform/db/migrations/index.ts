import { Migrator, type Kysely, type Migration as KyselyMigration } from 'kysely';
import type { Database, Dialect } from '../database.js';
import { caseSpine } from './20261129T0600_case_spine.js';
import { outboxAndSessions } from './20261129T0601_outbox_and_sessions.js';
import { caseIdempotency } from './20261129T0700_case_idempotency.js';
import { savedForms } from './20261129T0710_saved_forms.js';
import { casesNearIndex } from './20261129T0900_cases_near_index.js';
import { accounts } from './20261129T1000_accounts.js';
import { savedFormsAccounts } from './20261129T1100_saved_forms_accounts.js';
import { twoFactor } from './20261129T1110_two_factor.js';
import { accountIdentities } from './20261129T1120_account_identities.js';
import { accountProfile } from './20261129T1130_account_profile.js';
import { notifications } from './20261129T1200_notifications.js';
import { backOffice } from './20261129T1300_back_office.js';
import { contactLog } from './20261129T1310_contact_log.js';
import { serviceSettings } from './20261129T1320_service_settings.js';
import { serviceDefinitions } from './20261129T1330_service_definitions.js';
import { liveChat } from './20261129T1400_live_chat.js';
import { open311 } from './20261207T1000_open311.js';
import { open311Sending } from './20261207T2100_open311_sending.js';

/** What a migration may need to know about the engine it runs on. */
export interface MigrationContext {
  dialect: Dialect;
  /** The auto-incrementing id column type for this engine. */
  id: 'integer' | 'bigserial';
}

export interface Migration {
  up(db: Kysely<unknown>, context: MigrationContext): Promise<void>;
}

/** Listed explicitly, in order, so a build never depends on reading a folder at run time. */
const MIGRATIONS: Record<string, Migration> = {
  '20261129T0600_case_spine': caseSpine,
  '20261129T0601_outbox_and_sessions': outboxAndSessions,
  '20261129T0700_case_idempotency': caseIdempotency,
  '20261129T0710_saved_forms': savedForms,
  '20261129T0900_cases_near_index': casesNearIndex,
  '20261129T1000_accounts': accounts,
  '20261129T1100_saved_forms_accounts': savedFormsAccounts,
  '20261129T1110_two_factor': twoFactor,
  '20261129T1120_account_identities': accountIdentities,
  '20261129T1130_account_profile': accountProfile,
  '20261129T1200_notifications': notifications,
  '20261129T1300_back_office': backOffice,
  '20261129T1310_contact_log': contactLog,
  '20261129T1320_service_settings': serviceSettings,
  '20261129T1330_service_definitions': serviceDefinitions,
  '20261129T1400_live_chat': liveChat,
  '20261207T1000_open311': open311,
  '20261207T2100_open311_sending': open311Sending,
};

/** Brings the schema up to date; returns the names of the migrations it ran. */
export async function migrateToLatest<T>(database: Database<T>): Promise<string[]> {
  const { dialect, schema } = database;
  // Migrations describe the schema before the current types existed, so they see an untyped database.
  const db = database.db as unknown as Kysely<unknown>;
  // SQLite's `integer primary key` is already an auto-incrementing rowid.
  const context: MigrationContext = {
    dialect,
    id: dialect === 'postgres' ? 'bigserial' : 'integer',
  };
  const migrations: Record<string, KyselyMigration> = Object.fromEntries(
    Object.entries(MIGRATIONS).map(([name, m]) => [
      name,
      { up: (db: Kysely<unknown>) => m.up(db, context) },
    ]),
  );
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    // Kysely looks for its own tables across every schema unless told which one is ours.
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error)
    throw error instanceof Error ? error : new Error(`Migration failed: ${JSON.stringify(error)}`);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
