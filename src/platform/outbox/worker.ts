import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import type { DB } from '../db/types.js';

export interface JobContext {
  id: number;
  type: string;
  /** 1 on the first try. */
  attempt: number;
}

export type JobHandler = (payload: unknown, job: JobContext) => Promise<void>;

export interface WorkerOptions {
  handlers: ReadonlyMap<string, JobHandler>;
  logger: Logger;
  /** How many jobs one claim takes. */
  batchSize?: number;
  /**
   * How many of a claimed batch run at once. Sending mail or a push is mostly waiting on
   * the network, so a few at a time multiplies throughput; 1 runs them one after another.
   */
  concurrency?: number;
  /** Idle wait between polls when there was nothing to do. */
  pollMs?: number;
  /** How long a claimed job is ours; a worker that dies mid-job loses it to another after this. */
  leaseMs?: number;
  /** First retry delay; doubles each try up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Delay before retry number `attempt` (1-based): exponential, capped, with ±20 % jitter so retries spread out. */
export function backoffMs(
  attempt: number,
  base: number,
  max: number,
  random = Math.random,
): number {
  const exponential = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

/**
 * Runs outbox jobs. Any number of workers, in any number of processes, may run against
 * one database: on PostgreSQL each claim takes rows with FOR UPDATE SKIP LOCKED, so two
 * workers never take the same job; on SQLite the single writer serialises claims.
 */
export class Worker {
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly database: Database<DB>,
    private readonly options: WorkerOptions,
  ) {
    this.concurrency = options.concurrency ?? 1;
    // Enough in a claim to keep every lane busy, and few claims (each is two statements).
    this.batchSize = options.batchSize ?? Math.max(10, 8 * this.concurrency);
    this.pollMs = options.pollMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.baseBackoffMs = options.baseBackoffMs ?? 2000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60 * 60_000;
  }

  /** Claims up to one batch of due jobs and runs them; returns how many it ran. */
  async runOnce(now = new Date()): Promise<number> {
    const jobs = await this.claim(now);
    const queue = [...jobs];
    const done: number[] = [];
    const lane = async () => {
      for (let job = queue.shift(); job; job = queue.shift())
        if (await this.run(job, now)) done.push(job.id);
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, jobs.length) }, lane));
    // One write marks the whole batch done, not one per job: on PostgreSQL each commit waits
    // for the disk. A worker that dies before this line leaves them to be run again when their
    // lease runs out, which handlers allow for (the outbox is at-least-once).
    if (done.length > 0)
      await this.database.db
        .updateTable('jobs')
        .set({
          status: 'done',
          finished_at: now.toISOString(),
          locked_by: null,
          locked_until: null,
          last_error: null,
        })
        .where('id', 'in', done)
        .where('locked_by', '=', this.id)
        .execute();
    return jobs.length;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        let ran = 0;
        try {
          ran = await this.runOnce();
        } catch (err) {
          this.options.logger.error({ err }, 'outbox worker could not claim jobs');
        }
        // stop() may have run while we awaited; TypeScript can't see that.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
        if (ran === 0 && this.running) await this.sleep();
      }
    })();
  }

  /** Wakes an idle worker now, e.g. right after a request enqueued a job. */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.poke();
    await this.loop;
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async claim(now: Date) {
    const { db, dialect } = this.database;
    const nowIso = now.toISOString();
    // A job whose worker died on every try (it may be what kills the worker) is given up,
    // not handed to the next worker for ever.
    await db
      .updateTable('jobs')
      .set({
        status: 'dead',
        finished_at: nowIso,
        locked_by: null,
        locked_until: null,
        last_error: 'The worker stopped while running this job, on every try',
      })
      .where('status', '=', 'running')
      .where('locked_until', '<', nowIso)
      .whereRef('attempts', '>=', 'max_attempts')
      .execute();
    const due = db
      .selectFrom('jobs')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'pending'), eb('run_at', '<=', nowIso)]),
          // A job whose worker died mid-run becomes claimable when its lease runs out.
          eb.and([eb('status', '=', 'running'), eb('locked_until', '<', nowIso)]),
        ]),
      )
      .orderBy('run_at')
      .orderBy('id')
      .limit(this.batchSize)
      .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked());
    return db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        locked_by: this.id,
        locked_until: new Date(now.getTime() + this.leaseMs).toISOString(),
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', 'in', due)
      .returningAll()
      .execute();
  }

  /** Runs one job; true if it succeeded (runOnce marks it done), false if it was rescheduled or is dead. */
  private async run(
    job: { id: number; type: string; payload: string; attempts: number; max_attempts: number },
    now: Date,
  ): Promise<boolean> {
    const { db } = this.database;
    // Made only when there is something to log: a child logger per job costs more than the job's own UPDATE.
    const log = () =>
      this.options.logger.child({ jobId: job.id, jobType: job.type, attempt: job.attempts });
    const handler = this.options.handlers.get(job.type);
    try {
      if (!handler) throw new Error(`No handler for job type "${job.type}"`);
      await handler(JSON.parse(job.payload), { id: job.id, type: job.type, attempt: job.attempts });
      return true;
    } catch (err) {
      const dead = job.attempts >= job.max_attempts;
      const retryAt = new Date(
        now.getTime() + backoffMs(job.attempts, this.baseBackoffMs, this.maxBackoffMs),
      );
      await db
        .updateTable('jobs')
        .set({
          status: dead ? 'dead' : 'pending',
          run_at: dead ? now.toISOString() : retryAt.toISOString(),
          finished_at: dead ? now.toISOString() : null,
          locked_by: null,
          locked_until: null,
          last_error: (err instanceof Error ? err.message : String(err)).slice(0, 2000),
        })
        .where('id', '=', job.id)
        .where('locked_by', '=', this.id)
        .execute();
      if (dead) log().error({ err }, 'outbox job failed for the last time and is dead');
      else log().warn({ err, retryAt }, 'outbox job failed; will retry');
      return false;
    }
  }
}
