import type { Kysely, Updateable } from 'kysely';
import { ConfigError, type Open311Endpoint } from '../../platform/config.js';
import type { Open311SentTable } from '../../platform/db/tables/open311.js';
import type { DB } from '../../platform/db/types.js';
import { enqueue } from '../../platform/outbox/outbox.js';
import { PermanentFailure } from '../../platform/outbox/senders.js';
import type { Answers } from '../forms/journey.js';
import type { Case, CaseService } from '../cases/service.js';
import type { CatalogueService } from '../catalogue/service.js';
import type { ReportService } from '../reports/service.js';
import { sentAttributes } from '../reports/submission.js';
import * as q from './queries.js';
import { RemoteOpen311 } from './remote.js';
import { mediaUrlOf } from './requests.js';

/**
 * Sending new reports on to other Open311 servers (council.yaml open311.sendTo): a contractor's
 * system, or the council's existing back office. A report is routed when it is opened, in
 * the same transaction (a row in open311_sent and an outbox job), and the job posts it.
 *
 * Open311 has no idempotency key, so a try that timed out after the server had taken the
 * report and is then retried may leave them with two copies; the outbox's backoff keeps this
 * rare, and the first id they answer with is the one kept.
 */

export const SEND_JOB = 'open311.send';
export interface SendPayload {
  caseId: number;
}

/**
 * A contractor's server may be down for an afternoon: with the outbox's backoff (doubling
 * from 2 seconds, at most an hour apart) 20 tries keep trying for about nine hours before
 * the report is left to staff.
 */
export const SEND_ATTEMPTS = 20;

/** The endpoint that takes a report of this category in this area: the first listed that does. */
export function endpointFor(
  endpoints: readonly Open311Endpoint[],
  report: { serviceCode: string; area: string | null },
): Open311Endpoint | undefined {
  return endpoints.find(
    (endpoint) =>
      (endpoint.categories.length === 0 || endpoint.categories.includes(report.serviceCode)) &&
      (endpoint.areas.length === 0 ||
        (report.area !== null && endpoint.areas.includes(report.area))),
  );
}

/** A start-up check of what config.ts cannot know: each category named is a Report It category. */
export function checkEndpoints(
  endpoints: readonly Open311Endpoint[],
  catalogue: CatalogueService,
): void {
  endpoints.forEach((endpoint, index) => {
    const named = [...endpoint.categories, ...Object.keys(endpoint.serviceCodes)];
    for (const code of named)
      if (catalogue.byCode(code)?.kind !== 'report')
        throw new ConfigError(
          `council.yaml open311.sendTo.${String(index)} (${endpoint.id}): "${code}" is not a Report It category in the service catalogue`,
        );
  });
}

/** The area a report was placed in (reports/service.ts keeps it with the location). */
function areaOf(opened: Case): string | null {
  const location = opened.data.location as { area?: string | null } | undefined;
  return location?.area ?? null;
}

