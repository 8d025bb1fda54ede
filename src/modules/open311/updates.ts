import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/types.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import { audit } from '../backoffice/audit.js';
import type { Actor, CaseService } from '../cases/service.js';
import type { ReportService } from '../reports/service.js';
import { PUBLIC_STATUSES } from '../reports/service.js';
import type { ApiKey } from './keys.js';
import * as q from './queries.js';
import { parseTime } from './dates.js';
import { DESCRIPTION_MAX } from './requests.js';

/**
 * mySociety's updates extension: FixMyStreet's extended statuses, each mapped to one of
 * Report It's. INTERNAL_REFERRAL (passed to someone else to deal with) has no status of its
 * own here, so it closes the report as "Closed – not fixed" rather than claim it was fixed
 * or was never the council's; REOPEN opens it again as reported.
 */
export const STATUS_FROM_OPEN311: Record<string, string> = {
  OPEN: 'confirmed',
  INVESTIGATING: 'investigating',
  IN_PROGRESS: 'in_progress',
  ACTION_SCHEDULED: 'action_scheduled',
  NO_FURTHER_ACTION: 'unable_to_fix',
  NOT_COUNCILS_RESPONSIBILITY: 'not_responsible',
  DUPLICATE: 'duplicate',
  INTERNAL_REFERRAL: 'closed',
  FIXED: 'fixed',
  CLOSED: 'closed',
  REOPEN: 'confirmed',
};
export const OPEN311_STATUSES = Object.keys(STATUS_FROM_OPEN311);

/** Each public report status as the extension names it, for the updates feed. */
export const STATUS_TO_OPEN311: Record<string, string> = {
  confirmed: 'OPEN',
  investigating: 'INVESTIGATING',
  in_progress: 'IN_PROGRESS',
  action_scheduled: 'ACTION_SCHEDULED',
  unable_to_fix: 'NO_FURTHER_ACTION',
  not_responsible: 'NOT_COUNCILS_RESPONSIBILITY',
  duplicate: 'DUPLICATE',
  fixed: 'FIXED',
  closed: 'CLOSED',
};

/** The most one feed answer lists, as GET requests does. */
export const UPDATES_MAX = 1000;

/** What a back office sends with POST servicerequestupdates, already checked for shape. */
export interface PushedUpdate {
  updateId: string;
  ref: string;
  status: string;
  updatedAt: Date;
  description: string;
  person: { name: string; email: string } | null;
  mediaUrl: string | null;
}

/** The answer to a pushed update, the same each time it is sent. */
export interface UpdateAnswer {
  updateId: string;
  ref: string;
  /** This update_id had been sent before: nothing was changed this time. */
  repeated: boolean;
}

type Body = Record<string, unknown>;

/** A pushed update's fields checked one by one, naming each wrong one. */
export function readPushedUpdate(body: Body, now: Date): PushedUpdate {
  const text = (name: string) => {
    const value = body[name];
    return typeof value === 'string' ? value.trim() : '';
  };
  const errors: { field: string; message: string }[] = [];
  const updateId = text('update_id');
  if (!updateId) errors.push({ field: 'update_id', message: 'update_id is required' });
  else if (updateId.length > 100)
    errors.push({ field: 'update_id', message: 'update_id must be 100 characters or fewer' });
  const ref = text('service_request_id');
  if (!ref) errors.push({ field: 'service_request_id', message: 'service_request_id is required' });
  const status = text('status').toUpperCase();
  if (!status) errors.push({ field: 'status', message: 'status is required' });
  else if (!OPEN311_STATUSES.includes(status))
    errors.push({
      field: 'status',
      message: `status must be one of ${OPEN311_STATUSES.join(', ')}`,
    });
  const updatedAt = parseTime(text('updated_datetime'));
  if (!text('updated_datetime'))
    errors.push({ field: 'updated_datetime', message: 'updated_datetime is required' });
  else if (!updatedAt)
    errors.push({
      field: 'updated_datetime',
      message:
        'updated_datetime must be a W3C date and time with its time zone, like 2026-12-07T10:30:00Z',
    });
  // A little slack for clocks that disagree; further ahead is a mistake worth hearing about.
  else if (updatedAt.getTime() > now.getTime() + 5 * 60_000)
    errors.push({
      field: 'updated_datetime',
      message: 'updated_datetime must not be in the future',
    });
  const description = text('description');
  if (description.length > DESCRIPTION_MAX)
    errors.push({
      field: 'description',
      message: `description must be ${DESCRIPTION_MAX.toLocaleString('en-GB')} characters or fewer (it has ${description.length.toLocaleString('en-GB')})`,
    });
  const name = [text('first_name'), text('last_name')].filter(Boolean).join(' ').slice(0, 100);
  const email = text('email').slice(0, 254);
  const mediaUrl = text('media_url');
  if (mediaUrl && !/^https?:\/\/\S{1,2000}$/.test(mediaUrl))
    errors.push({ field: 'media_url', message: 'media_url must be an http or https address' });
  if (errors.length > 0 || !updatedAt) throw ValidationError.forFields(errors);
  return {
    updateId,
    ref,
    status,
    updatedAt,
    description,
    person: name || email ? { name, email } : null,
    mediaUrl: mediaUrl || null,
  };
}

