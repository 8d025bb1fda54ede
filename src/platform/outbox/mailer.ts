import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import nodemailer from 'nodemailer';
import { seal, unseal } from '../crypto.js';
import type { DB } from '../db/types.js';
import { enqueue } from './outbox.js';

export interface Email {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(email: Email): Promise<void>;
}

/**
 * SMTP when SMTP_URL is set (any relay: Postfix, Amazon SES, Mailgun…). Without one, each
 * email is written as an .eml file under data/mail, so a developer can open what residents
 * would receive and nothing is sent by accident.
 */
export function createMailer(options: {
  smtpUrl: string | undefined;
  from: string;
  dataDir: string;
}): Mailer {
  if (options.smtpUrl) {
    // Timeouts well inside the outbox lease (5 minutes), so a hung relay fails the job
    // for a retry instead of letting a second worker send the same email.
    const transport = nodemailer.createTransport({
      url: options.smtpUrl,
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
    });
    return {
      async send(email) {
        await transport.sendMail({ from: options.from, ...email });
      },
    };
  }
  const folder = path.join(options.dataDir, 'mail');
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  return {
    async send(email) {
      const info = await transport.sendMail({ from: options.from, ...email });
      await mkdir(folder, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^\w.-]/g, '')}.eml`;
      await writeFile(path.join(folder, name), info.message as Buffer);
    },
  };
}

/** The outbox job that sends one email. Its payload is sealed: it may hold a secret link. */
export const MAIL_JOB = 'mail.send';
const MAIL_PURPOSE = 'outbox-mail';

/** Queues an email in the caller's transaction; the worker sends it (and retries) later. */
export async function enqueueMail(db: Kysely<DB>, secret: string, email: Email): Promise<void> {
  await enqueue(db, { type: MAIL_JOB, payload: { sealed: seal(secret, MAIL_PURPOSE, email) } });
}

export function sendQueuedMail(mailer: Mailer, secret: string) {
  return async (payload: unknown): Promise<void> => {
    const email = unseal(secret, MAIL_PURPOSE, (payload as { sealed: string }).sealed) as
      Email | undefined;
    // A payload this key cannot open can never be sent; failing would only retry it for nothing.
    if (!email) throw new Error('This email could not be unsealed (was SESSION_SECRET changed?)');
    await mailer.send(email);
  };
}
