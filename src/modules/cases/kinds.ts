/**
 * Each kind of case has its own statuses, each mapped to Open311's open/closed so
 * other systems can follow any case. The first status listed is where a case starts.
 * Reports follow FixMyStreet's states.
 */
export type Open311State = 'open' | 'closed';

export interface StatusDefinition {
  label: string;
  open311: Open311State;
  /** Ask the resident, this many days after a case reaches this status, whether it is resolved. */
  checkAfterDays?: number;
}

export interface CaseKind {
  /** What a resident calls one of these, e.g. "report". */
  noun: string;
  /** Whether the person who opened it gets a link to manage it (hide their name, withdraw it). */
  reporterCanManage?: boolean;
  /** Whether anyone with the reference may read the public timeline (reports are public, like FixMyStreet). */
  publicTimeline: boolean;
  statuses: Record<string, StatusDefinition>;
}

const open = (label: string): StatusDefinition => ({ label, open311: 'open' });
const closed = (label: string): StatusDefinition => ({ label, open311: 'closed' });

export const CASE_KINDS = {
  report: {
    noun: 'report',
    publicTimeline: true,
    reporterCanManage: true,
    statuses: {
      confirmed: open('Reported'),
      investigating: open('Investigating'),
      action_scheduled: open('Action scheduled'),
      in_progress: open('In progress'),
      // Four weeks after "fixed", the reporter is asked whether it really is.
      fixed: { ...closed('Fixed'), checkAfterDays: 28 },
      // Honest and plain: closed without a fix is never shown as if it were fixed.
      closed: closed('Closed – not fixed'),
      duplicate: closed('Duplicate'),
      not_responsible: closed('Not the council’s responsibility'),
      unable_to_fix: closed('Unable to fix'),
      // Withdrawn by the reporter or hidden by staff: not on public pages.
      hidden: closed('Hidden'),
    },
  },
  application: {
    noun: 'application',
    publicTimeline: false,
    statuses: {
      submitted: open('Submitted'),
      in_review: open('Being reviewed'),
      awaiting_information: open('Waiting for information from you'),
      offered: open('Offer made'),
      approved: closed('Approved'),
      accepted: closed('Accepted'),
      declined: closed('Declined'),
      refused: closed('Refused'),
      withdrawn: closed('Withdrawn'),
    },
  },
  request: {
    noun: 'request',
    publicTimeline: false,
    statuses: {
      submitted: open('Submitted'),
      in_progress: open('In progress'),
      awaiting_information: open('Waiting for information from you'),
      completed: closed('Completed'),
      rejected: closed('Could not be completed'),
      cancelled: closed('Cancelled'),
    },
  },
  transaction: {
    noun: 'transaction',
    publicTimeline: false,
    statuses: {
      pending: open('Pending'),
      completed: closed('Completed'),
      failed: closed('Failed'),
      refunded: closed('Refunded'),
      cancelled: closed('Cancelled'),
    },
  },
  booking: {
    noun: 'booking',
    publicTimeline: false,
    statuses: {
      reserved: open('Reserved'),
      confirmed: open('Confirmed'),
      attended: closed('Attended'),
      cancelled: closed('Cancelled'),
      refunded: closed('Refunded'),
    },
  },
  chat: {
    noun: 'conversation',
    publicTimeline: false,
    statuses: {
      waiting: open('Waiting for an adviser'),
      active: open('In conversation'),
      message: open('Message left: we will reply by email'),
      resolved: closed('Resolved'),
      abandoned: closed('Ended'),
    },
  },
  idea: {
    noun: 'idea',
    publicTimeline: true,
    statuses: {
      submitted: open('Submitted'),
      under_consideration: open('Under consideration'),
      planned: open('Planned'),
      live: closed('Now online'),
      not_planned: closed('Not planned'),
      rejected: closed('Not published'),
    },
  },
} as const satisfies Record<string, CaseKind>;

export type CaseKindName = keyof typeof CASE_KINDS;
export const KIND_NAMES = Object.keys(CASE_KINDS) as CaseKindName[];

export function isCaseKind(kind: string): kind is CaseKindName {
  return Object.hasOwn(CASE_KINDS, kind);
}

export function initialStatus(kind: CaseKindName): string {
  return Object.keys(CASE_KINDS[kind].statuses)[0] as string;
}

export function statusDefinition(kind: CaseKindName, status: string): StatusDefinition | undefined {
  const statuses: Record<string, StatusDefinition> = CASE_KINDS[kind].statuses;
  return Object.hasOwn(statuses, status) ? statuses[status] : undefined;
}

/** Where a case's public page is: reports have their own page with map and photos. */
export function casePath(found: { kind: CaseKindName; ref: string }): string {
  return found.kind === 'report' ? `/reports/${found.ref}` : `/track/${found.ref}`;
}
