import type { Config } from '../../platform/config.js';
import type { Mailer } from '../../platform/outbox/mailer.js';
import { CASE_KINDS, casePath, initialStatus, statusDefinition } from './kinds.js';
import { receivedText, type CaseService, type NotifyPayload } from './service.js';

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
          '',
          `To stop these emails: ${deps.config.publicUrl}/track/unsubscribe/${subscriber.token}`,
        ].join('\n'),
      });
    }
  };
}
