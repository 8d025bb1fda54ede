import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { fingerprint } from '../../platform/crypto.js';
import type { DB } from '../../platform/db/types.js';
import { ValidationError } from '../../platform/errors.js';
import type { TemplateData } from '../notifications/messages.js';
import { queueEmail } from '../notifications/queue.js';
import {
  CASE_KINDS,
  KIND_NAMES,
  type CaseKindName,
  type StatusDefinition,
} from '../cases/kinds.js';
import { toCase, type Case, type CaseService } from '../cases/service.js';
import {
  hashPassword,
  needsRehash,
  newPasswordProblem,
  verifyNothing,
  verifyPassword,
} from './passwords.js';
import { MyDataService } from './my-data.js';
import { ProfileService } from './profile.js';
import * as q from './queries.js';

/** Who is signed in, as other modules see them. */
export interface SignedInAccount {
  id: number;
  email: string;
  name: string | null;
  emailVerified: boolean;
  /** 'resident', or a staff role: 'agent', 'officer', 'lead', 'admin' (back office). */
  role: string;
  /** A staff member's team; null for residents and administrators. */
  team: string | null;
}

/** How long each emailed link works. */
export const LINK_LIFETIME_MS: Record<q.TokenPurpose, number> = {
  verify_email: 7 * 24 * 60 * 60_000,
  sign_in: 15 * 60_000,
  reset_password: 60 * 60_000,
  change_email: 24 * 60 * 60_000,
};

/** Failed sign-ins allowed in the window, per email address and per client address. */
export const SIGN_IN_THROTTLE = {
  windowMs: 15 * 60_000,
  perEmail: 5,
  // Higher than per email: a library's public computers or a council office share one address.
  perClient: 20,
} as const;
/** Emails of links we send to one address in an hour, so nobody can flood someone's inbox. */
const MAILS_PER_ADDRESS_PER_HOUR = 6;

export type PasswordSignIn =
  | { outcome: 'signed-in'; account: SignedInAccount; signedInAt: Date }
  | { outcome: 'wrong' }
  | { outcome: 'throttled' };

export interface LinkSignIn {
  account: SignedInAccount;
  signedInAt: Date;
  /** Where the resident was going when they asked for the link. */
  returnTo: string | null;
}

export interface CaseFilters {
  kind?: CaseKindName | undefined;
  /** 'open', 'closed', or one of the kind's own statuses. */
  status?: string | undefined;
}

export interface AccountCase extends Case {
  /** A public update from the council the resident has not yet seen. */
  hasUpdate: boolean;
}

/**
 * My Account's domain: signing up and in (password or emailed link), forgotten passwords,
 * signing out everywhere, throttled failures, claiming cases by a verified email address,
 * and the resident's own cases with what is new on them. No HTTP here.
 *
 * Every emailed link proves the resident reads that inbox, so using any of them verifies
 * the address. A password can only be set through such a link, so nobody can create an
 * account with someone else's address and a password of their own choosing.
 */
