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
