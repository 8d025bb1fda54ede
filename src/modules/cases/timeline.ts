import { statusDefinition } from './kinds.js';
import type { Case, CaseService } from './service.js';

/** A case's public timeline, oldest first, each status change with the label residents read. */
export async function publicTimeline(cases: CaseService, found: Case) {
  const events = await cases.timeline(found.id, { publicOnly: true });
  return events.map((event) => ({
    ...event,
    statusLabel:
      event.type === 'status_changed'
        ? statusDefinition(found.kind, String(event.data.to))?.label
        : undefined,
  }));
}
