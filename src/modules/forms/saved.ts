import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { fingerprint, seal, unseal } from '../../platform/crypto.js';
import type { DB } from '../../platform/db/types.js';
import { ConflictError, NotFoundError } from '../../platform/errors.js';
import { queueEmail } from '../notifications/queue.js';
import type { ServiceDefinition } from '../catalogue/definition.js';
import type { Answers } from './journey.js';
import * as q from './queries.js';

/** How long a "save and come back later" link works. */
export const SAVE_DAYS = 28;
const PURPOSE = 'saved-forms';

interface SavedContent {
  /** Where the link was sent; empty for a form saved to an account. */
  email: string;
  version: number;
  answers: Answers;
}

/**
 * "Save and come back later": the answers so far, sealed at rest, for 28 days. Residents
 * who are not signed in get an emailed link that works once; signed-in residents find the
 * form in My Account until they send it.
 */
export class SavedForms {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly settings: { secret: string; publicUrl: string; councilName: string },
  ) {}

  /** Saves the answers and queues the email with the link, in one transaction. Returns when the link expires. */
  async save(
    service: ServiceDefinition,
    answers: Answers,
    email: string,
    now = new Date(),
  ): Promise<Date> {
    const token = randomBytes(24).toString('base64url');
    const expires = new Date(now.getTime() + SAVE_DAYS * 24 * 60 * 60 * 1000);
    const content: SavedContent = { email, version: service.version, answers };
    const link = `${this.settings.publicUrl}/services/${service.code}/resume/${token}`;
    await this.db.transaction().execute(async (trx) => {
      await q.deleteExpiredSavedForms(trx, now.toISOString());
      await q.insertSavedForm(trx, {
        token_hash: fingerprint(token),
        service_code: service.code,
        sealed: seal(this.settings.secret, PURPOSE, content),
        expires_at: expires.toISOString(),
        created_at: now.toISOString(),
      });
      await queueEmail(trx, this.settings.secret, {
        to: email,
        template: 'saved-form',
        data: { serviceName: service.name, link, expiresAt: expires.toISOString() },
      });
    });
    return expires;
  }

  /** Saves a signed-in resident's answers to their account, replacing any earlier save of the same form. */
  async saveForAccount(
    service: ServiceDefinition,
    answers: Answers,
    accountId: number,
    now = new Date(),
  ): Promise<Date> {
    const expires = new Date(now.getTime() + SAVE_DAYS * 24 * 60 * 60 * 1000);
    const content: SavedContent = { email: '', version: service.version, answers };
    await this.db.transaction().execute(async (trx) => {
      await q.deleteExpiredSavedForms(trx, now.toISOString());
      await q.deleteSavedFormsOfAccount(trx, accountId, service.code);
      await q.insertSavedForm(trx, {
        // Never sent anywhere: the account is the key. The column is unique, so it is random.
        token_hash: fingerprint(randomBytes(24).toString('base64url')),
        service_code: service.code,
        sealed: seal(this.settings.secret, PURPOSE, content),
        expires_at: expires.toISOString(),
        created_at: now.toISOString(),
        account_id: accountId,
      });
    });
    return expires;
  }

  /** The forms an account has saved and not yet sent, for My Account. */
  async listForAccount(accountId: number, now = new Date()) {
    const rows = await q.savedFormsOfAccount(this.db, accountId, now.toISOString());
    return rows.map((row) => ({
      serviceCode: row.service_code,
      savedAt: new Date(row.created_at),
      expiresAt: new Date(row.expires_at),
    }));
  }

  /**
   * A signed-in resident's saved answers to a service, or undefined if there are none or the
   * questions have changed since. The save stays until the form is sent or saved again.
   */
  async forAccount(
    service: ServiceDefinition,
    accountId: number,
    now = new Date(),
  ): Promise<Answers | undefined> {
    const [row] = await q.savedFormsOfAccount(this.db, accountId, now.toISOString(), service.code);
    const content =
      row && (unseal(this.settings.secret, PURPOSE, row.sealed) as SavedContent | undefined);
    return content?.version === service.version ? content.answers : undefined;
  }

  /** The form was sent: its save is no longer needed. */
  discardForAccount(service: ServiceDefinition, accountId: number): Promise<void> {
    return q.deleteSavedFormsOfAccount(this.db, accountId, service.code);
  }

  /** The saved answers behind a link; the link is used up. Throws a clear error when it cannot work. */
  async resume(service: ServiceDefinition, token: string, now = new Date()): Promise<Answers> {
    const row = await q.findSavedForm(this.db, fingerprint(token), service.code);
    const gone = 'This link has expired or has already been used. You will need to start again.';
    if (!row) throw new NotFoundError(gone);
    await q.deleteSavedForm(this.db, row.id);
    if (row.expires_at <= now.toISOString()) throw new NotFoundError(gone);
    const content = unseal(this.settings.secret, PURPOSE, row.sealed) as SavedContent | undefined;
    if (!content) throw new NotFoundError(gone);
    if (content.version !== service.version)
      throw new ConflictError(
        'The questions have changed since you saved your answers. You will need to start again.',
      );
    return content.answers;
  }
}
