/** What the Open311 tests share: a key issued as an administrator would, and calls made with it. */
import { JSDOM } from 'jsdom';
import type { TestContext } from 'node:test';
import { createServices } from '../../app.js';
import { createSenders, jobHandlers } from '../../jobs.js';
import { createLogger } from '../../platform/logger.js';
import { Worker } from '../../platform/outbox/worker.js';
import { councilFileWith } from '../../../test/council-file.js';
import type { TestApp } from '../../../test/helper.js';
import type { Staff } from '../backoffice/roles.js';
import { ApiKeys } from './keys.js';

export const ADMIN: Staff = { id: 1, name: 'Ali Admin', role: 'admin', team: null };

/** A pothole on Market Street, Westmoor, as a back office sends it to POST requests. */
export const POTHOLE = {
  service_code: 'report-a-pothole',
  lat: '51.4203',
  long: '-2.2011',
  'attribute[position]': 'road',
  'attribute[depth]': 'deep',
  'attribute[width]': 'small',
  'attribute[dangerous]': 'no',
  description: 'A deep pothole by the bus stop.',
  email: 'sam@example.org',
  first_name: 'Sam',
  last_name: 'Jones',
};

/** A new key for `name`, allowed `perMinute` calls a minute. */
export async function issueKey(app: TestApp, name = 'Highways asset system', perMinute = 1000) {
  return new ApiKeys(app.database.db).issue(ADMIN, { name, perMinute: String(perMinute) });
}

/** A form-encoded POST, as back offices send Open311 calls. */
export function postForm(app: TestApp, url: string, fields: Record<string, string | string[]>) {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields))
    for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  return app.app.inject({
    method: 'POST',
    url,
    payload: body.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** An XML answer parsed by a real XML parser (jsdom's): a malformed document throws. */
export function xml(body: string): Document {
  return new JSDOM(body, { contentType: 'text/xml' }).window.document;
}

/** The text of each `name` element under `parent`, in order. */
export function texts(parent: Document | Element, name: string): string[] {
  return [...parent.getElementsByTagName(name)].map((e) => e.textContent);
}

/** The demo council's file with Open311 servers to send reports to (open311.sendTo). */
export function councilSendingTo(t: TestContext, sendTo: Record<string, unknown>[]): string {
  return councilFileWith(t, (council) => {
    council.open311.sendTo = sendTo;
  });
}

/**
 * An outbox worker for the app's database with every real handler (email kept in the
 * database mailbox), and the services it works through; `drain` runs jobs due by `at`
 * until none are left.
 */
export function outboxWorker(app: TestApp) {
  const logger = createLogger('silent');
  const services = createServices(app.database, app.config);
  const { config, database } = app;
  const senders = createSenders({ config, services, database, logger });
  const worker = new Worker(database, {
    handlers: jobHandlers({ config, services, database, logger, senders }),
    logger,
  });
  const drain = async (at = new Date()) => {
    while ((await worker.runOnce(at)) > 0);
  };
  return { services, worker, drain };
}
