import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Channel } from '../../platform/config.js';
import { CHANNELS } from '../../platform/config.js';
import type { DB } from '../../platform/db/types.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import {
  coveringRanges,
  distanceMetres,
  FURTHEST_METRES,
  geohashOf,
  type Point,
} from '../../platform/geo/geo.js';
import { enqueue } from '../../platform/outbox/outbox.js';
import {
  CASE_KINDS,
  type CaseKindName,
  initialStatus,
  isCaseKind,
  KIND_NAMES,
  statusDefinition,
  type StatusDefinition,
  type Open311State,
} from './kinds.js';
import * as q from './queries.js';
import { newReference, parseReference } from './reference.js';

export type EventType =
  | 'created'
  | 'status_changed'
  | 'public_update'
  | 'internal_note'
  | 'assigned'
  | 'attachment_added'
  | 'message'
  /** Internal: the date it should be done by was set or changed. */
  | 'due_date_set'
  /** Internal: moved to another team. */
  | 'moved'
  /** Internal: a notification could not be delivered (a bounce, an invalid number). */
  | 'notification_failed'
  /** Internal: the resident's answer to the satisfaction question when it closed. */
  | 'feedback';

export interface Actor {
  type: 'resident' | 'staff' | 'system';
  id?: number | null;
  name?: string | null;
}

export interface Case {
  id: number;
  ref: string;
  serviceCode: string;
  kind: CaseKindName;
  status: string;
  statusLabel: string;
  open311: Open311State;
  channel: Channel;
  accountId: number | null;
  contact: { name: string | null; email: string | null; phone: string | null };
  title: string;
  data: Record<string, unknown>;
  location: Point | null;
  team: string | null;
  assigneeId: number | null;
  dueAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
}

