import type { Generated } from 'kysely';

/**
 * Every interaction a resident has with the council is a case (DESIGN.md §1).
 * Timestamps are ISO-8601 text and booleans 0/1 so one schema serves SQLite and PostgreSQL.
 */
export interface CaseTable {
  id: Generated<number>;
  ref: string;
  service_code: string;
  kind: string;
  status: string;
  channel: string;
  account_id: number | null;
  contact_name: string | null;
  contact_email: string | null;
  contact_phone: string | null;
  title: string;
  /** JSON: the typed answers of the service that opened the case. */
  data: string;
  lat: number | null;
  lng: number | null;
  /** Geohash (precision 8, ~38 m) so "near here" is a prefix range scan. */
  geohash: string | null;
  team: string | null;
  assignee_id: number | null;
  due_at: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  /** Set by callers that must not open the same case twice (a double-clicked Send). */
  idempotency_key: string | null;
}

export interface CaseEventTable {
  id: Generated<number>;
  case_id: number;
  type: string;
  actor_type: string;
  actor_id: number | null;
  actor_name: string | null;
  public: number;
  body: string | null;
  /** JSON: what changed, e.g. { from, to } for a status change. */
  data: string;
  created_at: string;
}

export interface AttachmentTable {
  id: Generated<number>;
  case_id: number;
  event_id: number | null;
  storage_key: string;
  filename: string;
  content_type: string;
  bytes: number;
  public: number;
  created_at: string;
}

export interface SubscriptionTable {
  id: Generated<number>;
  case_id: number;
  account_id: number | null;
  email: string | null;
  /** Random token for one-click unsubscribe links. */
  token: string;
  created_at: string;
}
