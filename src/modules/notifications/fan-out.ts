import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/types.js';
import type { CaseService, CheckResolvedPayload, NotifyPayload } from '../cases/service.js';
import { receivedText } from '../cases/service.js';
import {
  CASE_KINDS,
  type CaseKind,
  casePath,
  initialStatus,
  statusDefinition,
} from '../cases/kinds.js';
import { reporterLink } from '../cases/reporter-link.js';
import { surveyUrl } from './links.js';
import type { TemplateData } from './messages.js';
import { queueDelivery } from './queue.js';

/** The messages about a case that a resident's "which updates" choice can turn off. */
export type CaseTemplate =
  'case-received' | 'case-status-changed' | 'case-public-update' | 'case-closed';

export interface FanOutDeps {
  db: Kysely<DB>;
  cases: CaseService;
  settings: { secret: string; publicUrl: string };
  clock?: () => Date;
}

const linkSettings = ({ settings }: FanOutDeps) => ({
  publicUrl: settings.publicUrl,
  sessionSecret: settings.secret,
});

/**
 * The outbox job behind every public timeline event: queues one delivery per subscriber, keyed
 * by event and subscription, in one transaction. Run twice (a retry after a crash), it queues
 * nothing new. Which channel each delivery uses is decided when it is sent, from the
 * resident's preferences at that moment.
 */
export function fanOut(deps: FanOutDeps) {
  return async (payload: unknown): Promise<void> => {
    const { caseId, eventId } = payload as NotifyPayload;
    const found = await deps.cases.getById(caseId);
    if (!found) return; // Deleted since: nothing to tell anyone.
    const timeline = await deps.cases.timeline(caseId, { publicOnly: true });
    const event = timeline.find((e) => e.id === eventId);
    if (!event) return;
    // The worker may run late, after later changes: tell people the status as of this event.
    let status = initialStatus(found.kind);
    for (const e of timeline) {
      if (e.id <= eventId && e.type === 'status_changed') status = String(e.data.to);
    }
    const definition = statusDefinition(found.kind, status);
    const facts = {
      noun: CASE_KINDS[found.kind].noun,
      ref: found.ref,
      title: found.title,
      caseUrl: `${deps.settings.publicUrl}${casePath(found)}`,
    };
    const statusLabel = definition?.label ?? status;
    // The standard 'We received your report.' would only repeat the message's first line.
    const message = event.body && event.body !== receivedText(found.kind) ? event.body : undefined;
    const manageUrl = (CASE_KINDS[found.kind] as CaseKind).reporterCanManage
      ? reporterLink(linkSettings(deps), found, 'manage')
      : undefined;

    const subscribers = await deps.cases.subscribers(caseId);
    await deps.db.transaction().execute(async (trx) => {
      for (const subscriber of subscribers) {
        // Only the person who opened it may hide their name or withdraw it.
        const isReporter =
          (found.accountId !== null && subscriber.account_id === found.accountId) ||
          (subscriber.email !== null && subscriber.email === found.contact.email);
        const extra = isReporter && manageUrl ? { manageUrl } : {};
        const outgoing = ((): { template: CaseTemplate; data: TemplateData[CaseTemplate] } => {
          if (event.type === 'created')
            return { template: 'case-received', data: { ...facts, ...extra } };
          if (event.type === 'status_changed' && definition?.open311 === 'closed')
            return {
              template: 'case-closed',
              data: {
                ...facts,
                statusLabel,
                ...(message ? { message } : {}),
                surveyUrl: surveyUrl(deps.settings, found.id),
              },
            };
          if (event.type === 'status_changed')
            return {
              template: 'case-status-changed',
              data: { ...facts, statusLabel, ...(message ? { message } : {}), ...extra },
            };
          return {
            template: 'case-public-update',
            data: { ...facts, statusLabel, message: event.body ?? '', ...extra },
          };
        })();
        await queueDelivery(
          trx,
          deps.settings.secret,
          {
            key: `case-event:${eventId}:subscription:${subscriber.id}`,
            // For an account, the channel and address are settled at send time.
            channel: 'email',
            to: subscriber.email ?? '',
            ...outgoing,
            caseId,
            accountId: subscriber.account_id,
            subscriptionId: subscriber.id,
          },
          (deps.clock ?? (() => new Date()))(),
        );
      }
    });
  };
}

/**
 * Some weeks after a case reached a status with `checkAfterDays` (a report marked fixed),
 * asks the person who opened it whether it really is resolved, unless it has moved on since.
 */
export function askIfResolved(deps: FanOutDeps) {
  return async (payload: unknown): Promise<void> => {
    const { caseId, eventId } = payload as CheckResolvedPayload;
    const found = await deps.cases.getById(caseId);
    if (!found?.contact.email) return;
    const timeline = await deps.cases.timeline(caseId, { publicOnly: true });
    const lastChange = timeline.filter((e) => e.type === 'status_changed').at(-1);
    if (lastChange?.id !== eventId) return; // Reopened or changed since: nothing to ask.
    await queueDelivery(
      deps.db,
      deps.settings.secret,
      {
        key: `check-resolved:${eventId}`,
        channel: 'email',
        to: found.contact.email,
        template: 'case-ask-if-resolved',
        data: {
          noun: CASE_KINDS[found.kind].noun,
          ref: found.ref,
          title: found.title,
          caseUrl: `${deps.settings.publicUrl}${casePath(found)}`,
          statusLabel: found.statusLabel,
          resolvedUrl: reporterLink(linkSettings(deps), found, 'resolved'),
        },
        caseId,
        accountId: found.accountId,
      },
      (deps.clock ?? (() => new Date()))(),
    );
  };
}
