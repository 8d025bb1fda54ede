import type { Config } from '../../platform/config.js';
import type { Mailer } from '../../platform/outbox/mailer.js';
import { CASE_KINDS, casePath, initialStatus, statusDefinition, type CaseKind } from './kinds.js';
import { reporterLink } from './reporter-link.js';
import {
  receivedText,
  type CaseService,
  type CheckResolvedPayload,
  type NotifyPayload,
} from './service.js';

/**
 * The outbox job behind every public timeline event: emails each subscriber what changed,
 * with the reference and a link to follow progress. A failure throws, so the outbox retries.
 */
export function notifySubscribers(deps: { cases: CaseService; mailer: Mailer; config: Config }) {
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
    const statusLabel = statusDefinition(found.kind, status)?.label ?? status;
    const noun = CASE_KINDS[found.kind].noun;
    const subject =
      event.type === 'created'
        ? `We received your ${noun}: ${found.ref}`
        : `Update on your ${noun} ${found.ref}: ${statusLabel}`;
    const lines = [
      event.type === 'created'
        ? `Thank you. We received your ${noun}, "${found.title}".`
        : `There is an update on your ${noun}, "${found.title}".`,
      '',
      `Status: ${statusLabel}`,
      // The standard 'We received your report.' would only repeat the line above.
      ...(event.body && event.body !== receivedText(found.kind) ? ['', event.body] : []),
      '',
      `Your reference is ${found.ref}. See its progress at ${deps.config.publicUrl}${casePath(found)}`,
      '',
      deps.config.council.name,
    ];
    const subscribers = await deps.cases.subscribers(caseId);
    for (const subscriber of subscribers) {
      if (!subscriber.email) continue;
      await deps.mailer.send({
        to: subscriber.email,
        subject,
        text: [
          ...lines,
          // Only the person who opened it may hide their name or withdraw it.
          ...((CASE_KINDS[found.kind] as CaseKind).reporterCanManage &&
          subscriber.email === found.contact.email
            ? [
                '',
                `To hide your name or withdraw your ${noun}: ${reporterLink(deps.config, found, 'manage')}`,
              ]
            : []),
          '',
          `To stop these emails: ${deps.config.publicUrl}/track/unsubscribe/${subscriber.token}`,
        ].join('\n'),
      });
    }
  };
}

/**
 * Some weeks after a case reached a status with `checkAfterDays` (a report marked fixed),
 * asks the person who opened it whether it really is resolved, unless it has moved on since.
 */
export function askIfResolved(deps: { cases: CaseService; mailer: Mailer; config: Config }) {
  return async (payload: unknown): Promise<void> => {
    const { caseId, eventId } = payload as CheckResolvedPayload;
    const found = await deps.cases.getById(caseId);
    if (!found?.contact.email) return;
    const timeline = await deps.cases.timeline(caseId, { publicOnly: true });
    const lastChange = timeline.filter((e) => e.type === 'status_changed').at(-1);
    if (lastChange?.id !== eventId) return; // Reopened or changed since: nothing to ask.
    const noun = CASE_KINDS[found.kind].noun;
    await deps.mailer.send({
      to: found.contact.email,
      subject: `Is it fixed? Your ${noun} ${found.ref}`,
      text: [
        `A few weeks ago we marked your ${noun} "${found.title}" as ${found.statusLabel.toLowerCase()}.`,
        '',
        `Is it really? Tell us in one click, and if it is not, we will look again: ${reporterLink(deps.config, found, 'resolved')}`,
        '',
        `Your reference is ${found.ref}.`,
        '',
        deps.config.council.name,
      ].join('\n'),
    });
  };
}
