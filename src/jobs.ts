import type { Agent } from 'node:https';
import type { Logger } from 'pino';
import type { Services } from './app.js';
import type { Config } from './platform/config.js';
import type { Database } from './platform/db/database.js';
import type { DB } from './platform/db/types.js';
import { createNotifySender } from './platform/outbox/govuk-notify.js';
import { mailboxSender, smtpSender } from './platform/outbox/mailer.js';
import type { EmailSender, PushSender, SmsSender } from './platform/outbox/senders.js';
import { createPushSender } from './platform/outbox/web-push.js';
import type { JobHandler } from './platform/outbox/worker.js';
import { CHECK_RESOLVED_JOB, NOTIFY_JOB } from './modules/cases/service.js';
import { deliver, type Senders } from './modules/notifications/deliver.js';
import { askIfResolved, fanOut } from './modules/notifications/fan-out.js';
import { DELIVER_JOB } from './modules/notifications/queue.js';
import { SEND_JOB, type SendPayload } from './modules/open311/outgoing.js';
import { FETCH_JOB, type FetchPayload } from './modules/open311/remote-updates.js';

/**
 * How the platform reaches people, from config: GOV.UK Notify for email and text messages
 * when its key is set; otherwise email over SMTP_URL; otherwise, with neither, into the
 * database mailbox (shown at /dev/mailbox in development), so nothing is sent by accident.
 * Web push always works: its VAPID keys are made on first use and kept in the database.
 */
export function createSenders(deps: {
  config: Config;
  services: Services;
  database: Database<DB>;
  logger: Logger;
  pushAgent?: Agent;
}): Senders & { close(): void } {
  const { config } = deps;
  let email: EmailSender;
  let sms: SmsSender | undefined;
  let close = () => {
    // Nothing to close unless SMTP opened a pool.
  };
  if (config.notify) {
    const notify = createNotifySender(config.notify);
    email = notify;
    sms = notify;
  } else if (config.smtpUrl) {
    const smtp = smtpSender({ smtpUrl: config.smtpUrl, from: config.mailFrom });
    email = smtp;
    close = () => {
      smtp.close();
    };
  } else {
    if (config.env === 'production')
      deps.logger.warn('Neither SMTP_URL nor NOTIFY_API_KEY is set: email is kept in the database');
    email = mailboxSender(deps.database.db, config.mailFrom);
  }
  let push: Promise<PushSender> | undefined;
  const pushSender = () =>
    (push ??= deps.services.notifications.vapidKeys().then((vapid) =>
      createPushSender({
        vapid,
        subject: `mailto:${config.council.contact.email}`,
        ...(deps.pushAgent ? { agent: deps.pushAgent } : {}),
      }),
    ));
  return {
    email,
    sms,
    push: { sendPush: async (target, message) => (await pushSender()).sendPush(target, message) },
    close,
  };
}

/** Every outbox job type and the handler that runs it; used by the in-process worker and `shire worker`. */
export function jobHandlers(deps: {
  config: Config;
  services: Services;
  database: Database<DB>;
  logger: Logger;
  senders: Senders;
}): Map<string, JobHandler> {
  const { config, services, database } = deps;
  const settings = { secret: config.sessionSecret, publicUrl: config.publicUrl };
  const fanOutDeps = { db: database.db, cases: services.cases, settings };
  return new Map<string, JobHandler>([
    [NOTIFY_JOB, fanOut(fanOutDeps)],
    [CHECK_RESOLVED_JOB, askIfResolved(fanOutDeps)],
    [
      DELIVER_JOB,
      deliver({
        db: database.db,
        cases: services.cases,
        accounts: services.accounts,
        senders: deps.senders,
        secret: config.sessionSecret,
        branding: {
          councilName: config.council.name,
          publicUrl: config.publicUrl,
          colour: config.council.brandColour,
        },
      }),
    ],
    [
      SEND_JOB,
      (payload, job) => services.open311Outgoing.send(payload as SendPayload, job.attempt),
    ],
    [
      FETCH_JOB,
      async (payload) => {
        const { endpoint } = payload as FetchPayload;
        const failed = await services.open311RemoteUpdates.run({ endpoint });
        if (failed)
          deps.logger.warn(
            { err: failed, endpoint },
            'could not read updates from an Open311 server; the next read is queued',
          );
      },
    ],
  ]);
}
