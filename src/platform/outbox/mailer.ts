import type { Kysely } from 'kysely';
import nodemailer from 'nodemailer';
import SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { DB } from '../db/types.js';
import { type Email, type EmailSender, PermanentFailure } from './senders.js';

/** What nodemailer needs to write a message: the fields shared by the SMTP and mailbox senders. */
export function mailOptions(from: string, email: Email) {
  return {
    from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    ...(email.html ? { html: email.html } : {}),
    ...(email.messageId ? { messageId: email.messageId } : {}),
    ...(email.unsubscribeUrl
      ? {
          // RFC 8058: a mail provider may POST "List-Unsubscribe=One-Click" to the URL.
          list: { unsubscribe: { url: email.unsubscribeUrl, comment: 'Stop these emails' } },
          headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
        }
      : {}),
  };
}

/**
 * The relay refusing a recipient for good (5xx on RCPT TO or DATA: no such mailbox, domain
 * does not exist) is permanent; a 4xx or a dropped connection is worth retrying.
 */
function classify(err: unknown): unknown {
  const { responseCode, response } = err as { responseCode?: number; response?: string };
  if (typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600)
    return new PermanentFailure(
      'bounced',
      `The mail server refused it: ${response ?? responseCode}`,
    );
  return err;
}

/**
 * Email over SMTP to any relay (Postfix, Amazon SES, Mailgun…), on a small pool of kept-open
 * connections so a busy outbox does not pay a TLS handshake per message.
 */
export function smtpSender(options: {
  smtpUrl: string;
  from: string;
  maxConnections?: number;
}): EmailSender & { close(): void } {
  // Built as an SMTPPool, not through createTransport({ url, … }): given a url, createTransport
  // keeps only what the url says and drops the pool and timeout settings. The timeouts are well
  // inside the outbox lease (5 minutes), so a hung relay fails the job for a retry instead of
  // letting a second worker send the same email.
  const transport = nodemailer.createTransport(
    new SMTPPool({
      url: options.smtpUrl,
      pool: true,
      maxConnections: options.maxConnections ?? 8,
      // Reconnect now and then: some relays cap the messages one connection may send.
      maxMessages: 500,
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
    }),
  );
  return {
    async sendEmail(email) {
      try {
        const info = await transport.sendMail(mailOptions(options.from, email));
        return { id: info.messageId };
      } catch (err) {
        throw classify(err);
      }
    },
    close() {
      transport.close();
    },
  };
}

/**
 * With no relay or Notify key configured, email goes into the database's mailbox table
 * instead: a developer reads it at /dev/mailbox, and nothing is ever sent by accident.
 */
export function mailboxSender(db: Kysely<DB>, from: string): EmailSender {
  const writer = nodemailer.createTransport({ streamTransport: true, buffer: true });
  return {
    async sendEmail(email) {
      // Written through nodemailer so the stored headers are the ones SMTP would have sent.
      const info = await writer.sendMail(mailOptions(from, email));
      const headers: Record<string, string> = { from };
      const raw = (info.message as Buffer).toString('utf8');
      const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
      for (const line of head.split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon);
        if (/^list-unsubscribe(-post)?$/i.test(name)) headers[name] = line.slice(colon + 1).trim();
      }
      await db
        .insertInto('mailbox')
        .values({
          message_id: info.messageId,
          recipient: email.to,
          subject: email.subject,
          text: email.text,
          html: email.html ?? null,
          headers: JSON.stringify(headers),
          created_at: new Date().toISOString(),
        })
        .execute();
      return { id: info.messageId };
    },
  };
}
