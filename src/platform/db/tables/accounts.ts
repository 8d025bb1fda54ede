import type { Generated } from 'kysely';

/** A resident's account (My Account). `role` will tell staff from residents. */
export interface AccountTable {
  id: Generated<number>;
  /** Lower-case. */
  email: string;
  email_verified_at: string | null;
  name: string | null;
  /** PHC string of an scrypt hash with its parameters; null when the resident signs in by link. */
  password_hash: string | null;
  role: Generated<string>;
  /** Sealed TOTP secret for two-factor sign-in; not yet used. */
  totp_secret: string | null;
  /** Sessions signed in before this are signed out ("sign out of all devices", a new password). */
  sessions_valid_after: string;
  last_signed_in_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A one-time link emailed to an account; only the token's fingerprint is stored. */
export interface AccountTokenTable {
  id: Generated<number>;
  token_hash: string;
  account_id: number;
  purpose: 'verify_email' | 'sign_in' | 'reset_password';
  email: string;
  /** Where to go after signing in with the link (a same-site path). */
  return_to: string | null;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

/** One throttled attempt (e.g. a failed sign-in), counted over a recent window. */
export interface AccountAttemptTable {
  id: Generated<number>;
  key: string;
  created_at: string;
}

/** The newest public event of a case that its resident has seen, for "New update" tags. */
export interface AccountCaseViewTable {
  account_id: number;
  case_id: number;
  last_event_id: number;
  viewed_at: string;
}
