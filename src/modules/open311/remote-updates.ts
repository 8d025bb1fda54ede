import type { Kysely } from 'kysely';
import type { Open311Endpoint } from '../../platform/config.js';
import type { DB } from '../../platform/db/types.js';
import { enqueue, enqueueOnce } from '../../platform/outbox/outbox.js';
import type { CaseService } from '../cases/service.js';
import { WINDOW_DAYS } from './dates.js';
import type { Open311Outgoing } from './outgoing.js';
import * as q from './queries.js';
import { RemoteOpen311, type RemoteUpdate } from './remote.js';
import { STATUS_FROM_OPEN311, UPDATES_MAX } from './updates.js';

/**
 * Reading back what happens to the reports sent to other Open311 servers: each server's
 * servicerequestupdates feed is read on its schedule (council.yaml updatesEveryMinutes) by a
 * self-renewing outbox job, and each update for a report we sent is applied as a member of
 * staff's would be (`updateForResident`: the same timeline entry, the same email to the
 * resident). Updates they push to us instead (POST servicerequestupdates with our id) need
 * nothing here: updates.ts takes those.
 */

export const FETCH_JOB = 'open311.fetch-updates';
export interface FetchPayload {
  endpoint: string;
}

/**
 * Each read goes back this far before the time of the last one: an update their server
 * stamped just before we read but committed just after (or stamped by a clock a little
 * behind ours) is still seen. Updates read twice are applied once.
 */
export const LOOKBACK_MS = 60 * 60_000;
const DAY = 24 * 60 * 60_000;

export class RemoteUpdates {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly cases: CaseService,
    private readonly outgoing: Open311Outgoing,
    private readonly settings: { endpoints: readonly Open311Endpoint[]; clock?: () => Date },
  ) {}

  private now(): Date {
    return this.settings.clock?.() ?? new Date();
  }

  /**
   * Makes sure each server has its schedule and its next fetch queued. Every worker runs this
   * as it starts; a server added to council.yaml is read from then on.
   */
  async schedule(): Promise<void> {
    const now = this.now();
    for (const endpoint of this.settings.endpoints) {
      const payload: FetchPayload = { endpoint: endpoint.id };
      await q.ensureFetch(this.db, endpoint.id, now.toISOString(), now.toISOString());
      const state = await q.findFetch(this.db, endpoint.id);
      const runAt = new Date(state?.next_fetch_at ?? now.toISOString());
      await enqueueOnce(this.db, { type: FETCH_JOB, payload, runAt }, now);
    }
  }

  /**
   * The outbox job: queues the next read first, then reads. A read that fails is kept on the
   * schedule's row and returned to be logged, not thrown: the next read is already queued and
   * covers the same window, so retrying sooner would only add load to a server in trouble.
   */
  async run(payload: FetchPayload): Promise<Error | undefined> {
    const endpoint = this.settings.endpoints.find((e) => e.id === payload.endpoint);
    // Taken out of council.yaml: its schedule ends with this job.
    if (!endpoint) return undefined;
    const now = this.now();
    const next = new Date(now.getTime() + endpoint.updatesEveryMinutes * 60_000);
    const due = await this.db.transaction().execute(async (trx) => {
      if (!(await q.claimFetch(trx, endpoint.id, now.toISOString(), next.toISOString())))
        return false;
      await enqueue(trx, { type: FETCH_JOB, payload, runAt: next }, now);
      return true;
    });
    // Not due: another worker's job read it, or this is a second job for the same schedule.
    if (!due) return undefined;
    try {
      await this.fetch(endpoint);
      return undefined;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      await q.updateFetch(this.db, endpoint.id, { last_error: error.message.slice(0, 2000) });
      return error;
    }
  }

  /** One read: tokens swapped for ids, then every update since the last read applied once. */
  async fetch(endpoint: Open311Endpoint): Promise<void> {
    await this.outgoing.resolveTokens(endpoint);
    const now = this.now();
    const state = await q.findFetch(this.db, endpoint.id);
    const from = new Date(state?.updates_since ?? now.getTime() - LOOKBACK_MS);
    // A server down for months is caught up 90 days (Open311's longest window) a read.
    const to = new Date(Math.min(now.getTime(), from.getTime() + WINDOW_DAYS * DAY));
    const updates = (await new RemoteOpen311(endpoint).updates({ from, to })).sort(
      (a, b) => a.updatedAt.getTime() - b.updatedAt.getTime(),
    );
    const ours = await q.casesByExternalId(this.db, endpoint.id, [
      ...new Set(updates.map((u) => u.requestId)),
    ]);
    for (const update of updates) {
      const caseId = ours.get(update.requestId);
      // Their feed lists every report they have; only those we sent are ours to update.
      if (caseId !== undefined) await this.apply(endpoint, caseId, update);
    }
    const last = updates.at(-1);
    // A full answer may have more after it: start the next read at its last update.
    const since =
      updates.length >= UPDATES_MAX && last
        ? last.updatedAt
        : new Date(Math.max(from.getTime(), to.getTime() - LOOKBACK_MS));
    await q.updateFetch(this.db, endpoint.id, {
      updates_since: since.toISOString(),
      last_fetched_at: now.toISOString(),
      last_error: null,
    });
  }

  /** One of their updates on our case, as staff would make it; an update_id seen before is skipped. */
  private async apply(endpoint: Open311Endpoint, caseId: number, update: RemoteUpdate) {
    if (await q.findReceived(this.db, endpoint.id, update.updateId)) return;
    try {
      await this.cases.transaction(async (cases, trx) => {
        const found = await cases.getById(caseId);
        if (!found) return;
        // A report the council hid stays hidden: their update is noted as read, not shown.
        const event =
          found.status === 'hidden'
            ? undefined
            : await cases.updateForResident(
                caseId,
                {
                  status: statusFor(update.status, found),
                  text: update.description || null,
                  data: {
                    open311: {
                      endpoint: endpoint.id,
                      updateId: update.updateId,
                      status: update.status,
                    },
                    ...(update.mediaUrl ? { mediaUrl: update.mediaUrl } : {}),
                  },
                },
                { type: 'system', name: endpoint.name },
              );
        await q.insertReceived(trx, {
          endpoint_id: endpoint.id,
          update_id: update.updateId,
          case_id: caseId,
          event_id: event?.id ?? null,
          created_at: this.now().toISOString(),
        });
      });
    } catch (err) {
      // Applied by another read at the same moment: the unique constraint kept it to one.
      if (await q.findReceived(this.db, endpoint.id, update.updateId)) return;
      throw err;
    }
  }
}

/**
 * Their status as one of Report It's (updates.ts maps the extension's). A server with only
 * the spec's open and closed says OPEN of every open report, which must not undo our own
 * "investigating" or "action scheduled"; a status we don't know keeps the report's own.
 */
export function statusFor(theirs: string, found: { status: string; open311: string }): string {
  if (theirs === 'OPEN' && found.open311 === 'open') return found.status;
  return STATUS_FROM_OPEN311[theirs] ?? found.status;
}
