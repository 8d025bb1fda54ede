import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { fingerprint } from '../../platform/crypto.js';
import type { DB } from '../../platform/db/types.js';
import { ValidationError } from '../../platform/errors.js';
import type { AddressAnswer } from '../forms/fields.js';
import { hashPassword, newPasswordProblem, verifyPassword } from './passwords.js';
import * as pq from './profile-queries.js';
import * as q from './queries.js';
import { accountMail, LINK_LIFETIME_MS, LINK_PATHS } from './service.js';

/** How a resident wants to hear about their cases. */
export const CHANNELS = ['email', 'sms', 'app'] as const;
export type UpdateChannel = (typeof CHANNELS)[number];
/** Which updates they want to hear about. */
export const UPDATE_CHOICES = ['every', 'status', 'finished'] as const;
export type UpdateChoice = (typeof UPDATE_CHOICES)[number];

export interface Profile {
  id: number;
  name: string | null;
  email: string;
  emailVerified: boolean;
  /** When email to the address last bounced; the resident is asked to check it. */
  emailBouncedAt: Date | null;
  phone: string | null;
  address: AddressAnswer | null;
  hasPassword: boolean;
  /** Two-factor sign-in is set up; the secret itself never leaves the account table. */
  hasTwoFactor: boolean;
  preferences: { channel: UpdateChannel; updates: UpdateChoice };
  createdAt: Date;
  lastSignedInAt: Date | null;
}

export type EmailChangeRequest = 'sent' | 'same';

/**
 * A signed-in resident's own details: name, phone and address, how and when they want
 * updates, a new email address (used only once the resident proves it is theirs, from a link
 * emailed to it, while signed in) and a new password. No HTTP here.
 */
