import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { fingerprint, seal, unseal } from '../../platform/crypto.js';
import type { DB } from '../../platform/db/types.js';
import { verifyPassword } from './passwords.js';
import * as q from './queries.js';
import { SIGN_IN_THROTTLE } from './service.js';

/** How many recovery codes a resident is given when they turn two-factor on. */
export const RECOVERY_CODE_COUNT = 10;
/** Codes from one step either side of now are accepted: phones' clocks drift, people are slow. */
const WINDOW = 1;
const PERIOD_SECONDS = 30;
/** The key the TOTP secret is sealed with, derived for this use alone. */
const SECRET_PURPOSE = 'account-totp-secret';
/** …and the one a secret being set up is held in the session with. */
const SET_UP_PURPOSE = 'account-totp-set-up';
/** Recovery codes: no 0/o, 1/l/i, so they can be read off paper. */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Where an account stands with two-factor sign-in. */
export interface TwoFactorStatus {
  on: boolean;
  /** Staff (any role but 'resident') must have it on. */
  required: boolean;
  /** Recovery codes not yet used. */
  recoveryCodesLeft: number;
}

export type SecondFactorCheck = 'right' | 'wrong' | 'throttled';

/** What the set-up page shows: the same secret as text and as a QR code. */
export interface TwoFactorSetUp {
  secret: string;
  /** The secret sealed, to hold in the session until the resident confirms it. */
  sealed: string;
  /** The secret in groups of 4, easier to type. */
  secretForReading: string;
  /** A PNG data: URL of the otpauth:// link, for the app to scan. */
  qrCode: string;
}

/**
 * Two-factor sign-in with a time-based code (TOTP, RFC 6238) from an authenticator app, or a
 * one-time recovery code. Optional for residents, required for staff. The secret is stored
 * sealed; recovery codes only as fingerprints; the time step of the last accepted code is
 * kept, so a code seen over someone's shoulder cannot be used again. No HTTP here.
 */
export class TwoFactorService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly settings: { secret: string; councilName: string },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async status(accountId: number): Promise<TwoFactorStatus> {
    const row = await findTwoFactor(this.db, accountId);
    const left = row?.totp_secret ? await countUnusedRecoveryCodes(this.db, accountId) : 0;
    return {
      on: Boolean(row?.totp_secret),
      required: row !== undefined && row.role !== 'resident',
      recoveryCodesLeft: left,
    };
  }

  /** Whether the account is staff without two-factor, and so may do nothing until it is set up. */
  async mustSetUp(accountId: number): Promise<boolean> {
    const row = await findTwoFactor(this.db, accountId);
    return row !== undefined && row.role !== 'resident' && !row.totp_secret;
  }

  /**
   * A secret to set up, not yet saved: it is saved once the resident proves their app has it.
   * `held` is the one this set-up already showed (sealed, from the session), so reloading the
   * page does not change the secret the resident may already have scanned.
   */
  async startSetUp(email: string, held: unknown): Promise<TwoFactorSetUp> {
    const kept = this.openHeld(held);
    const secret = kept ?? new Secret({ size: 20 }).base32;
    return {
      secret,
      sealed: seal(this.settings.secret, SET_UP_PURPOSE, secret),
      secretForReading: secret.replace(/(.{4})(?=.)/g, '$1 '),
      qrCode: await QRCode.toDataURL(this.totp(secret, email).toString(), { margin: 2 }),
    };
  }

  /**
   * Turns two-factor on with `secret` if `code` is what the resident's app shows for it now,
   * and returns their new recovery codes (shown once; only fingerprints are kept). Undefined
   * when the code is wrong.
   */
  async turnOn(accountId: number, held: unknown, code: string): Promise<string[] | undefined> {
    const secret = this.openHeld(held);
    const step = secret === undefined ? undefined : this.stepFor(secret, code);
    if (secret === undefined || step === undefined) return undefined;
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    const now = this.clock().toISOString();
    await this.db.transaction().execute(async (trx) => {
      await setTotp(trx, accountId, {
        totp_secret: seal(this.settings.secret, SECRET_PURPOSE, secret),
        totp_last_step: step,
        updated_at: now,
      });
      await deleteRecoveryCodes(trx, accountId);
      await insertRecoveryCodes(
        trx,
        codes.map((c) => ({
          account_id: accountId,
          code_hash: fingerprint(normalised(c)),
          used_at: null,
          created_at: now,
        })),
      );
    });
    return codes.map(readable);
  }

  /**
   * Checks the second factor at sign-in: a code from the app (each usable once) or a recovery
   * code (used up). Wrong codes are counted like failed passwords, and too many refuse every
   * attempt for a while.
   */
  async check(accountId: number, input: string): Promise<SecondFactorCheck> {
    const now = this.clock();
    const key = throttleKey(accountId);
    const since = new Date(now.getTime() - SIGN_IN_THROTTLE.windowMs).toISOString();
    const failures = (await q.countAttempts(this.db, [key], since)).get(key) ?? 0;
    if (failures >= SIGN_IN_THROTTLE.perEmail) return 'throttled';
    const right = await this.useCode(accountId, input, now);
    if (!right) {
      await this.db.transaction().execute(async (trx) => {
        await q.deleteAttemptsBefore(trx, since);
        await q.recordAttempts(trx, [key], now.toISOString());
      });
      return 'wrong';
    }
    await q.clearAttempts(this.db, key);
    return 'right';
  }

  /**
   * Turns two-factor off, with a current code or the account's password; staff cannot.
   * Wrong answers count towards the same throttle as signing in.
   */
  async turnOff(
    accountId: number,
    proof: { code: string } | { password: string },
  ): Promise<SecondFactorCheck | 'required'> {
    const row = await findTwoFactor(this.db, accountId);
    if (!row?.totp_secret) return 'right';
    if (row.role !== 'resident') return 'required';
    if ('code' in proof) {
      const checked = await this.check(accountId, proof.code);
      if (checked !== 'right') return checked;
    } else {
      const now = this.clock();
      const key = throttleKey(accountId);
      const since = new Date(now.getTime() - SIGN_IN_THROTTLE.windowMs).toISOString();
      if (
        ((await q.countAttempts(this.db, [key], since)).get(key) ?? 0) >= SIGN_IN_THROTTLE.perEmail
      )
        return 'throttled';
      const right = row.password_hash
        ? await verifyPassword(row.password_hash, proof.password)
        : false;
      if (!right) {
        await q.recordAttempts(this.db, [key], now.toISOString());
        return 'wrong';
      }
    }
    await this.db.transaction().execute(async (trx) => {
      await setTotp(trx, accountId, {
        totp_secret: null,
        totp_last_step: null,
        updated_at: this.clock().toISOString(),
      });
      await deleteRecoveryCodes(trx, accountId);
    });
    return 'right';
  }

  /** Whether the account signs in with a password (to offer it for turning two-factor off). */
  async hasPassword(accountId: number): Promise<boolean> {
    return Boolean((await findTwoFactor(this.db, accountId))?.password_hash);
  }

  now(): Date {
    return this.clock();
  }

  // ---- Internals ---------------------------------------------------------------------------

  private openHeld(held: unknown): string | undefined {
    if (typeof held !== 'string') return undefined;
    const secret = unseal(this.settings.secret, SET_UP_PURPOSE, held);
    return typeof secret === 'string' ? secret : undefined;
  }

  private totp(secret: string, label: string): TOTP {
    return new TOTP({
      issuer: this.settings.councilName,
      label,
      algorithm: 'SHA1',
      digits: 6,
      period: PERIOD_SECONDS,
      secret: Secret.fromBase32(secret),
    });
  }

  /** The time step `code` belongs to for `secret`, around now; undefined if it is not one. */
  private stepFor(secret: string, code: string): number | undefined {
    const token = normalised(code);
    if (!/^\d{6}$/.test(token)) return undefined;
    const timestamp = this.clock().getTime();
    const delta = this.totp(secret, '').validate({ token, timestamp, window: WINDOW });
    if (delta === null) return undefined;
    return Math.floor(timestamp / 1000 / PERIOD_SECONDS) + delta;
  }

  private async useCode(accountId: number, input: string, now: Date): Promise<boolean> {
    const row = await findTwoFactor(this.db, accountId);
    const sealed = row?.totp_secret;
    if (!sealed) return false;
    const code = normalised(input);
    if (/^\d{6}$/.test(code)) {
      const secret = unseal(this.settings.secret, SECRET_PURPOSE, sealed);
      const step = typeof secret === 'string' ? this.stepFor(secret, code) : undefined;
      // One statement, so two requests racing with the same code cannot both succeed.
      return step !== undefined && (await useStep(this.db, accountId, step));
    }
    if (!/^[a-z0-9]{10}$/.test(code)) return false;
    return useRecoveryCode(this.db, accountId, fingerprint(code), now.toISOString());
  }
}