export interface CaseEvent {
  id: number;
  caseId: number;
  type: EventType;
  actor: Actor;
  public: boolean;
  body: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface OpenCaseInput {
  serviceCode: string;
  /** Three letters, no I, L, O or U: the start of the reference residents quote. */
  refPrefix: string;
  kind: CaseKindName;
  channel: Channel;
  title: string;
  data?: Record<string, unknown>;
  accountId?: number | null;
  contact?: { name?: string | null; email?: string | null; phone?: string | null };
  location?: Point | null;
  team?: string | null;
  dueAt?: Date | null;
  /** Who opened it: the resident themselves, or staff recording a call or visit for them. */
  actor: Actor;
  /** Text shown first on the resident's timeline; defaults to "We received your <noun>." */
  createdText?: string;
  /** Opening again with the same key returns the first case instead of a second one. */
  idempotencyKey?: string;
}

export interface RecordEventInput {
  type: EventType;
  actor: Actor;
  public: boolean;
  body?: string | null;
  data?: Record<string, unknown>;
}

/** The job that asks a resident, some weeks after "fixed", whether it really is (kinds.ts checkAfterDays). */
export const CHECK_RESOLVED_JOB = 'case.check-resolved';
export interface CheckResolvedPayload {
  caseId: number;
  /** The status change that started the wait; a later change makes the question moot. */
  eventId: number;
}

/** The job the outbox runs to tell subscribers about a public event. */
export const NOTIFY_JOB = 'case.notify';
export interface NotifyPayload {
  caseId: number;
  eventId: number;
}

/**
 * The Case spine's API (DESIGN.md §1). Every module opens and changes cases through this,
 * so each change is one transaction holding the case, its timeline event and its outbox job.
 */
export class CaseService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: () => Date = () => new Date(),
    private readonly inTransaction = false,
  ) {}

  /** Runs `work` with a CaseService bound to one transaction, for modules that write more alongside. */
  transaction<T>(work: (cases: CaseService, trx: Kysely<DB>) => Promise<T>): Promise<T> {
    if (this.inTransaction) return work(this, this.db);
    return this.db
      .transaction()
      .execute((trx) => work(new CaseService(trx, this.clock, true), trx));
  }

  async openCase(input: OpenCaseInput): Promise<Case> {
    if (!isCaseKind(input.kind))
      throw new ValidationError(`Unknown case kind "${input.kind as string}"`);
    if (!(CHANNELS as readonly string[]).includes(input.channel))
      throw new ValidationError(`Unknown channel "${input.channel as string}"`);
    if (!input.title.trim()) throw new ValidationError('A case needs a title', 'title');
    const now = this.clock().toISOString();
    if (input.idempotencyKey) {
      const existing = await q.findByIdempotencyKey(this.db, input.idempotencyKey);
      if (existing) return toCase(existing);
    }
    try {
      return await this.insertCase(input, now);
    } catch (err) {
      // Two requests with one key raced: the unique index let one through; return that one.
      const winner =
        input.idempotencyKey && (await q.findByIdempotencyKey(this.db, input.idempotencyKey));
      if (winner) return toCase(winner);
      throw err;
    }
  }

  private insertCase(input: OpenCaseInput, now: string): Promise<Case> {
    return this.transaction(async (cases, trx) => {
      const ref = await uniqueReference(trx, input.refPrefix);
      const row = await q.insertCase(trx, {
        ref,
        service_code: input.serviceCode,
        kind: input.kind,
        status: initialStatus(input.kind),
        channel: input.channel,
        account_id: input.accountId ?? null,
        contact_name: input.contact?.name ?? null,
        contact_email: input.contact?.email?.trim().toLowerCase() ?? null,
        contact_phone: input.contact?.phone ?? null,
        title: input.title.trim(),
        data: JSON.stringify(input.data ?? {}),
        lat: input.location?.lat ?? null,
        lng: input.location?.lng ?? null,
        geohash: input.location ? geohashOf(input.location) : null,
        team: input.team ?? null,
        due_at: input.dueAt?.toISOString() ?? null,
        idempotency_key: input.idempotencyKey ?? null,
        created_at: now,
        updated_at: now,
      });
      if (row.contact_email || row.account_id !== null) {
        await q.addSubscription(trx, {
          case_id: row.id,
          account_id: row.account_id,
          email: row.contact_email,
          token: randomBytes(18).toString('base64url'),
          created_at: now,
        });
      }
      await cases.recordEvent(row.id, {
        type: 'created',
        actor: input.actor,
        public: true,
        body: input.createdText ?? receivedText(input.kind),
        data: { channel: input.channel },
      });
      return toCase(row);
    });
  }

  /** Adds a timeline event; a public one also queues a notification to the case's subscribers. */
  async recordEvent(caseId: number, input: RecordEventInput): Promise<CaseEvent> {
    return this.transaction(async (_cases, trx) => {
      const now = this.clock();
      const row = await q.insertEvent(trx, {
        case_id: caseId,
        type: input.type,
        actor_type: input.actor.type,
        actor_id: input.actor.id ?? null,
        actor_name: input.actor.name ?? null,
        public: input.public ? 1 : 0,
        body: input.body ?? null,
        data: JSON.stringify(input.data ?? {}),
        created_at: now.toISOString(),
      });
      if (input.type !== 'created')
        await q.updateCase(trx, caseId, { updated_at: now.toISOString() });
      if (input.public) {
        const payload: NotifyPayload = { caseId, eventId: row.id };
        await enqueue(trx, { type: NOTIFY_JOB, payload }, now);
      }
      return toEvent(row);
    });
  }

  async changeStatus(
    caseId: number,
    status: string,
    actor: Actor,
    options: { publicText?: string | null; data?: Record<string, unknown> } = {},
  ): Promise<Case> {
    return (await this.statusChange(caseId, status, actor, options)).updated;
  }

  /**
   * What staff send from a case page, and a back office through Open311: a new status with
   * words for the resident if any, or with the same status, an update in words alone. The
   * resident hears of either the same way. Returns the timeline event it made, if any.
   */
  async updateForResident(
    caseId: number,
    input: { status: string; text: string | null; data?: Record<string, unknown> },
    actor: Actor,
  ): Promise<CaseEvent | undefined> {
    return this.transaction(async (cases) => {
      const current = await cases.getById(caseId);
      if (!current) throw new NotFoundError('That case does not exist.');
      if (input.status !== current.status)
        return (
          await cases.statusChange(caseId, input.status, actor, {
            publicText: input.text,
            ...(input.data ? { data: input.data } : {}),
          })
        ).event;
      if (!input.text) return undefined;
      return cases.recordEvent(caseId, {
        type: 'public_update',
        actor,
        public: true,
        body: input.text,
        ...(input.data ? { data: input.data } : {}),
      });
    });
  }

  private statusChange(
    caseId: number,
    status: string,
    actor: Actor,
    options: { publicText?: string | null; data?: Record<string, unknown> },
  ): Promise<{ updated: Case; event?: CaseEvent }> {
    return this.transaction(async (cases, trx) => {
      const current = await q.findById(trx, caseId);
      if (!current) throw new NotFoundError('That case does not exist.');
      const kind = current.kind as CaseKindName;
      const next = statusDefinition(kind, status);
      if (!next)
        throw new ValidationError(
          `"${status}" is not a status of a ${CASE_KINDS[kind].noun}`,
          'status',
        );
      if (status === current.status) return { updated: toCase(current) };
      const now = this.clock().toISOString();
      const updated = await q.updateCase(trx, caseId, {
        status,
        updated_at: now,
        closed_at: next.open311 === 'closed' ? (current.closed_at ?? now) : null,
      });
      const event = await cases.recordEvent(caseId, {
        type: 'status_changed',
        actor,
        public: true,
        body: options.publicText ?? null,
        data: { ...options.data, from: current.status, to: status },
      });
      if (next.checkAfterDays) {
        const payload: CheckResolvedPayload = { caseId, eventId: event.id };
        const runAt = new Date(this.clock().getTime() + next.checkAfterDays * 24 * 60 * 60_000);
        await enqueue(trx, { type: CHECK_RESOLVED_JOB, payload, runAt }, this.clock());
      }
      return { updated: toCase(updated), event };
    });
  }

  // ---- Working a case (the back office) -----------------------------------------------------

  /**
   * Checks, and takes, the version of the case the caller saw (its `updatedAt`, carried by the
   * page they acted from). Call it first in a transaction: if someone changed the case since,
   * it throws a ConflictError and nothing is overwritten.
   */
  async claimVersion(caseId: number, seen: string): Promise<void> {
    const now = this.clock().toISOString();
    if (!(await q.claimVersion(this.db, caseId, seen, now)))
      throw new ConflictError(
        'Someone else changed this case while you had it open. Check what they did below, then make your change again if it is still needed.',
      );
  }

  /** Open cases by kind and status, and how many are overdue: a team's, or everyone's. */
  openCounts(team: string | undefined) {
    return q.openCounts(this.db, team, this.clock().toISOString());
  }

  /** One page of cases for a staff queue, soonest due first unless asked otherwise. */
  async queue(filter: q.QueueFilter): Promise<Case[]> {
    return (await q.queue(this.db, filter)).map(toCase);
  }

  async assign(caseId: number, assignee: { id: number; name: string } | null, actor: Actor) {
    return this.transaction(async (cases, trx) => {
      const now = this.clock().toISOString();
      await q.updateCase(trx, caseId, { assignee_id: assignee?.id ?? null, updated_at: now });
      await cases.recordEvent(caseId, {
        type: 'assigned',
        actor,
        public: false,
        body: assignee ? `Assigned to ${assignee.name}.` : 'No longer assigned to anyone.',
        data: { assigneeId: assignee?.id ?? null },
      });
    });
  }

  async setDueDate(caseId: number, dueAt: Date | null, actor: Actor) {
    return this.transaction(async (cases, trx) => {
      const now = this.clock().toISOString();
      await q.updateCase(trx, caseId, { due_at: dueAt?.toISOString() ?? null, updated_at: now });
      await cases.recordEvent(caseId, {
        type: 'due_date_set',
        actor,
        public: false,
        body: dueAt ? `Due by ${dueAt.toISOString().slice(0, 10)}.` : 'No due date.',
        data: { dueAt: dueAt?.toISOString() ?? null },
      });
    });
  }

  /** Moves the case to another service of the same kind (a report filed under the wrong category), and to its team. */
  async moveToService(
    caseId: number,
    service: { code: string; name: string; team: string },
    actor: Actor,
  ) {
    return this.transaction(async (cases, trx) => {
      const current = await q.findById(trx, caseId);
      if (!current) throw new NotFoundError('That case does not exist.');
      const now = this.clock().toISOString();
      await q.updateCase(trx, caseId, {
        service_code: service.code,
        team: service.team,
        assignee_id: current.team === service.team ? current.assignee_id : null,
        updated_at: now,
      });
      await cases.recordEvent(caseId, {
        type: 'moved',
        actor,
        public: false,
        body: `Moved to ${service.name} (${service.team}).`,
        data: { fromService: current.service_code, toService: service.code, to: service.team },
      });
    });
  }

  /** Moves the case to another team; it leaves whoever had it, who is in the old team. */
  async moveToTeam(caseId: number, team: string, actor: Actor) {
    return this.transaction(async (cases, trx) => {
      const current = await q.findById(trx, caseId);
      if (!current) throw new NotFoundError('That case does not exist.');
      const now = this.clock().toISOString();
      await q.updateCase(trx, caseId, { team, assignee_id: null, updated_at: now });
      await cases.recordEvent(caseId, {
        type: 'moved',
        actor,
        public: false,
        body: `Moved from ${current.team ?? 'no team'} to ${team}.`,
        data: { from: current.team, to: team },
      });
    });
  }

  /**
   * Marks a case as a duplicate of another: its status becomes "duplicate" with a public note
   * pointing to the other, and everyone following it follows the other from now on.
   */
  async markDuplicate(caseId: number, originalId: number, actor: Actor): Promise<number> {
    return this.transaction(async (cases, trx) => {
      const [copy, original] = await Promise.all([
        q.findById(trx, caseId),
        q.findById(trx, originalId),
      ]);
      if (!copy || !original) throw new NotFoundError('That case does not exist.');
      if (copy.id === original.id)
        throw new ValidationError('A case cannot be a duplicate of itself', 'original');
      if (original.kind !== copy.kind || !statusDefinition(copy.kind as CaseKindName, 'duplicate'))
        throw new ValidationError(
          `Only a ${CASE_KINDS[copy.kind as CaseKindName].noun} of the same kind can be marked as a duplicate`,
          'original',
        );
      if (original.status === 'duplicate')
        throw new ValidationError(
          `${original.ref} is itself a duplicate. Mark this one as a duplicate of the case it points to.`,
          'original',
        );
      const now = this.clock().toISOString();
      await cases.changeStatus(copy.id, 'duplicate', actor, {
        publicText: `This is the same as ${original.ref}. Follow ${original.ref} for updates.`,
      });
      await q.updateCase(trx, copy.id, {
        data: JSON.stringify({ ...(JSON.parse(copy.data) as object), duplicateOf: original.ref }),
        updated_at: now,
      });
      const moved = await q.copySubscriptions(trx, copy.id, original.id, now);
      await cases.recordEvent(original.id, {
        type: 'internal_note',
        actor,
        public: false,
        body: `${copy.ref} was marked as a duplicate of this case. ${moved} ${moved === 1 ? 'person follows' : 'people follow'} this one now.`,
        data: { duplicate: copy.ref },
      });
      return moved;
    });
  }

  /** Records a file already in storage as one of the case's attachments. */
  async attach(
    caseId: number,
    file: {
      storageKey: string;
      filename: string;
      contentType: string;
      bytes: number;
      public: boolean;
    },
    actor: Actor,
  ): Promise<void> {
    await this.transaction(async (cases, trx) => {
      const event = await cases.recordEvent(caseId, {
        type: 'attachment_added',
        actor,
        public: false,
        data: { filename: file.filename },
      });
      await q.insertAttachment(trx, {
        case_id: caseId,
        event_id: event.id,
        storage_key: file.storageKey,
        filename: file.filename,
        content_type: file.contentType,
        bytes: file.bytes,
        public: file.public ? 1 : 0,
        created_at: event.createdAt.toISOString(),
      });
    });
  }

  /**
   * Changes some of a case's `data` (e.g. staff setting an expected fix date) and records why
   * on the timeline, in one transaction, so the change and its event never part.
   */
  async updateData(
    caseId: number,
    changes: Record<string, unknown>,
    event: RecordEventInput,
  ): Promise<Case> {
    return this.transaction(async (cases, trx) => {
      const current = await q.findById(trx, caseId);
      if (!current) throw new NotFoundError('That case does not exist.');
      const data = { ...(JSON.parse(current.data) as Record<string, unknown>), ...changes };
      await q.updateCase(trx, caseId, {
        data: JSON.stringify(data),
        updated_at: this.clock().toISOString(),
      });
      await cases.recordEvent(caseId, event);
      return toCase({ ...current, data: JSON.stringify(data) });
    });
  }

  /** Shows or hides one of a case's attachments (e.g. a photo) on public pages. */
  async setAttachmentPublic(caseId: number, storageKey: string, shown: boolean, actor: Actor) {
    await this.transaction(async (cases, trx) => {
      await q.setAttachmentPublic(trx, caseId, storageKey, shown);
      await cases.recordEvent(caseId, {
        type: 'internal_note',
        actor,
        public: false,
        body: shown
          ? 'Photo shown again on the public report.'
          : 'Photo hidden from the public report.',
        data: { attachment: storageKey, public: shown },
      });
    });
  }

  async attachments(caseId: number) {
    return q.listAttachments(this.db, caseId);
  }

  /** Looks a case up by the reference a resident typed; a malformed one throws InvalidReferenceError. */
  async getByRef(input: string): Promise<Case | undefined> {
    const row = await q.findByRef(this.db, parseReference(input));
    return row && toCase(row);
  }

  async getByIdempotencyKey(key: string): Promise<Case | undefined> {
    const row = await q.findByIdempotencyKey(this.db, key);
    return row && toCase(row);
  }

  async getById(id: number): Promise<Case | undefined> {
    const row = await q.findById(this.db, id);
    return row && toCase(row);
  }

  /** Cases of a kind by reference, service, status and when they were made, newest first. */
  async list(filter: q.ListFilter): Promise<Case[]> {
    return (await q.listCases(this.db, filter)).map(toCase);
  }

  /**
   * Public status changes and updates in a window, oldest first, each with the status its
   * case had once it was made (a status change's new one, otherwise the one before it).
   */
  async publicEvents(filter: q.PublicEventFilter) {
    const rows = await q.publicEvents(this.db, filter);
    return rows.map((row) => {
      const data = JSON.parse(row.data) as Record<string, unknown>;
      const before = row.status_before
        ? (JSON.parse(row.status_before) as Record<string, unknown>)
        : undefined;
      const kind = row.kind as CaseKindName;
      return {
        id: row.id,
        ref: row.ref,
        type: row.type as EventType,
        body: row.body,
        data,
        status: String(
          row.type === 'status_changed' ? data.to : (before?.to ?? initialStatus(kind)),
        ),
        createdAt: new Date(row.created_at),
      };
    });
  }

  async timeline(caseId: number, options: { publicOnly: boolean }): Promise<CaseEvent[]> {
    return (await q.listEvents(this.db, caseId, options.publicOnly)).map(toEvent);
  }

  /** A resident's cases, newest first; page with `beforeId` (the last id of the previous page). */
  async listForAccount(
    accountId: number,
    options: { limit?: number; beforeId?: number } = {},
  ): Promise<Case[]> {
    return (await q.listForAccount(this.db, accountId, options.limit ?? 50, options.beforeId)).map(
      toCase,
    );
  }

  /**
   * Cases within `radiusMetres` of a point, nearest first (ties oldest first), e.g. to offer
   * "is it one of these?" or to list reports near a place a page at a time. `state` keeps
   * the statuses Open311 calls open or closed; an empty `serviceCodes` matches nothing.
   * Distances are whole metres; the radius test uses the exact one.
   */
  async near(
    point: Point,
    radiusMetres: number,
    options: {
      kind?: CaseKindName;
      serviceCodes?: string[];
      state?: Open311State;
      /** Only these statuses (with `state`, those of them in that state), e.g. all but "hidden". */
      statuses?: string[];
      limit?: number;
      offset?: number;
    } = {},
  ): Promise<{ case: Case; distanceMetres: number }[]> {
    const { kind, serviceCodes, state, limit = 20, offset = 0 } = options;
    const inState = state && statusesIn(state, kind ? [kind] : KIND_NAMES);
    const statuses =
      options.statuses && inState
        ? options.statuses.filter((s) => inState.includes(s))
        : (options.statuses ?? inState);
    if (!(radiusMetres >= 0) || limit <= 0 || serviceCodes?.length === 0 || statuses?.length === 0)
      return [];
    // Look in a small circle first and widen it until it holds the page: a busy town answers
    // from the first one, open country after a few. Each pass is exact within its own reach,
    // and the database orders by distance, so a full page is the nearest there is.
    const radius = Math.min(radiusMetres, FURTHEST_METRES);
    let reach = Math.min(radius, serviceCodes ? FIRST_REACH.inCategories : FIRST_REACH.any);
    for (;;) {
      const rows = await q.nearest(this.db, {
        centre: point,
        reachMetres: reach,
        cover: coveringRanges(point, reach),
        kind,
        serviceCodes,
        statuses,
        limit,
        offset,
      });
      const page = rows
        .map((row) => {
          const found = toCase(row);
          return {
            case: found,
            distance: found.location ? distanceMetres(point, found.location) : Infinity,
          };
        })
        .filter(({ distance }) => distance <= reach);
      if (page.length >= limit || reach >= radius)
        return page
          .sort((a, b) => a.distance - b.distance || a.case.id - b.case.id)
          .map(({ case: found, distance }) => ({
            case: found,
            distanceMetres: Math.round(distance),
          }));
      // Widen to where the page should fit at the density seen so far, with some to spare:
      // four times as far when nothing was found, and at least half as far again.
      const seen = page.length > 0 ? offset + page.length : 0;
      const widen = seen > 0 ? 1.3 * Math.sqrt((offset + limit) / seen) : 4;
      reach = Math.min(radius, reach * Math.min(4, Math.max(1.5, widen)));
    }
  }

  /** Follow a case for updates (reporters are subscribed when they open it). */
  async subscribe(
    caseId: number,
    who: { accountId?: number | null; email?: string | null },
  ): Promise<void> {
    await q.addSubscription(this.db, {
      case_id: caseId,
      account_id: who.accountId ?? null,
      email: who.email?.trim().toLowerCase() ?? null,
      token: randomBytes(18).toString('base64url'),
      created_at: this.clock().toISOString(),
    });
  }

  /** The subscription behind an unsubscribe link in an email sent before links were sealed. */
  findSubscription(token: string) {
    return q.findSubscription(this.db, token);
  }

  subscribers(caseId: number) {
    return q.listSubscribers(this.db, caseId);
  }

  /** One subscription, if it still exists (unsubscribing deletes it). */
  subscription(id: number) {
    return q.findSubscriptionById(this.db, id);
  }

  unsubscribeById(id: number): Promise<void> {
    return q.deleteSubscriptionById(this.db, id);
  }

  // ---- A resident deleting their account (My Account) -----------------------------------

  /**
   * Keeps a resident's cases for the council's records but without who they were: their
   * cases (linked to the account, or sent with its address) lose the account link and contact
   * details, the answers named in `answerFields` (a form's { field, … } answers, e.g. their
   * name again), their own timeline entries lose their name, and their subscriptions go. Each
   * case notes why, internally. Returns how many cases were changed.
   */
  async removePersonalDetails(
    accountId: number,
    email: string,
    answerFields: readonly string[],
  ): Promise<number> {
    return this.transaction(async (cases, trx) => {
      const ids = await q.removePersonalDetails(trx, accountId, email.trim().toLowerCase());
      for (const caseId of ids) {
        const row = await q.findById(trx, caseId);
        const data = JSON.parse(row?.data ?? '{}') as Record<string, unknown>;
        if (Array.isArray(data.answers)) {
          const answers: unknown[] = data.answers;
          const kept = answers.filter(
            (answer) =>
              !answerFields.includes(String((answer as { field?: unknown } | null)?.field)),
          );
          if (kept.length !== answers.length)
            await q.updateCase(trx, caseId, { data: JSON.stringify({ ...data, answers: kept }) });
        }
        await cases.recordEvent(caseId, {
          type: 'internal_note',
          actor: { type: 'system' },
          public: false,
          body: 'Resident deleted their account; personal details removed.',
        });
      }
      return ids.length;
    });
  }
}

