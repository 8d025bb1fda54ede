import type { Generated } from 'kysely';

/** A key a back-office system or app uses on the Open311 API; only its hash is kept. */
export interface Open311KeyTable {
  id: Generated<number>;
  /** Who it is for, in the administrator's words: "Highways asset system". */
  name: string;
  /** Hex SHA-256 of the key. */
  key_hash: string;
  key_start: string;
  per_minute: number;
  created_by: string;
  created_at: string;
  revoked_by: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** An update a back office pushed (POST servicerequestupdates), kept by its own update_id. */
export interface Open311UpdateTable {
  id: Generated<number>;
  update_id: string;
  key_id: number;
  case_id: number;
  /** The timeline event the update made; its id is the update_id Shire answers with. */
  event_id: number;
  /** The Open311 status it was sent with, e.g. ACTION_SCHEDULED. */
  status: string;
  updated_datetime: string;
  created_at: string;
}

/** A report routed to another Open311 server (council.yaml open311.sendTo). */
export interface Open311SentTable {
  id: Generated<number>;
  case_id: number;
  /** The server's id in council.yaml. */
  endpoint_id: string;
  status: 'pending' | 'sent' | 'awaiting_id' | 'failed' | 'skipped';
  /** Their service_request_id. */
  external_id: string | null;
  /** What they answered with instead of an id, to be swapped for one (GET tokens/{token}). */
  token: string | null;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

/** When a server's updates feed is read next, and from when. */
export interface Open311FetchTable {
  endpoint_id: string;
  updates_since: string;
  next_fetch_at: string;
  last_fetched_at: string | null;
  last_error: string | null;
}

/** An update read from a server's feed and applied, kept by its update_id. */
export interface Open311ReceivedTable {
  id: Generated<number>;
  endpoint_id: string;
  update_id: string;
  case_id: number;
  event_id: number | null;
  created_at: string;
}
