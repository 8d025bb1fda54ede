import type { Generated } from 'kysely';

/** The outbox: durable jobs written in the same transaction as the change that caused them. */
export interface JobTable {
  id: Generated<number>;
  type: string;
  payload: string;
  status: 'pending' | 'running' | 'done' | 'dead';
  attempts: number;
  max_attempts: number;
  run_at: string;
  locked_by: string | null;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface SessionTable {
  id: string;
  data: string;
  expires_at: string;
}

/** A form saved to finish later (the forms module). `sealed` holds the answers and email, encrypted. */
export interface SavedFormTable {
  id: Generated<number>;
  token_hash: string;
  service_code: string;
  sealed: string;
  expires_at: string;
  created_at: string;
  /** Set when a signed-in resident saved it: it is listed in My Account, and no link is emailed. */
  account_id: number | null;
}