function throttleKey(accountId: number): string {
  return `two-factor:account:${String(accountId)}`;
}

/** What the resident typed, without the spaces and dashes people add, in lower case. */
function normalised(code: string): string {
  return code.replace(/[\s-]/g, '').toLowerCase();
}

function newRecoveryCode(): string {
  return Array.from(
    { length: 10 },
    () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)],
  ).join('');
}

/** "abcde-fghjk": two halves are easier to copy by hand. */
function readable(code: string): string {
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

// ---- SQL ------------------------------------------------------------------------------------

function findTwoFactor(db: Kysely<DB>, accountId: number) {
  return db
    .selectFrom('accounts')
    .select(['role', 'totp_secret', 'totp_last_step', 'password_hash'])
    .where('id', '=', accountId)
    .executeTakeFirst();
}

async function setTotp(
  db: Kysely<DB>,
  accountId: number,
  changes: { totp_secret: string | null; totp_last_step: number | null; updated_at: string },
): Promise<void> {
  await db.updateTable('accounts').set(changes).where('id', '=', accountId).execute();
}

/** Records `step` as used, if no code from it or a later step has been: false if one has. */
async function useStep(db: Kysely<DB>, accountId: number, step: number): Promise<boolean> {
  const result = await db
    .updateTable('accounts')
    .set({ totp_last_step: step })
    .where('id', '=', accountId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

async function useRecoveryCode(
  db: Kysely<DB>,
  accountId: number,
  codeHash: string,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('account_recovery_codes')
    .set({ used_at: now })
    .where('account_id', '=', accountId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

async function countUnusedRecoveryCodes(db: Kysely<DB>, accountId: number): Promise<number> {
  const row = await db
    .selectFrom('account_recovery_codes')
    .select((eb) => eb.fn.countAll().as('count'))
    .where('account_id', '=', accountId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

async function insertRecoveryCodes(
  db: Kysely<DB>,
  rows: { account_id: number; code_hash: string; used_at: null; created_at: string }[],
): Promise<void> {
  await db.insertInto('account_recovery_codes').values(rows).execute();
}

async function deleteRecoveryCodes(db: Kysely<DB>, accountId: number): Promise<void> {
  await db.deleteFrom('account_recovery_codes').where('account_id', '=', accountId).execute();
}
