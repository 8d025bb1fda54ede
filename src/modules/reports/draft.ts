import { randomUUID } from 'node:crypto';
import type { Point } from '../../platform/geo/geo.js';
import type { Session } from '../../platform/http/session.js';
import type { SignedInAccount } from '../account/current.js';
import type { Answers } from '../forms/journey.js';
import type { StoredPhoto } from './photos.js';

/** How the resident told us where the problem is (staff see this, to judge its accuracy). */
export type LocationSource = 'search' | 'map' | 'coordinates' | 'photo';

export interface DraftLocation extends Point {
  /** What to call the place: "High Street, Ashcombe", or "Near Mill Lane, Brindle". */
  label: string;
  source: LocationSource;
}

export interface ReportContact {
  name: string;
  email: string;
  phone: string | null;
  /** Whether the resident chose to show their name on the public report. */
  showName: boolean;
}

/** A report in the making, kept in the resident's session until it is sent. */
export interface ReportDraft {
  /** Sent as the idempotency key: a double-clicked Send opens one case. */
  id: string;
  category?: string;
  location?: DraftLocation;
  /** Which of council.yaml's reporting areas the location is in, for routing. */
  area?: string | null;
  answers: Answers;
  /** The details page has been sent (all its questions may be optional). */
  detailsGiven?: boolean;
  description?: string;
  photos: StoredPhoto[];
  contact?: ReportContact;
  /** When the first page was sent; a bot that sends the whole journey in a blink is refused. */
  startedAt: number;
}

/** The longest description a report may have, in characters. */
export const MAX_DESCRIPTION = 2000;

/**
 * A signed-in resident as a report's contact: their account's email (and name, when it
 * has one), with the phone and the choice about showing their name that they gave.
 */
export function contactOfAccount(
  account: SignedInAccount,
  given: Partial<ReportContact> = {},
): ReportContact {
  return {
    name: account.name ?? given.name ?? account.email,
    email: account.email,
    phone: given.phone ?? null,
    showName: given.showName ?? false,
  };
}

export interface SentReport {
  id: string;
  ref: string;
}

const KEY = 'report';
const SENT_KEY = 'reportSent';

export function loadDraft(session: Session, now = Date.now()): ReportDraft {
  const saved = session.get(KEY) as ReportDraft | undefined;
  if (saved && typeof saved === 'object' && typeof saved.id === 'string') return saved;
  return { id: randomUUID(), answers: {}, photos: [], startedAt: now };
}

export function saveDraft(session: Session, draft: ReportDraft): void {
  session.set(KEY, draft);
}

/** Starts again, e.g. when a resident comes in from a category's start page. */
export function clearDraft(session: Session): void {
  session.delete(KEY);
}

export function markSent(session: Session, sent: SentReport): void {
  session.delete(KEY);
  session.set(SENT_KEY, sent);
}

export function lastSent(session: Session): SentReport | undefined {
  const sent = session.get(SENT_KEY) as SentReport | undefined;
  return sent && typeof sent.ref === 'string' ? sent : undefined;
}