export class AccountService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly cases: CaseService,
    private readonly settings: { secret: string; publicUrl: string; councilName: string },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  now(): Date {
    return this.clock();
  }

  /** The resident's profile and preferences (profile.ts). */
  profile(): ProfileService {
    return new ProfileService(this.db, this.settings, this.clock);
  }

  /** Everything held about the resident, and deleting their account (my-data.ts). */
  myData(): MyDataService {
    return new MyDataService(this.db, this.cases, this.clock);
  }

  // ---- Staff accounts (administrators, in the back office) ---------------------------------

  /**
   * Gives an address a staff role. A new address gets an account and a link to choose a
   * password (two-factor is then required at first sign-in); an existing account — a resident
   * who joins the council, or staff changing role — keeps its password and is told.
   */
  async setStaffRole(input: {
    name: string;
    email: string;
    role: string;
    team: string | null;
  }): Promise<{ accountId: number; before: { role: string; team: string | null } | null }> {
    const email = input.email.trim().toLowerCase();
    const now = this.clock();
    return this.db.transaction().execute(async (trx) => {
      const existing = await q.findAccountByEmail(trx, email);
      if (existing) {
        await q.updateAccount(trx, existing.id, {
          role: input.role,
          team: input.team,
          // A change of access takes effect now, not at the next sign-in.
          sessions_valid_after: now.toISOString(),
          updated_at: now.toISOString(),
        });
        await this.mail(trx, email, `Your ${this.settings.councilName} staff access has changed`, [
          input.role === 'resident'
            ? 'Your account no longer has staff access. You can still use it as a resident.'
            : `Your account now has staff access${input.team ? ` for ${input.team}` : ''}. Sign in at:`,
          `${this.settings.publicUrl}/account/sign-in`,
          '',
          'If you did not expect this, contact your service desk.',
        ]);
        return { accountId: existing.id, before: { role: existing.role, team: existing.team } };
      }
      const account = await q.insertAccount(trx, {
        email,
        name: input.name.trim(),
        role: input.role,
        team: input.team,
        email_verified_at: null,
        password_hash: null,
        totp_secret: null,
        sessions_valid_after: now.toISOString(),
        last_signed_in_at: null,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      });
      const link = await this.issueLink(trx, account, 'verify_email', '/staff', now);
      await this.mail(trx, email, `Your ${this.settings.councilName} staff account`, [
        `You have a staff account${input.team ? ` for ${input.team}` : ''}. To start using it, use this link within 7 days and choose a password:`,
        link,
        '',
        'You will then set up two-factor sign-in with an authenticator app, which every staff account needs.',
      ]);
      return { accountId: account.id, before: null };
    });
  }

  staff() {
    return q.listStaff(this.db);
  }

  // ---- Signing up ------------------------------------------------------------------------

  /**
   * Sends the link that finishes creating an account. Someone who already has one is sent a
   * reminder instead, so the page after this says the same whether or not the address is
   * registered.
   */
  async startSignUp(input: { name: string; email: string }): Promise<void> {
    const email = input.email.trim().toLowerCase();
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      const existing = await q.findAccountByEmail(trx, email);
      if (!(await this.mayEmail(trx, email, now))) return;
      if (existing?.email_verified_at) {
        await this.mail(trx, email, 'You already have an account', [
          `Someone, probably you, tried to create an account with ${this.settings.councilName} using this email address.`,
          '',
          'You already have an account. Sign in at:',
          `${this.settings.publicUrl}/account/sign-in`,
          '',
          'If you have forgotten your password, you can reset it at:',
          `${this.settings.publicUrl}/account/password/forgot`,
          '',
          'If it was not you, you can ignore this email: nothing has changed.',
        ]);
        return;
      }
      // Not yet confirmed: whoever asks last names it, but only the inbox's owner can finish it.
      const account = existing
        ? await q.updateAccount(trx, existing.id, {
            name: input.name.trim(),
            updated_at: now.toISOString(),
          })
        : await q.insertAccount(trx, {
            email,
            name: input.name.trim(),
            email_verified_at: null,
            password_hash: null,
            totp_secret: null,
            sessions_valid_after: now.toISOString(),
            last_signed_in_at: null,
            created_at: now.toISOString(),
            updated_at: now.toISOString(),
          });
      const link = await this.issueLink(trx, account, 'verify_email', null, now);
      await this.mail(trx, email, 'Confirm your email address', [
        `To finish creating your ${this.settings.councilName} account, use this link within 7 days:`,
        link,
        '',
        'You will be asked to choose a password, or you can sign in with a link we email you each time.',
        '',
        'If you did not ask for an account, you can ignore this email: nothing is set up unless the link is used.',
      ]);
    });
  }

  /**
   * Finishes sign-up from the emailed link: the address is verified, the password (if the
   * resident chose one) set, and cases made with the address become theirs. Undefined when
   * the link has expired or been used.
   */
  async completeSignUp(token: string, password: string | null): Promise<LinkSignIn | undefined> {
    if (password !== null) await this.checkNewPassword(password);
    const hash = password === null ? null : await hashPassword(password);
    return this.signInByLink(token, 'verify_email', hash === null ? {} : { password_hash: hash });
  }

  // ---- Emailed sign-in links and password resets ----------------------------------------

  /** Whether a link can still be used, to decide which page it opens; does not use it up. */
  async linkIsUsable(token: string, purpose: q.TokenPurpose): Promise<boolean> {
    const row = await q.findUsableToken(
      this.db,
      fingerprint(token),
      purpose,
      this.clock().toISOString(),
    );
    return row !== undefined;
  }

  async requestSignInLink(email: string, returnTo: string | null = null): Promise<void> {
    await this.sendLinkOrNoAccount(email, 'sign_in', returnTo, (link) => ({
      template: 'sign-in-link',
      data: { link, expiresInMinutes: LINK_LIFETIME_MS.sign_in / 60_000 },
    }));
  }

  async signInWithLink(token: string): Promise<LinkSignIn | undefined> {
    return this.signInByLink(token, 'sign_in', {});
  }

  async requestPasswordReset(email: string): Promise<void> {
    await this.sendLinkOrNoAccount(email, 'reset_password', null, (link) =>
      notice('Reset your password', [
        `Use this link to choose a new password for your ${this.settings.councilName} account:`,
        link,
        '',
        'It works once, within 1 hour.',
        '',
        'If you did not ask to reset your password, you can ignore this email: your password has not changed.',
      ]),
    );
  }

  /** Sets a new password from the emailed link, and signs out every other device. */
  async resetPassword(token: string, password: string): Promise<LinkSignIn | undefined> {
    await this.checkNewPassword(password);
    const hash = await hashPassword(password);
    return this.signInByLink(token, 'reset_password', { password_hash: hash, signOutOthers: true });
  }

  // ---- Passwords -------------------------------------------------------------------------

  /**
   * Signs in with email and password. A wrong address and a wrong password look the same and
   * take as long; after too many failures for the address or from the client, every attempt
   * is refused for a while, registered address or not.
   */
  async signInWithPassword(
    emailInput: string,
    password: string,
    clientAddress: string,
  ): Promise<PasswordSignIn> {
    const email = emailInput.trim().toLowerCase();
    const now = this.clock();
    const emailKey = `sign-in:email:${fingerprint(email)}`;
    const clientKey = `sign-in:client:${clientBucket(clientAddress)}`;
    const since = new Date(now.getTime() - SIGN_IN_THROTTLE.windowMs).toISOString();
    const failures = await q.countAttempts(this.db, [emailKey, clientKey], since);
    if (
      (failures.get(emailKey) ?? 0) >= SIGN_IN_THROTTLE.perEmail ||
      (failures.get(clientKey) ?? 0) >= SIGN_IN_THROTTLE.perClient
    )
      return { outcome: 'throttled' };

    const row = await q.findAccountByEmail(this.db, email);
    const stored = row?.email_verified_at ? row.password_hash : null;
    const right = stored ? await verifyPassword(stored, password) : await verifyNothing(password);
    if (!row || !stored || !right) {
      await this.db.transaction().execute(async (trx) => {
        await q.deleteAttemptsBefore(trx, since);
        await q.recordAttempts(trx, [emailKey, clientKey], now.toISOString());
      });
      return { outcome: 'wrong' };
    }
    const account = await this.db.transaction().execute(async (trx) => {
      await q.clearAttempts(trx, emailKey);
      await q.claimCases(trx, row.id, row.email);
      return q.updateAccount(trx, row.id, {
        last_signed_in_at: now.toISOString(),
        // Upgraded while we have the password in hand, whenever our parameters go up.
        ...(needsRehash(stored) ? { password_hash: await hashPassword(password) } : {}),
      });
    });
    return { outcome: 'signed-in', account: toSignedIn(account), signedInAt: now };
  }

  // ---- Sessions ----------------------------------------------------------------------------

  /**
   * The account behind a session that signed in at `signedInAt`, or undefined when it no
   * longer exists or the resident has since signed out everywhere or changed their password.
   */
  async forSession(accountId: number, signedInAt: Date): Promise<SignedInAccount | undefined> {
    const row = await q.findAccountById(this.db, accountId);
    if (!row || new Date(row.sessions_valid_after).getTime() > signedInAt.getTime())
      return undefined;
    return toSignedIn(row);
  }

  /** Every session signed in before now, on any device, is signed out. */
  async signOutEverywhere(accountId: number): Promise<void> {
    const now = this.clock().toISOString();
    await q.updateAccount(this.db, accountId, { sessions_valid_after: now, updated_at: now });
  }

  // ---- The resident's cases ----------------------------------------------------------------

  /** Makes cases sent with the account's verified address, while not signed in, the account's. */
  async claimCases(account: SignedInAccount): Promise<number> {
    if (!account.emailVerified) return 0;
    return q.claimCases(this.db, account.id, account.email);
  }

  /** A page of the resident's cases, newest first, and how many match in all. */
  async listCases(
    accountId: number,
    filters: CaseFilters,
    page: { limit: number; offset: number },
  ): Promise<{ cases: AccountCase[]; total: number }> {
    const filter = caseFilter(filters);
    const [rows, total] = await Promise.all([
      q.listAccountCases(this.db, accountId, filter, page),
      q.countAccountCases(this.db, accountId, filter),
    ]);
    return {
      cases: rows.map(({ has_update, ...row }) => ({
        ...toCase(row),
        hasUpdate: has_update === true || Number(has_update) === 1,
      })),
      total,
    };
  }

  /**
   * The resident's case with this reference, or undefined: someone else's case and a case
   * that does not exist look the same, so a reference's existence is not revealed.
   */
  async caseFor(accountId: number, ref: string): Promise<Case | undefined> {
    let found: Case | undefined;
    try {
      found = await this.cases.getByRef(ref);
    } catch {
      return undefined; // Not even a reference.
    }
    return found?.accountId === accountId ? found : undefined;
  }

  /** The newest public event the resident had seen on the case before now (0 if none). */
  async lastSeenEvent(accountId: number, caseId: number): Promise<number> {
    return (await q.findCaseView(this.db, accountId, caseId))?.last_event_id ?? 0;
  }

  async markSeen(accountId: number, caseId: number, lastEventId: number): Promise<void> {
    await q.saveCaseView(this.db, {
      account_id: accountId,
      case_id: caseId,
      last_event_id: lastEventId,
      viewed_at: this.clock().toISOString(),
    });
  }

  // ---- Internals ---------------------------------------------------------------------------

  private async checkNewPassword(password: string): Promise<void> {
    const problem = await newPasswordProblem(password);
    if (problem) throw new ValidationError(problem, 'password');
  }

  /**
   * Uses up an emailed link and signs its account in: the address it was sent to is now
   * verified, the account's other unused links of the kind go, and cases made with the
   * address are claimed — in one transaction.
   */
  private async signInByLink(
    token: string,
    purpose: q.TokenPurpose,
    change: { password_hash?: string; signOutOthers?: boolean },
  ): Promise<LinkSignIn | undefined> {
    const now = this.clock();
    const at = now.toISOString();
    return this.db.transaction().execute(async (trx) => {
      const used = await q.useToken(trx, fingerprint(token), purpose, at);
      if (!used) return undefined;
      const current = await q.findAccountById(trx, used.account_id);
      // The link was for an address the account no longer has: it proves nothing now.
      if (current?.email !== used.email) return undefined;
      await q.deleteUnusedTokens(trx, used.account_id, purpose);
      const account = await q.updateAccount(trx, used.account_id, {
        email_verified_at: current.email_verified_at ?? at,
        last_signed_in_at: at,
        updated_at: at,
        ...(change.password_hash ? { password_hash: change.password_hash } : {}),
        ...(change.signOutOthers ? { sessions_valid_after: at } : {}),
      });
      await q.claimCases(trx, account.id, account.email);
      return { account: toSignedIn(account), signedInAt: now, returnTo: used.return_to };
    });
  }

  /**
   * A sign-in or reset link for a registered address; for any other, an email saying there is
   * no account with it and how to make one. Either way the page afterwards is the same.
   */
  private async sendLinkOrNoAccount(
    emailInput: string,
    purpose: q.TokenPurpose,
    returnTo: string | null,
    content: (link: string) => AccountEmail,
  ): Promise<void> {
    const email = emailInput.trim().toLowerCase();
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      if (!(await this.mayEmail(trx, email, now))) return;
      const account = await q.findAccountByEmail(trx, email);
      if (!account) {
        await this.mail(
          trx,
          email,
          `You do not have an account with ${this.settings.councilName}`,
          [
            `Someone, probably you, asked to sign in to ${this.settings.councilName} with this email address, but there is no account for it.`,
            '',
            'You can create an account at:',
            `${this.settings.publicUrl}/account/sign-up`,
            '',
            'If it was not you, you can ignore this email.',
          ],
        );
        return;
      }
      const link = await this.issueLink(trx, account, purpose, returnTo, now);
      await queueEmail(trx, this.settings.secret, { to: email, ...content(link) });
    });
  }

  private async issueLink(
    trx: Kysely<DB>,
    account: q.AccountRow,
    purpose: q.TokenPurpose,
    returnTo: string | null,
    now: Date,
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await q.deleteExpiredTokens(trx, now.toISOString());
    await q.insertToken(trx, {
      token_hash: fingerprint(token),
      account_id: account.id,
      purpose,
      email: account.email,
      return_to: returnTo,
      expires_at: new Date(now.getTime() + LINK_LIFETIME_MS[purpose]).toISOString(),
      used_at: null,
      created_at: now.toISOString(),
    });
    return `${this.settings.publicUrl}${LINK_PATHS[purpose]}/${token}`;
  }

  /** Counts an email to the address, unless it has had its share this hour. */
  private async mayEmail(trx: Kysely<DB>, email: string, now: Date): Promise<boolean> {
    const key = `mail:${fingerprint(email)}`;
    const since = new Date(now.getTime() - 60 * 60_000).toISOString();
    const sent = (await q.countAttempts(trx, [key], since)).get(key) ?? 0;
    if (sent >= MAILS_PER_ADDRESS_PER_HOUR) return false;
    await q.recordAttempts(trx, [key], now.toISOString());
    return true;
  }

  private mail(trx: Kysely<DB>, to: string, subject: string, lines: string[]): Promise<void> {
    return accountMail(trx, this.settings, to, subject, lines);
  }
}