export class Open311Outgoing {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly cases: CaseService,
    private readonly reports: ReportService,
    private readonly settings: {
      endpoints: readonly Open311Endpoint[];
      publicUrl: string;
      clock?: () => Date;
    },
  ) {}

  private now(): Date {
    return this.settings.clock?.() ?? new Date();
  }

  /**
   * Routes a report just opened, in its transaction (a ReportOpenedHook): a report no
   * endpoint takes is left alone.
   */
  static routeWhenOpened(endpoints: readonly Open311Endpoint[], clock = () => new Date()) {
    return async (opened: Case, trx: Kysely<DB>): Promise<void> => {
      const endpoint = endpointFor(endpoints, {
        serviceCode: opened.serviceCode,
        area: areaOf(opened),
      });
      if (!endpoint) return;
      const now = clock();
      await q.insertSent(trx, {
        case_id: opened.id,
        endpoint_id: endpoint.id,
        status: 'pending',
        created_at: now.toISOString(),
      });
      const payload: SendPayload = { caseId: opened.id };
      await enqueue(trx, { type: SEND_JOB, payload, maxAttempts: SEND_ATTEMPTS }, now);
    };
  }

  /**
   * The outbox job: posts the report and keeps their id, or records why they refused it. A
   * failure that may pass is thrown for the outbox to retry, until the last try, which gives
   * the report up to staff with the reason.
   */
  async send(payload: SendPayload, attempt = 1): Promise<void> {
    const sent = await q.findSentByCase(this.db, payload.caseId);
    // Already done: this is a rerun after a worker died between sending and finishing the job.
    if (sent?.status !== 'pending') return;
    const endpoint = this.settings.endpoints.find((e) => e.id === sent.endpoint_id);
    if (!endpoint) {
      await this.fail(
        sent.case_id,
        sent.endpoint_id,
        `${sent.endpoint_id} is no longer in council.yaml open311.sendTo, so it was not sent.`,
      );
      return;
    }
    const found = await this.cases.getById(sent.case_id);
    if (!found) throw new Error(`Case ${String(sent.case_id)} has gone`);
    if (found.status === 'hidden') {
      await q.updateSent(this.db, found.id, {
        status: 'skipped',
        last_error: 'Withdrawn or hidden before it was sent.',
      });
      return;
    }
    let accepted;
    try {
      accepted = await new RemoteOpen311(endpoint).postRequest(
        await this.requestFields(found, endpoint),
      );
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof PermanentFailure || attempt >= SEND_ATTEMPTS) {
        await this.fail(found.id, endpoint.name, reason);
        return;
      }
      // Kept where staff can see it; the outbox tries again with backoff.
      await q.updateSent(this.db, found.id, { last_error: reason });
      throw err;
    }
    await this.record(
      found.id,
      {
        status: 'id' in accepted ? 'sent' : 'awaiting_id',
        external_id: 'id' in accepted ? accepted.id : null,
        token: 'token' in accepted ? accepted.token : null,
        last_error: null,
        sent_at: this.now().toISOString(),
      },
      {
        body:
          'id' in accepted
            ? `Sent to ${endpoint.name}, their reference ${accepted.id}.`
            : `Sent to ${endpoint.name}; they will give it a reference later (their token ${accepted.token}).`,
        data: { open311Sent: { endpoint: endpoint.id, ...accepted } },
      },
    );
  }

  /** Their id for each report they answered with a token, asked for again on each fetch. */
  async resolveTokens(endpoint: Open311Endpoint): Promise<void> {
    const remote = new RemoteOpen311(endpoint);
    for (const sent of await q.awaitingIds(this.db, endpoint.id)) {
      if (!sent.token) continue;
      const id = await remote.requestIdFor(sent.token);
      if (!id) continue;
      await this.record(
        sent.case_id,
        { status: 'sent', external_id: id },
        {
          body: `${endpoint.name} gave it their reference ${id}.`,
          data: { open311Sent: { endpoint: endpoint.id, id } },
        },
      );
    }
  }

  /** A report they will never take: the reason on the case's timeline, for staff to act on. */
  private async fail(caseId: number, to: string, reason: string): Promise<void> {
    await this.record(
      caseId,
      { status: 'failed', last_error: reason },
      {
        body: `Could not send this report to ${to}. ${reason} Deal with it here, or send it to them another way.`,
        data: { open311SendFailed: { reason } },
      },
    );
  }

  /** What became of a sent report, and a note of it on the case's internal timeline, together. */
  private async record(
    caseId: number,
    changes: Updateable<Open311SentTable>,
    note: { body: string; data: Record<string, unknown> },
  ): Promise<void> {
    await this.cases.transaction(async (cases, trx) => {
      await q.updateSent(trx, caseId, changes);
      await cases.recordEvent(caseId, {
        type: 'internal_note',
        actor: { type: 'system', name: 'Open311' },
        public: false,
        ...note,
      });
    });
  }

  /** The report as Open311's POST requests fields: what its public page shows, and the reporter. */
  private async requestFields(found: Case, endpoint: Open311Endpoint): Promise<URLSearchParams> {
    const report = await this.reports.publicReport(found);
    const category = this.reports.categoryOfCase(found);
    const fields = new URLSearchParams({
      service_code: endpoint.serviceCodes[found.serviceCode] ?? found.serviceCode,
      // Their staff read this first; with no description of its own, the title says what and where.
      description: report?.description ?? found.title,
    });
    if (found.location) {
      fields.set('lat', String(found.location.lat));
      fields.set('long', String(found.location.lng));
    }
    const stored = (found.data.answers ?? []) as { field: string; value: Answers[string] }[];
    const answers: Answers = Object.fromEntries(stored.map((a) => [a.field, a.value]));
    if (category)
      for (const [name, value] of sentAttributes(category, answers)) fields.append(name, value);
    const { name, email, phone } = found.contact;
    const [first = '', ...rest] = (name ?? '').trim().split(/\s+/);
    if (first) fields.set('first_name', first);
    if (rest.length > 0) fields.set('last_name', rest.join(' '));
    if (email) fields.set('email', email);
    if (phone) fields.set('phone', phone);
    const media = report ? mediaUrlOf(report, this.settings.publicUrl) : '';
    if (media) fields.set('media_url', media);
    return fields;
  }
}
