import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/types.js';

export interface AuditEntry {
  actor: { id: number | null; name: string };
  /** e.g. 'case.status', 'case.note', 'staff.role'. */
  action: string;
  target: { type: string; id: string };
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** Records a staff action; pass the transaction that makes the change, so both or neither happen. */
export async function audit(db: Kysely<DB>, entry: AuditEntry, now = new Date()): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: now.toISOString(),
      actor_id: entry.actor.id,
      actor_name: entry.actor.name,
      action: entry.action,
      target_type: entry.target.type,
      target: entry.target.id,
      before: entry.before ? JSON.stringify(entry.before) : null,
      after: entry.after ? JSON.stringify(entry.after) : null,
    })
    .execute();
}

export interface AuditFilters {
  actorId?: number | undefined;
  action?: string | undefined;
  target?: string | undefined;
  /** ISO dates, inclusive. */
  from?: string | undefined;
  to?: string | undefined;
  beforeId?: number | undefined;
}

/** Newest first, a page at a time (keyset on id, so page 500 is as quick as page 1). */
export function auditLog(db: Kysely<DB>, filters: AuditFilters, limit: number) {
  return db
    .selectFrom('audit_log')
    .selectAll()
    .$if(filters.actorId !== undefined, (q) => q.where('actor_id', '=', filters.actorId ?? 0))
    .$if(Boolean(filters.action), (q) => q.where('action', '=', filters.action ?? ''))
    .$if(Boolean(filters.target), (q) => q.where('target', '=', filters.target ?? ''))
    .$if(Boolean(filters.from), (q) => q.where('at', '>=', filters.from ?? ''))
    .$if(Boolean(filters.to), (q) => q.where('at', '<', `${filters.to ?? ''}T99`))
    .$if(filters.beforeId !== undefined, (q) => q.where('id', '<', filters.beforeId ?? 0))
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
