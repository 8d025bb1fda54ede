import type { Kysely } from 'kysely';
import type { DB } from '../db/types.js';

export interface JobSpec {
  /** Which handler runs it, e.g. 'case.notify'. */
  type: string;
  payload: unknown;
  /** Not before this time; defaults to now. */
  runAt?: Date;
  /** Tries before the job is given up as dead; defaults to 8 (about four minutes of backoff). */
  maxAttempts?: number;
}

/**
 * Adds a job to the outbox. Pass the transaction that makes the change the job is about,
 * so the job exists if and only if the change does.
 */
export async function enqueue(db: Kysely<DB>, job: JobSpec, now = new Date()): Promise<number> {
  const row = await db
    .insertInto('jobs')
    .values({
      type: job.type,
      payload: JSON.stringify(job.payload ?? null),
      status: 'pending',
      attempts: 0,
      max_attempts: job.maxAttempts ?? 8,
      run_at: (job.runAt ?? now).toISOString(),
      created_at: now.toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Adds a job unless one of the same type and payload is already waiting or running: for
 * schedules that each start-up makes sure of, which must not pile up a job per start.
 */
export async function enqueueOnce(db: Kysely<DB>, job: JobSpec, now = new Date()): Promise<void> {
  const waiting = await db
    .selectFrom('jobs')
    .select('id')
    .where('type', '=', job.type)
    .where('payload', '=', JSON.stringify(job.payload ?? null))
    .where('status', 'in', ['pending', 'running'])
    .executeTakeFirst();
  if (!waiting) await enqueue(db, job, now);
}
