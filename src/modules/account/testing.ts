/**
 * What the account tests share: reading the emails the app queued (sealed in the outbox, as a
 * worker would open them), and a resident who signs up through the real pages.
 */
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { TestApp, Visitor } from '../../../test/helper.js';
import { unseal } from '../../platform/crypto.js';
import type { DB } from '../../platform/db/types.js';
import { composeMessage, type TemplateData, type TemplateName } from '../notifications/messages.js';
import { DELIVERY_PURPOSE } from '../notifications/queue.js';
import { renderEmail, type RenderedEmail } from '../notifications/render.js';
import type { OpenCaseInput } from '../cases/service.js';

/** Where the queued emails are, and the key that opens them. */
export interface Outbox {
  db: Kysely<DB>;
  secret: string;
  publicUrl: string;
}

export const outboxOf = ({ database, config }: TestApp): Outbox => ({
  db: database.db,
  secret: config.sessionSecret,
  publicUrl: config.publicUrl,
});

/** Every email queued so far to `address`, oldest first, rendered as the worker would send it. */
export async function emailsTo(
  app: TestApp | Outbox,
  address: string,
): Promise<(RenderedEmail & { to: string; template: string })[]> {
  const { db, secret, publicUrl } = 'app' in app ? outboxOf(app) : app;
  const rows = await db
    .selectFrom('deliveries')
    .select(['recipient', 'template', 'sealed'])
    .where('channel', '=', 'email')
    .where('recipient', '=', address)
    .orderBy('id')
    .execute();
  return rows.map((row) => {
    const data = unseal(secret, DELIVERY_PURPOSE, row.sealed) as TemplateData[TemplateName];
    const message = composeMessage(row.template as TemplateName, data);
    const branding = { councilName: 'Westmoor County Council', publicUrl, colour: '#1d70b8' };
    return { to: row.recipient, template: row.template, ...renderEmail(message, branding) };
  });
}

/** The path of the newest link to `linkPath` emailed to `address`, e.g. /account/verify/<token>. */
export async function emailedLink(app: TestApp | Outbox, address: string, linkPath: string) {
  const { publicUrl } = 'app' in app ? outboxOf(app) : app;
  const emails = await emailsTo(app, address);
  const pattern = new RegExp(`${publicUrl}(${linkPath}/[\\w-]{43})`);
  for (const email of emails.reverse()) {
    const link = pattern.exec(email.text)?.[1];
    if (link) return link;
  }
  assert.fail(`no ${linkPath} link was emailed to ${address}`);
}

/** Just the token of the newest such link. */
export async function emailedToken(app: TestApp | Outbox, address: string, linkPath: string) {
  return (await emailedLink(app, address, linkPath)).slice(linkPath.length + 1);
}

export interface Resident {
  name: string;
  email: string;
  password: string;
}

let count = 0;
/** A resident nobody has used yet in this test run. */
export function newResident(name = 'Ann Example'): Resident {
  count += 1;
  return {
    name,
    email: `resident${count}-${Date.now()}@example.org`,
    password: `quiet lantern meadow ${count}`,
  };
}

/** Signs up through the pages, confirms with the emailed link and creates a password: signed in. */
export async function signUp(app: TestApp, visitor: Visitor, resident: Resident): Promise<void> {
  await visitor.get('/account/sign-up');
  const started = await visitor.post('/account/sign-up', {
    name: resident.name,
    email: resident.email,
  });
  assert.equal(started.statusCode, 303, started.body);
  const link = await emailedLink(app, resident.email, '/account/verify');
  await visitor.get(link);
  const created = await visitor.post(link, { password: resident.password, choice: 'password' });
  assert.equal(created.statusCode, 303, created.body);
  assert.equal(created.headers.location, '/account');
}

/** Signs in with email and password through the sign-in page. */
export async function signIn(visitor: Visitor, resident: Resident) {
  await visitor.get('/account/sign-in');
  return visitor.post('/account/sign-in', { email: resident.email, password: resident.password });
}

/** A pothole report to open with CaseService.openCase, with any fields changed. */
export function report(overrides: Partial<OpenCaseInput> = {}): OpenCaseInput {
  return {
    serviceCode: 'report-a-pothole',
    refPrefix: 'PTH',
    kind: 'report',
    channel: 'web',
    title: 'Pothole on Mill Lane',
    actor: { type: 'resident' },
    ...overrides,
  };
}