/** An email about the resident's account: a sign-in link, or a notice in a few paragraphs. */
type AccountEmail =
  | { template: 'sign-in-link'; data: TemplateData['sign-in-link'] }
  | { template: 'account-notice'; data: TemplateData['account-notice'] };

function notice(subject: string, lines: string[]): AccountEmail {
  return { template: 'account-notice', data: { subject, paragraphs: lines.filter(Boolean) } };
}

/** An account notice, queued in the caller's transaction; the council signs it off. */
export function accountMail(
  trx: Kysely<DB>,
  settings: { secret: string },
  to: string,
  subject: string,
  lines: string[],
): Promise<void> {
  return queueEmail(trx, settings.secret, { to, ...notice(subject, lines) });
}

/** Where each kind of emailed link opens. */
export const LINK_PATHS: Record<q.TokenPurpose, string> = {
  verify_email: '/account/verify',
  sign_in: '/account/sign-in/email',
  reset_password: '/account/password/reset',
  change_email: '/account/profile/email',
};

/**
 * What failed sign-ins from a client are counted by: its IPv4 address, or for IPv6 the /64
 * it is in, since one household or phone usually has a whole /64 to pick addresses from.
 */
export function clientBucket(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!address.includes(':')) return address;
  const [bare = ''] = address.split('%');
  const [head = '', tail = ''] = bare.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = bare.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  const prefix = groups
    .slice(0, 4)
    .map((group) => (Number.parseInt(group, 16) || 0).toString(16))
    .join(':');
  return `${prefix}::/64`;
}

/** An account row as other modules see it (also used by oidc.ts). */
export function toSignedIn(row: q.AccountRow): SignedInAccount {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    emailVerified: row.email_verified_at !== null,
    role: row.role,
    team: row.team,
  };
}

/** The kind and status pairs the filters keep; undefined when they keep everything. */
function caseFilter({ kind, status }: CaseFilters): q.CaseFilter {
  if (!kind && !status) return undefined;
  return (kind ? [kind] : KIND_NAMES)
    .map((name) => {
      const statuses: Record<string, StatusDefinition> = CASE_KINDS[name].statuses;
      return {
        kind: name,
        statuses: Object.entries(statuses)
          .filter(([value, { open311 }]) => !status || value === status || open311 === status)
          .map(([value]) => value),
      };
    })
    .filter((pair) => pair.statuses.length > 0);
}