/**
 * Where `near` looks first, in metres: a street's worth of all reports, or wider when only
 * some categories count, as each is a small share of them.
 */
const FIRST_REACH = { any: 100, inCategories: 250 };

/** The statuses of these kinds that Open311 calls `state`. */
function statusesIn(state: Open311State, kinds: readonly CaseKindName[]): string[] {
  const statuses = kinds.flatMap((kind) =>
    Object.entries(CASE_KINDS[kind].statuses as Record<string, StatusDefinition>)
      .filter(([, status]) => status.open311 === state)
      .map(([name]) => name),
  );
  return [...new Set(statuses)];
}

/** The first line of every timeline, unless the opening module says something more specific. */
export function receivedText(kind: CaseKindName): string {
  return `We received your ${CASE_KINDS[kind].noun}.`;
}

async function uniqueReference(db: Kysely<DB>, prefix: string): Promise<string> {
  // 32^7 codes per prefix: a clash is rare, but a reference must never be reused.
  for (let attempt = 0; attempt < 5; attempt++) {
    const ref = newReference(prefix);
    if (!(await q.refExists(db, ref))) return ref;
  }
  throw new Error(`Could not find a free reference for prefix ${prefix}`);
}

function date(iso: string | null): Date | null {
  return iso === null ? null : new Date(iso);
}

export function toCase(row: q.CaseRow): Case {
  const kind = row.kind as CaseKindName;
  const status = statusDefinition(kind, row.status);
  return {
    id: row.id,
    ref: row.ref,
    serviceCode: row.service_code,
    kind,
    status: row.status,
    statusLabel: status?.label ?? row.status,
    open311: status?.open311 ?? 'open',
    channel: row.channel as Channel,
    accountId: row.account_id,
    contact: { name: row.contact_name, email: row.contact_email, phone: row.contact_phone },
    title: row.title,
    data: JSON.parse(row.data) as Record<string, unknown>,
    location: row.lat !== null && row.lng !== null ? { lat: row.lat, lng: row.lng } : null,
    team: row.team,
    assigneeId: row.assignee_id,
    dueAt: date(row.due_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    closedAt: date(row.closed_at),
  };
}

function toEvent(row: q.CaseEventRow): CaseEvent {
  return {
    id: row.id,
    caseId: row.case_id,
    type: row.type as EventType,
    actor: { type: row.actor_type as Actor['type'], id: row.actor_id, name: row.actor_name },
    public: row.public === 1,
    body: row.body,
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: new Date(row.created_at),
  };
}
