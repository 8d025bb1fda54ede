import { sql, type Kysely } from 'kysely';
import type { Migration } from './index.js';

/**
 * The back office: a staff member's team, the indexes its queues read (a team's open cases by
 * due date, someone's assigned cases), and the audit log, which the database itself refuses
 * to change or delete from.
 */
export const backOffice: Migration = {
  async up(db: Kysely<unknown>, { id, dialect }) {
    await db.schema.alterTable('accounts').addColumn('team', 'text').execute();
    // Queues of open cases, soonest due first (cases/queries.ts DUE_ORDER): a team's, everyone's,
    // and one person's. Partial, so closed cases — most of them, in time — cost nothing here.
    await sql`create index cases_open_queue on cases
      (team, coalesce(due_at, '9999-12-31'), id) where closed_at is null`.execute(db);
    await sql`create index cases_open_all on cases
      (coalesce(due_at, '9999-12-31'), id) where closed_at is null`.execute(db);
    await sql`create index cases_open_assignee on cases
      (assignee_id, coalesce(due_at, '9999-12-31'), id) where closed_at is null`.execute(db);
    await db.schema
      .createTable('audit_log')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'integer')
      .addColumn('actor_name', 'text', (c) => c.notNull())
      // e.g. 'case.status', 'case.assign', 'staff.create'.
      .addColumn('action', 'text', (c) => c.notNull())
      // e.g. 'case' and its reference, 'account' and its id.
      .addColumn('target_type', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      // JSON of the fields that changed, as they were and as they became.
      .addColumn('before', 'text')
      .addColumn('after', 'text')
      .execute();
    await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at', 'id']).execute();
    await db.schema
      .createIndex('audit_log_actor')
      .on('audit_log')
      .columns(['actor_id', 'at'])
      .execute();
    await db.schema
      .createIndex('audit_log_target')
      .on('audit_log')
      .columns(['target_type', 'target'])
      .execute();

    // Append-only, enforced where no application bug can get round it.
    if (dialect === 'postgres') {
      await sql`create function audit_log_append_only() returns trigger language plpgsql as $$
        begin raise exception 'the audit log cannot be changed'; end $$`.execute(db);
      await sql`create trigger audit_log_no_update before update or delete on audit_log
        for each row execute function audit_log_append_only()`.execute(db);
    } else {
      await sql`create trigger audit_log_no_update before update on audit_log
        begin select raise(abort, 'the audit log cannot be changed'); end`.execute(db);
      await sql`create trigger audit_log_no_delete before delete on audit_log
        begin select raise(abort, 'the audit log cannot be changed'); end`.execute(db);
    }
  },
};