/**
 * Updates from back offices, and the feed of public updates. A pushed update changes the
 * report as a member of staff would (`updateForResident`: the same timeline entry and the
 * same email to the resident), in one transaction with the record of its update_id and the
 * audit entry, so one sent twice is applied once and answered the same both times.
 */
export class Open311Updates {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly cases: CaseService,
    private readonly reports: ReportService,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async push(key: ApiKey, update: PushedUpdate): Promise<UpdateAnswer> {
    const seen = await this.answerFor(update.updateId);
    if (seen) return seen;
    const found = await this.reports.byRef(update.ref).catch((err: unknown) => {
      if (err instanceof NotFoundError)
        throw new NotFoundError(`There is no service request ${update.ref}.`);
      throw err;
    });
    if (found.status === 'hidden')
      throw new ValidationError(
        `${found.ref} was withdrawn or hidden by the council, so it takes no more updates.`,
        'service_request_id',
      );
    const status = STATUS_FROM_OPEN311[update.status] ?? found.status;
    if (status === found.status && !update.description)
      throw new ValidationError(
        `${found.ref} is already ${found.statusLabel.toLowerCase()}: send a description to add an update without changing the status.`,
        'description',
      );
    const actor: Actor = {
      type: 'system',
      name: update.person?.name ? `${update.person.name} (${key.name})` : key.name,
    };
    try {
      return await this.cases.transaction(async (cases, trx) => {
        const event = await cases.updateForResident(
          found.id,
          {
            status,
            text: update.description || null,
            data: {
              open311: { updateId: update.updateId, status: update.status },
              ...(update.mediaUrl ? { mediaUrl: update.mediaUrl } : {}),
            },
          },
          actor,
        );
        if (!event) throw new Error('An update with a description always makes an event');
        const now = this.clock();
        await q.insertUpdate(trx, {
          update_id: update.updateId,
          key_id: key.id,
          case_id: found.id,
          event_id: event.id,
          status: update.status,
          updated_datetime: update.updatedAt.toISOString(),
          created_at: now.toISOString(),
        });
        await audit(
          trx,
          {
            actor: { id: null, name: `Open311 key: ${key.name}` },
            action: 'open311.update',
            target: { type: 'case', id: found.ref },
            before: { status: found.status },
            after: {
              status,
              open311Status: update.status,
              updateId: update.updateId,
              ...(update.person ? { sentBy: update.person } : {}),
            },
          },
          now,
        );
        return { updateId: String(event.id), ref: found.ref, repeated: false };
      });
    } catch (err) {
      // The same update_id sent twice at once: the unique index let one through; answer as it did.
      const winner = await this.answerFor(update.updateId);
      if (winner) return winner;
      throw err;
    }
  }

  private async answerFor(updateId: string): Promise<UpdateAnswer | undefined> {
    const row = await q.findUpdate(this.db, updateId);
    if (!row) return undefined;
    const found = await this.cases.getById(row.case_id);
    return { updateId: String(row.event_id), ref: found?.ref ?? '', repeated: true };
  }

  /** Public status changes and updates to public reports in a window, oldest first. */
  async feed(window: { from: Date; to: Date }) {
    const events = await this.cases.publicEvents({
      kind: 'report',
      types: ['status_changed', 'public_update'],
      statuses: PUBLIC_STATUSES,
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      limit: UPDATES_MAX,
    });
    // A report hidden and later shown again keeps its "hidden" entry, which is not news to share.
    return events
      .filter((event) => event.status !== 'hidden')
      .map((event) => ({
        updateId: String(event.id),
        ref: event.ref,
        status: STATUS_TO_OPEN311[event.status] ?? event.status.toUpperCase(),
        updatedAt: event.createdAt,
        description: event.body ?? '',
        mediaUrl: typeof event.data.mediaUrl === 'string' ? event.data.mediaUrl : '',
      }));
  }
}
