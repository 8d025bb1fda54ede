import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { fingerprint, seal, unseal } from '../../platform/crypto.js';
import type { DB } from '../../platform/db/types.js';
import { ConflictError, NotFoundError } from '../../platform/errors.js';
import { enqueueMail } from '../../platform/outbox/mailer.js';
import { formatDate } from '../../platform/views/views.js';
import type { ServiceDefinition } from '../catalogue/definition.js';
import type { Answers } from './journey.js';
import * as q from './queries.js';

/** How long a "save and come back later" link works. */
export const SAVE_DAYS = 28;
const PURPOSE = 'saved-forms';

interface SavedContent {
  email: string;
  version: number;
  answers: Answers;
}

/**
 * "Save and come back later" for residents who are not signed in: the answers so far,
 * sealed at rest, and an emailed link that works once, for 28 days.
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
      await enqueueMail(trx, this.settings.secret, {
        to: email,
        subject: `Finish your form: ${service.name}`,
        text: [
          `You saved your answers to "${service.name}".`,
          '',
          `To carry on where you left off, use this link before ${formatDate(expires)}:`,
          link,
          '',
          'The link works once. If it has run out, you will need to start again.',
          'If you did not ask for this, you can ignore this email.',
          '',
          this.settings.councilName,
        ].join('\n'),
      });
    });
    return expires;
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
