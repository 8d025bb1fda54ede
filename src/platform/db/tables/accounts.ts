import type { Generated } from 'kysely';

/** A resident's account (My Account). `role` will tell staff from residents. */
export interface AccountTable {
  id: Generated<number>;
  /** Lower-case. */
  email: string;
  email_verified_at: string | null;
  /** Set when an email to this address bounced; the resident is asked to check it at sign-in. */
  email_bounced_at: string | null;
  name: string | null;
  /** PHC string of an scrypt hash with its parameters; null when the resident signs in by link. */
  password_hash: string | null;
  role: Generated<string>;
  /** Sealed TOTP secret for two-factor sign-in (two-factor.ts); null when it is off. */
  totp_secret: string | null;
  /** The time step of the last code accepted, so a code cannot be used twice (20261129T1110). */
  totp_last_step: Generated<number | null>;
  /** Sessions signed in before this are signed out ("sign out of all devices", a new password). */
  sessions_valid_after: string;
  last_signed_in_at: string | null;
  created_at: string;
  updated_at: string;
  /** Profile (20261129T1130): a UK phone number, and a JSON postal address { line1, line2?, town, postcode }. */
  phone: Generated<string | null>;
  address: Generated<string | null>;
  /** How the resident wants updates ('email', 'sms', 'app') and which ('every', 'status', 'finished'). */
  notify_channel: Generated<string>;
  notify_updates: Generated<string>;
  /** A staff member's team (the back office); null for residents and administrators. */
  team: Generated<string | null>;
}

/** A one-time link emailed to an account; only the token's fingerprint is stored. */
export interface AccountTokenTable {
  id: Generated<number>;
  token_hash: string;
  account_id: number;
  purpose: 'verify_email' | 'sign_in' | 'reset_password' | 'change_email';
  email: string;
  /** Where to go after signing in with the link (a same-site path). */
  return_to: string | null;
  expires_at: string;
  used_at: string | null;
  created_at: string;
}

/** A one-time recovery code for two-factor sign-in; only its fingerprint is stored. */
export interface AccountRecoveryCodeTable {
  id: Generated<number>;
  account_id: number;
  code_hash: string;
  used_at: string | null;
  created_at: string;
}

/** A person at an OpenID Connect provider (issuer and subject) who signs in as the account. */
export interface AccountIdentityTable {
  id: Generated<number>;
  account_id: number;
  issuer: string;
  subject: string;
  created_at: string;
  last_signed_in_at: string;
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