export class ProfileService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly settings: { secret: string; publicUrl: string; councilName: string },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async get(accountId: number): Promise<Profile | undefined> {
    const row = await q.findAccountById(this.db, accountId);
    return row && toProfile(row);
  }

  async updateDetails(
    accountId: number,
    details: { name: string; phone: string | null; address: AddressAnswer | null },
  ): Promise<void> {
    await pq.updateProfile(
      this.db,
      accountId,
      {
        name: details.name,
        phone: details.phone,
        address: details.address ? JSON.stringify(details.address) : null,
      },
      this.clock().toISOString(),
    );
  }

  /** Email to this address bounced (notifications): its account is asked to check it. */
  async markEmailBounced(email: string): Promise<void> {
    await pq.markEmailBounced(this.db, email.trim().toLowerCase(), this.clock().toISOString());
  }

  /** The resident says their address is right after a bounce; stop asking. */
  async confirmEmailWorks(accountId: number): Promise<void> {
    const now = this.clock().toISOString();
    await pq.updateProfile(this.db, accountId, { email_bounced_at: null }, now);
  }

  async updatePreferences(
    accountId: number,
    preferences: { channel: UpdateChannel; updates: UpdateChoice },
  ): Promise<void> {
    await pq.updateProfile(
      this.db,
      accountId,
      { notify_channel: preferences.channel, notify_updates: preferences.updates },
      this.clock().toISOString(),
    );
  }

  /**
   * Emails a link to the new address. Nothing changes until it is used, by the same resident,
   * signed in. An address another account has cannot be two people's: its owner is told
   * instead, and the page afterwards is the same, so nobody learns which addresses have accounts.
   */
  async requestEmailChange(accountId: number, newEmail: string): Promise<EmailChangeRequest> {
    const email = newEmail.trim().toLowerCase();
    const now = this.clock();
    return this.db.transaction().execute(async (trx) => {
      const account = await q.findAccountById(trx, accountId);
      if (!account) throw new Error(`account ${String(accountId)} has gone`);
      if (account.email === email) return 'same';
      if (await pq.emailTaken(trx, email, accountId)) {
        await this.mail(trx, email, 'Someone tried to use your email address', [
          `Someone, perhaps you, asked to use this email address for another ${this.settings.councilName} account.`,
          '',
          'It already has an account, so nothing has changed. To sign in to it, go to:',
          `${this.settings.publicUrl}/account/sign-in`,
        ]);
        return 'sent';
      }
      // Only the newest link works: asking again for another address replaces the first.
      await q.deleteUnusedTokens(trx, accountId, 'change_email');
      const token = randomBytes(32).toString('base64url');
      await q.insertToken(trx, {
        token_hash: fingerprint(token),
        account_id: accountId,
        purpose: 'change_email',
        email,
        return_to: null,
        expires_at: new Date(now.getTime() + LINK_LIFETIME_MS.change_email).toISOString(),
        used_at: null,
        created_at: now.toISOString(),
      });
      await this.mail(trx, email, 'Confirm your new email address', [
        `To use this email address for your ${this.settings.councilName} account, use this link within 24 hours:`,
        `${this.settings.publicUrl}${LINK_PATHS.change_email}/${token}`,
        '',
        'You will need to be signed in to your account.',
        '',
        'If you did not ask for this, you can ignore this email: nothing changes unless the link is used.',
      ]);
      return 'sent';
    });
  }

  /** Whether the resident signed in can use this link now; does not use it up. */
  async emailChangeFor(accountId: number, token: string): Promise<string | undefined> {
    const row = await q.findUsableToken(
      this.db,
      fingerprint(token),
      'change_email',
      this.clock().toISOString(),
    );
    return row?.account_id === accountId ? row.email : undefined;
  }

  /**
   * Uses the link: the account's address becomes the new, verified one, and the old address
   * is told, so a resident whose account was taken over hears about it. Undefined when the link
   * has expired, been used, is another account's, or the address has been taken since.
   */
  async confirmEmailChange(accountId: number, token: string): Promise<string | undefined> {
    const now = this.clock().toISOString();
    return this.db.transaction().execute(async (trx) => {
      const pending = await q.findUsableToken(trx, fingerprint(token), 'change_email', now);
      if (pending?.account_id !== accountId) return undefined;
      if (!(await q.useToken(trx, fingerprint(token), 'change_email', now))) return undefined;
      if (await pq.emailTaken(trx, pending.email, accountId)) return undefined;
      const account = await q.findAccountById(trx, accountId);
      if (!account) return undefined;
      // Links sent to the old address no longer prove anything.
      await pq.deleteTokensOf(trx, accountId);
      await pq.updateProfile(
        trx,
        accountId,
        { email: pending.email, email_verified_at: now, email_bounced_at: null },
        now,
      );
      await this.mail(trx, account.email, 'Your email address has been changed', [
        `The email address for your ${this.settings.councilName} account has been changed. We will not email this address about your account again.`,
        '',
        'If you did not change it, contact us straight away:',
        `${this.settings.publicUrl}/help/contact`,
      ]);
      return pending.email;
    });
  }

  /**
   * Sets a new password. The current one is needed when there is one, so someone at a
   * computer left signed in cannot lock its owner out. Every other device is signed out;
   * returns when, so the caller can keep this session signed in.
   */
  async changePassword(
    accountId: number,
    current: string,
    next: string,
  ): Promise<{ changedAt: Date }> {
    const row = await q.findAccountById(this.db, accountId);
    if (!row) throw new Error(`account ${String(accountId)} has gone`);
    if (row.password_hash) {
      if (!current) throw new ValidationError('Enter your current password', 'current-password');
      if (!(await verifyPassword(row.password_hash, current)))
        throw new ValidationError('Your current password is not right', 'current-password');
    }
    const problem = await newPasswordProblem(next);
    if (problem) throw new ValidationError(problem, 'password');
    const hash = await hashPassword(next);
    const changedAt = this.clock();
    const at = changedAt.toISOString();
    await this.db.transaction().execute(async (trx) => {
      await pq.updateProfile(trx, accountId, { password_hash: hash, sessions_valid_after: at }, at);
      await this.mail(trx, row.email, 'Your password has been changed', [
        `The password for your ${this.settings.councilName} account has been changed, and any other devices signed in to it have been signed out.`,
        '',
        'If you did not change it, reset your password straight away:',
        `${this.settings.publicUrl}/account/password/forgot`,
      ]);
    });
    return { changedAt };
  }

  private mail(trx: Kysely<DB>, to: string, subject: string, lines: string[]): Promise<void> {
    return accountMail(trx, this.settings, to, subject, lines);
  }
}

export function toProfile(row: q.AccountRow): Profile {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    emailVerified: row.email_verified_at !== null,
    emailBouncedAt: row.email_bounced_at ? new Date(row.email_bounced_at) : null,
    phone: row.phone,
    address: row.address ? (JSON.parse(row.address) as AddressAnswer) : null,
    hasPassword: row.password_hash !== null,
    hasTwoFactor: row.totp_secret !== null,
    preferences: {
      channel: oneOf(CHANNELS, row.notify_channel, 'email'),
      updates: oneOf(UPDATE_CHOICES, row.notify_updates, 'every'),
    },
    createdAt: new Date(row.created_at),
    lastSignedInAt: row.last_signed_in_at ? new Date(row.last_signed_in_at) : null,
  };
}

export function oneOf<T extends string>(choices: readonly T[], value: unknown, fallback: T): T {
  return choices.find((choice) => choice === value) ?? fallback;
}
