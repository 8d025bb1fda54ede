import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { fingerprint } from '../../platform/crypto.js';
import type { DB } from '../../platform/db/types.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import { audit } from '../backoffice/audit.js';
import { requireAdmin, type Staff } from '../backoffice/roles.js';
import * as q from './queries.js';

/** What an administrator may set a key's limit to, in calls a minute. */
export const PER_MINUTE = { min: 1, max: 10_000 } as const;
const NAME_MAX = 100;

/** A live key, as a call made with it knows it. */
export interface ApiKey {
  id: number;
  name: string;
  perMinute: number;
}

/**
 * The keys back-office systems and apps use on the Open311 API. A key is 32 random bytes,
 * shown once when it is issued; only its SHA-256 is kept (a key this long needs no slow
 * hash: nobody can guess one to match). Issuing and revoking are administrators' changes,
 * in the audit log with the change.
 */
export class ApiKeys {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async list() {
    return (await q.listKeys(this.db)).map((row) => ({
      id: row.id,
      name: row.name,
      keyStart: row.key_start,
      perMinute: row.per_minute,
      createdBy: row.created_by,
      createdAt: new Date(row.created_at),
      revokedBy: row.revoked_by,
      revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
      lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
    }));
  }

  /** Issues a key; the answer holds the key itself, which is never available again. */
  async issue(
    admin: Staff,
    input: { name: string; perMinute: string },
  ): Promise<{ key: string; id: number }> {
    requireAdmin(admin);
    const name = input.name.trim();
    const perMinute = input.perMinute.trim();
    const errors: { field: string; message: string }[] = [];
    if (!name) errors.push({ field: 'name', message: 'Enter who the key is for' });
    else if (name.length > NAME_MAX)
      errors.push({
        field: 'name',
        message: `Who the key is for must be ${String(NAME_MAX)} characters or fewer`,
      });
    const limit = Number(perMinute);
    if (!perMinute)
      errors.push({
        field: 'perMinute',
        message: 'Enter how many calls a minute the key may make',
      });
    else if (!/^\d+$/.test(perMinute) || limit < PER_MINUTE.min || limit > PER_MINUTE.max)
      errors.push({
        field: 'perMinute',
        message: `Calls a minute must be a whole number from ${String(PER_MINUTE.min)} to ${PER_MINUTE.max.toLocaleString('en-GB')}`,
      });
    if (errors.length > 0) throw ValidationError.forFields(errors);

    const key = `shire_${randomBytes(32).toString('base64url')}`;
    const now = this.clock();
    const row = await this.db.transaction().execute(async (trx) => {
      const inserted = await q.insertKey(trx, {
        name,
        key_hash: fingerprint(key),
        key_start: key.slice(0, 10),
        per_minute: limit,
        created_by: admin.name,
        created_at: now.toISOString(),
        revoked_by: null,
        revoked_at: null,
        last_used_at: null,
      });
      await audit(
        trx,
        {
          actor: admin,
          action: 'open311.key.issue',
          target: { type: 'open311-key', id: String(inserted.id) },
          after: { name, perMinute: limit, keyStart: inserted.key_start },
        },
        now,
      );
      return inserted;
    });
    return { key, id: row.id };
  }

  /** Stops a key working at once; it stays listed, so the audit log still makes sense. */
  async revoke(admin: Staff, id: number): Promise<{ name: string }> {
    requireAdmin(admin);
    const found = Number.isSafeInteger(id) ? await q.findKey(this.db, id) : undefined;
    if (!found) throw new NotFoundError('There is no such key.');
    if (found.revoked_at !== null)
      throw new ValidationError(`The key for ${found.name} has already been revoked.`);
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      await q.revokeKey(trx, id, admin.name, now.toISOString());
      await audit(
        trx,
        {
          actor: admin,
          action: 'open311.key.revoke',
          target: { type: 'open311-key', id: String(id) },
          before: { name: found.name, keyStart: found.key_start },
        },
        now,
      );
    });
    return { name: found.name };
  }

  /** The live key this is, or undefined for a wrong or revoked one; notes when it was used. */
  async verify(key: string): Promise<ApiKey | undefined> {
    if (!key.startsWith('shire_') || key.length > 100) return undefined;
    const row = await q.findLiveKey(this.db, fingerprint(key));
    if (!row) return undefined;
    await q.keyUsed(this.db, row.id, this.clock().toISOString());
    return { id: row.id, name: row.name, perMinute: row.per_minute };
  }

  /** Every call made with a key goes in the audit log, with what it asked for and the answer. */
  async recordCall(
    key: ApiKey,
    call: { action: string; target: { type: string; id: string }; status: number },
  ): Promise<void> {
    await audit(
      this.db,
      {
        actor: { id: null, name: `Open311 key: ${key.name}` },
        action: call.action,
        target: call.target,
        after: { keyId: key.id, status: call.status },
      },
      this.clock(),
    );
  }
}
