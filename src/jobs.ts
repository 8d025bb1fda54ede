import type { Logger } from 'pino';
import type { Services } from './app.js';
import type { Config } from './platform/config.js';
import type { Database } from './platform/db/database.js';
import type { DB } from './platform/db/types.js';
import { createMailer, MAIL_JOB, sendQueuedMail } from './platform/outbox/mailer.js';
import type { JobHandler } from './platform/outbox/worker.js';
import { askIfResolved, notifySubscribers } from './modules/cases/notify.js';
import { CHECK_RESOLVED_JOB, NOTIFY_JOB } from './modules/cases/service.js';

/** Every outbox job type and the handler that runs it; used by the in-process worker and `shire worker`. */
export function jobHandlers(deps: {
  config: Config;
  services: Services;
  database: Database<DB>;
  logger: Logger;
}): Map<string, JobHandler> {
  const mailer = createMailer({
    smtpUrl: deps.config.smtpUrl,
    from: deps.config.mailFrom,
    dataDir: deps.config.dataDir,
  });
  return new Map<string, JobHandler>([
    [NOTIFY_JOB, notifySubscribers({ cases: deps.services.cases, mailer, config: deps.config })],
    [
      CHECK_RESOLVED_JOB,
      askIfResolved({ cases: deps.services.cases, mailer, config: deps.config }),
    ],
    [MAIL_JOB, sendQueuedMail(mailer, deps.config.sessionSecret)],
  ]);
}
