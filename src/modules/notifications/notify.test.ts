import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { fakeNotify } from '../../../test/fake-notify.js';
import { fakePushService } from '../../../test/fake-push.js';
import { dialects, testConfig, testDatabase } from '../../../test/helper.js';
import { smtpServer } from '../../../test/smtp.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/types.js';
import { createLogger } from '../../platform/logger.js';
import { createNotifySender } from '../../platform/outbox/govuk-notify.js';
import { smtpSender } from '../../platform/outbox/mailer.js';
import { enqueue } from '../../platform/outbox/outbox.js';
import { createPushSender, loadVapidKeys } from '../../platform/outbox/web-push.js';
import { Worker } from '../../platform/outbox/worker.js';
import { AccountService } from '../account/service.js';
import { type Actor, CaseService, NOTIFY_JOB, type OpenCaseInput } from '../cases/service.js';
import { deliver } from './deliver.js';
import { fanOut } from './fan-out.js';
import { subscriptionFromLink } from './links.js';
import { DELIVER_JOB } from './queue.js';
import { NotificationService } from './service.js';

const PUBLIC_URL = 'https://www.westmoor.example.gov.uk';
const RESIDENT: Actor = { type: 'resident', name: 'Ada Lovelace' };
const STAFF: Actor = { type: 'staff', id: 12, name: 'Highways officer' };
const POTHOLE: OpenCaseInput = {
  serviceCode: 'pothole',
  refPrefix: 'PTH',
  kind: 'report',
  channel: 'web',
  title: 'Pothole on Mill Lane',
  contact: { name: 'Ada Lovelace', email: ' Ada@Example.org ' },
  location: { lat: 50.72, lng: -3.53 },
  actor: RESIDENT,
};

// ---------------------------------------------------------------------------------------------

/** A clock the test moves by hand, so every timestamp and every worker run is at a known time. */
function manualClock(start = new Date()) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
      return now;
    },
  };
}

/**
 * Cases, the notification jobs and real senders: SMTP to an in-process smtp-server, GOV.UK
 * Notify and a web push service, both local servers speaking their documented APIs.
 */
async function setup(t: TestContext, dialect: 'sqlite' | 'postgres') {
  const database = await testDatabase(t, dialect);
  const config: Config = testConfig(t, { PUBLIC_URL });
  const smtp = await smtpServer(t);
  const notify = await fakeNotify(t);
  const pushService = await fakePushService(t);
  const clock = manualClock();
  const cases = new CaseService(database.db, clock.now);
  const settings = { secret: config.sessionSecret, publicUrl: PUBLIC_URL, councilName: 'Westmoor' };
  const accounts = new AccountService(database.db, cases, settings, clock.now);
  const email = smtpSender({ smtpUrl: smtp.url, from: config.mailFrom });
  t.after(() => {
    email.close();
  });
  const vapid = await loadVapidKeys(database.db, config.sessionSecret);
  const worker = new Worker(database, {
    handlers: new Map([
      [NOTIFY_JOB, fanOut({ db: database.db, cases, settings, clock: clock.now })],
      [
        DELIVER_JOB,
        deliver({
          db: database.db,
          cases,
          accounts,
          secret: config.sessionSecret,
          clock: clock.now,
          branding: { councilName: config.council.name, publicUrl: PUBLIC_URL, colour: '#1d70b8' },
          senders: {
            email,
            sms: createNotifySender({
              apiKey: notify.apiKey,
              baseUrl: notify.url,
              emailTemplateId: notify.emailTemplateId,
              smsTemplateId: notify.smsTemplateId,
            }),
            push: createPushSender({
              vapid,
              subject: 'mailto:contact@westmoor.example.gov.uk',
              agent: pushService.agent,
            }),
          },
        }),
      ],
    ]),
    logger: createLogger('silent'),
    batchSize: 50,
  });
  /** Runs jobs until none is due: the fan-out, then the deliveries it queued. */
  const drain = async (at = clock.now()) => {
    let total = 0;
    for (let ran = await worker.runOnce(at); ran > 0; ran = await worker.runOnce(at)) total += ran;
    return total;
  };
  const notifications = new NotificationService(database.db, config.sessionSecret, clock.now);
  return {
    database,
    config,
    smtp,
    notify,
    pushService,
    clock,
    cases,
    accounts,
    notifications,
    worker,
    drain,
  };
}

/** A resident with an account, subscribed to their own report. */
async function accountHolder(
  ctx: Awaited<ReturnType<typeof setup>>,
  preferences: { channel?: string; updates?: string; phone?: string } = {},
) {
  const now = ctx.clock.now().toISOString();
  const account = await ctx.database.db
    .insertInto('accounts')
    .values({
      email: 'grace@example.org',
      email_verified_at: now,
      email_bounced_at: null,
      name: 'Grace Hopper',
      password_hash: null,
      totp_secret: null,
      sessions_valid_after: now,
      last_signed_in_at: null,
      created_at: now,
      updated_at: now,
      phone: preferences.phone ?? null,
      notify_channel: preferences.channel ?? 'email',
      notify_updates: preferences.updates ?? 'every',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const opened = await ctx.cases.openCase({
    ...POTHOLE,
    accountId: account.id,
    contact: { name: 'Grace Hopper', email: 'grace@example.org' },
  });
  return { accountId: account.id, opened };
}

async function setPreferences(
  database: Database<DB>,
  accountId: number,
  preferences: { notify_channel?: string; notify_updates?: string; phone?: string },
) {
  await database.db.updateTable('accounts').set(preferences).where('id', '=', accountId).execute();
}

function deliveries(database: Database<DB>) {
  return database.db.selectFrom('deliveries').selectAll().orderBy('id').execute();
}

function jobs(database: Database<DB>) {
  return database.db.selectFrom('jobs').selectAll().orderBy('id').execute();
}

async function count(
  database: Database<DB>,
  table: 'cases' | 'case_events' | 'subscriptions' | 'jobs',
): Promise<number> {
  const row = await database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}

for (const dialect of dialects()) {
  await test(`a case change and its notification job are one transaction (${dialect})`, async (t) => {
    await t.test(
      'when it commits, the case, its timeline event and its job all exist',
      async (t) => {
        const { database, cases } = await setup(t, dialect);
        const opened = await cases.transaction((tx) => tx.openCase(POTHOLE));

        assert.equal((await cases.getById(opened.id))?.ref, opened.ref);
        const timeline = await cases.timeline(opened.id, { publicOnly: true });
        assert.deepEqual(
          timeline.map((event) => event.type),
          ['created'],
        );
        const queued = await jobs(database);
        assert.deepEqual(
          queued.map((job) => [job.type, job.status, JSON.parse(job.payload) as unknown]),
          [[NOTIFY_JOB, 'pending', { caseId: opened.id, eventId: timeline[0]?.id }]],
        );
      },
    );

    await t.test(
      'when the transaction that opens a case rolls back, neither the case nor its job exists',
      async (t) => {
        const { database, cases } = await setup(t, dialect);
        let openedRef: string | undefined;
        await assert.rejects(
          cases.transaction(async (tx) => {
            openedRef = (await tx.openCase(POTHOLE)).ref;
            // Inside the transaction the case and its job are there…
            assert.ok(await tx.getByRef(openedRef), 'the case is visible inside its transaction');
            throw new Error('the module’s next write failed');
          }),
          /next write failed/,
        );
        // …and after the rollback none of it is.
        assert.ok(openedRef, 'openCase ran');
        assert.equal(await cases.getByRef(openedRef), undefined);
        for (const table of ['cases', 'case_events', 'subscriptions', 'jobs'] as const)
          assert.equal(await count(database, table), 0, `${table} has rows after the rollback`);
      },
    );

    await t.test(
      'a status change that rolls back leaves the status and the outbox as they were',
      async (t) => {
        const { database, cases } = await setup(t, dialect);
        const opened = await cases.openCase(POTHOLE);
        await assert.rejects(
          cases.transaction(async (tx) => {
            await tx.changeStatus(opened.id, 'fixed', STAFF, { publicText: 'Filled.' });
            throw new Error('rolled back');
          }),
        );
        assert.equal((await cases.getById(opened.id))?.status, 'confirmed');
        assert.equal(await count(database, 'case_events'), 1);
        assert.equal(await count(database, 'jobs'), 1, 'only the job for "created"');
      },
    );
  });

  await test(`case notifications (${dialect})`, async (t) => {
    await t.test(
      'the reporter is emailed, in HTML and text, when the report is received and when its status changes',
      async (t) => {
        const ctx = await setup(t, dialect);
        const { config, smtp, clock, cases, drain } = ctx;
        const opened = await cases.openCase(POTHOLE);
        const [subscription] = await cases.subscribers(opened.id);
        assert.ok(subscription, 'the reporter is subscribed');
        const track = `${PUBLIC_URL}/reports/${opened.ref}`; // a report has its own public page

        assert.equal(await drain(), 2, 'the fan-out, then the one delivery');
        assert.equal(smtp.messages.length, 1);
        const received = smtp.messages[0];
        assert.ok(received, 'the "received" email arrived');
        assert.deepEqual(received.envelope, {
          from: 'contact@westmoor.example.gov.uk',
          to: ['ada@example.org'],
        });
        assert.equal(received.subject, `We received your report: ${opened.ref}`);
        for (const part of [received.text, received.html ?? '']) {
          assert.ok(part.includes('Pothole on Mill Lane'), part);
          assert.ok(part.includes(opened.ref), part);
          assert.ok(part.includes(track), part);
          assert.ok(part.includes(config.council.name), part);
        }
        assert.match(received.html ?? '', /^<!doctype html>\s*<html lang="en"/i);
        // A signed one-click unsubscribe link, in the body and in the List-Unsubscribe header.
        const unsubscribe = /https:\/\/\S+\/notifications\/unsubscribe\/[\w-]+/.exec(
          received.text,
        )?.[0];
        assert.ok(unsubscribe, received.text);
        assert.equal(
          subscriptionFromLink(config.sessionSecret, unsubscribe.split('/').pop() ?? ''),
          subscription.id,
        );
        assert.match(
          received.headers.get('list-unsubscribe') ?? '',
          new RegExp(`<${unsubscribe}>`),
        );
        assert.equal(received.headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
        assert.match(received.text, /hide your name or withdraw your report/);

        clock.advance(60 * 60_000);
        await cases.changeStatus(opened.id, 'action_scheduled', STAFF, {
          publicText: 'A crew will fill this pothole on Tuesday 8 December.',
        });
        assert.equal(await drain(), 2);
        const update = smtp.messages[1];
        assert.ok(update, 'the update email arrived');
        assert.deepEqual(update.envelope.to, ['ada@example.org']);
        assert.equal(update.subject, `Update on your report ${opened.ref}: Action scheduled`);
        assert.ok(update.text.includes('Action scheduled'), update.text);
        assert.ok(
          update.text.includes('A crew will fill this pothole on Tuesday 8 December.'),
          update.text,
        );
        assert.notEqual(update.messageId, received.messageId);
        assert.deepEqual(
          (await deliveries(ctx.database)).map((d) => [d.template, d.status, d.channel]),
          [
            ['case-received', 'sent', 'email'],
            ['case-status-changed', 'sent', 'email'],
          ],
        );
      },
    );

    await t.test(
      'closing it sends the closed message with its one satisfaction question',
      async (t) => {
        const { smtp, clock, cases, drain } = await setup(t, dialect);
        const opened = await cases.openCase(POTHOLE);
        await drain();
        clock.advance(60_000);
        await cases.changeStatus(opened.id, 'fixed', STAFF, { publicText: 'Filled in today.' });
        await drain();
        const closed = smtp.messages.at(-1);
        assert.ok(closed);
        assert.equal(closed.subject, `Your report ${opened.ref} is closed: Fixed`);
        assert.match(closed.text, /Filled in today\./);
        assert.match(closed.text, /How satisfied are you/);
        assert.match(closed.text, /\/notifications\/survey\/[\w-]+/);
      },
    );

    await t.test(
      'each subscriber gets their own unsubscribe link, and an unsubscribed one gets nothing more',
      async (t) => {
        const { config, smtp, clock, cases, drain, database, worker } = await setup(t, dialect);
        const opened = await cases.openCase(POTHOLE);
        await cases.subscribe(opened.id, { email: 'Neighbour@Example.org' });
        const subscribers = await cases.subscribers(opened.id);

        clock.advance(60_000);
        await cases.changeStatus(opened.id, 'investigating', STAFF, {
          publicText: 'An inspector will visit this week.',
        });
        await drain();
        const updates = smtp.messages.filter((m) => m.subject.startsWith('Update'));
        assert.deepEqual(updates.map((m) => m.envelope.to[0]).sort(), [
          'ada@example.org',
          'neighbour@example.org',
        ]);
        const linkOf = (text: string) =>
          /\/notifications\/unsubscribe\/([\w-]+)/.exec(text)?.[1] ?? '';
        for (const message of updates) {
          const own = subscribers.find((s) => s.email === message.envelope.to[0]);
          assert.equal(subscriptionFromLink(config.sessionSecret, linkOf(message.text)), own?.id);
        }
        const neighbour = updates.find((m) => m.envelope.to[0] === 'neighbour@example.org');
        assert.ok(neighbour);
        assert.doesNotMatch(neighbour.text, /withdraw/, 'only the reporter may withdraw it');

        // The neighbour unsubscribes while the next update is queued but not yet sent.
        smtp.messages.length = 0;
        clock.advance(60_000);
        await cases.changeStatus(opened.id, 'fixed', STAFF, { publicText: 'Fixed today.' });
        await worker.runOnce(clock.now()); // the fan-out only: the deliveries wait
        const id = subscriptionFromLink(config.sessionSecret, linkOf(neighbour.text));
        await cases.unsubscribeById(id ?? 0);
        await drain();
        assert.deepEqual(
          smtp.messages.map((m) => m.envelope.to),
          [['ada@example.org']],
        );
        const skipped = (await deliveries(database)).filter((d) => d.status === 'skipped');
        assert.deepEqual(
          skipped.map((d) => d.detail),
          ['Unsubscribed before it was sent'],
        );
      },
    );

    await t.test(
      'a fan-out or a delivery run twice (a retry after a crash) sends nothing twice',
      async (t) => {
        const { smtp, clock, cases, drain, database } = await setup(t, dialect);
        const opened = await cases.openCase(POTHOLE);
        await drain();
        assert.equal(smtp.messages.length, 1);
        const [created] = await cases.timeline(opened.id, { publicOnly: true });
        const before = await deliveries(database);
        // The same jobs again, as if the worker died after doing them but before marking them done.
        await enqueue(database.db, {
          type: NOTIFY_JOB,
          payload: { caseId: opened.id, eventId: created?.id },
        });
        for (const delivery of before)
          await enqueue(database.db, { type: DELIVER_JOB, payload: { deliveryId: delivery.id } });
        clock.advance(1000);
        await drain();
        assert.equal(smtp.messages.length, 1, 'no second copy');
        assert.deepEqual(
          (await deliveries(database)).map((d) => d.id),
          before.map((d) => d.id),
          'no new deliveries',
        );
      },
    );

    await t.test(
      'an internal note sends nothing, and never appears in a later email',
      async (t) => {
        const { database, smtp, clock, cases, drain } = await setup(t, dialect);
        const opened = await cases.openCase(POTHOLE);
        await drain();
        smtp.messages.length = 0;

        clock.advance(60_000);
        const note = await cases.recordEvent(opened.id, {
          type: 'internal_note',
          actor: STAFF,
          public: false,
          body: 'Contractor says the resident has complained before.',
        });
        assert.equal(await drain(), 0, 'an internal note queues no notification');

        // Even a notification job wrongly pointed at the note must not email it.
        await enqueue(
          database.db,
          { type: NOTIFY_JOB, payload: { caseId: opened.id, eventId: note.id } },
          clock.now(),
        );
        await drain();
        assert.equal(smtp.messages.length, 0);

        clock.advance(60_000);
        await cases.changeStatus(opened.id, 'investigating', STAFF, {
          publicText: 'We are looking into it.',
        });
        await drain();
        assert.equal(smtp.messages.length, 1);
        assert.ok(!smtp.messages[0]?.text.includes('Contractor'), 'internal text leaked');
      },
    );

    await t.test('a case with no one to tell completes its job without sending', async (t) => {
      const { database, smtp, cases, drain } = await setup(t, dialect);
      await cases.openCase({ ...POTHOLE, contact: { name: 'Anonymous', phone: '01234 567890' } });
      assert.equal(await drain(), 1);
      assert.equal(smtp.messages.length, 0);
      const jobs = await database.db.selectFrom('jobs').select('status').execute();
      assert.deepEqual(
        jobs.map((j) => j.status),
        ['done'],
      );
    });

    await t.test('an email the server refuses for now (450) is retried later, once', async (t) => {
      const { database, smtp, clock, cases, worker, drain } = await setup(t, dialect);
      const opened = await cases.openCase(POTHOLE);
      smtp.state.refuse = 450;

      await drain();
      assert.equal(smtp.messages.length, 0);
      const failed = await database.db
        .selectFrom('jobs')
        .selectAll()
        .where('type', '=', DELIVER_JOB)
        .executeTakeFirstOrThrow();
      assert.equal(failed.status, 'pending');
      assert.equal(failed.attempts, 1);
      assert.match(failed.last_error ?? '', /try later|450/);
      assert.ok(Date.parse(failed.run_at) > clock.now().getTime(), 'the retry is for later');
      assert.equal(await worker.runOnce(clock.now()), 0, 'not retried straight away');

      smtp.state.refuse = false;
      await drain(new Date(failed.run_at));
      assert.deepEqual(
        smtp.messages.map((m) => m.subject),
        [`We received your report: ${opened.ref}`],
      );
    });

    await t.test('while the SMTP server is down the delivery waits, then arrives', async (t) => {
      const { database, smtp, clock, cases, drain } = await setup(t, dialect);
      await smtp.stop();
      const opened = await cases.openCase(POTHOLE);
      await drain();
      const failed = await database.db
        .selectFrom('jobs')
        .selectAll()
        .where('type', '=', DELIVER_JOB)
        .executeTakeFirstOrThrow();
      assert.equal(failed.status, 'pending');
      assert.match(failed.last_error ?? '', /ECONNREFUSED|closed|Connection/i);

      await smtp.start();
      clock.advance(60 * 60_000);
      await drain();
      assert.deepEqual(
        smtp.messages.map((m) => m.subject),
        [`We received your report: ${opened.ref}`],
      );
    });

    await t.test(
      'a bounce (550) is not retried: staff see it on the case, and the account is asked to check its address',
      async (t) => {
        const ctx = await setup(t, dialect);
        const { database, smtp, cases, drain, accounts } = ctx;
        smtp.state.refuse = 550;
        const { accountId, opened } = await accountHolder(ctx);
        await drain();
        const [delivery] = await deliveries(database);
        assert.ok(delivery);
        assert.equal(delivery.status, 'failed');
        assert.match(delivery.detail ?? '', /Mailbox unavailable/);
        const jobs = await database.db.selectFrom('jobs').select(['type', 'status']).execute();
        assert.ok(jobs.every((j) => j.status === 'done'));
        const internal = (await cases.timeline(opened.id, { publicOnly: false })).filter(
          (e) => e.type === 'notification_failed',
        );
        assert.equal(internal.length, 1);
        const [failure] = internal;
        assert.ok(failure);
        assert.equal(failure.public, false);
        assert.match(
          failure.body ?? '',
          /could not send an update by email to grace@example\.org.*Mailbox unavailable/,
        );
        assert.ok((await accounts.profile().get(accountId))?.emailBouncedAt);
      },
    );
  });

  await test(`preferences apply when a message is sent (${dialect})`, async (t) => {
    await t.test('"only when it is finished", chosen after it was queued, skips it', async (t) => {
      const ctx = await setup(t, dialect);
      const { accountId, opened } = await accountHolder(ctx);
      await ctx.drain();
      ctx.clock.advance(60_000);
      await ctx.cases.changeStatus(opened.id, 'investigating', STAFF, { publicText: 'Looking.' });
      await ctx.worker.runOnce(ctx.clock.now()); // the fan-out only: the delivery waits
      await setPreferences(ctx.database, accountId, { notify_updates: 'finished' });
      await ctx.drain();
      assert.deepEqual(
        ctx.smtp.messages.map((m) => m.subject),
        [`We received your report: ${opened.ref}`],
      );
      const last = (await deliveries(ctx.database)).at(-1);
      assert.equal(last?.status, 'skipped');
      assert.equal(last.detail, 'The resident asked for only the final update');

      ctx.clock.advance(60_000);
      await ctx.cases.changeStatus(opened.id, 'fixed', STAFF, { publicText: 'Done.' });
      await ctx.drain();
      assert.equal(ctx.smtp.messages.at(-1)?.subject, `Your report ${opened.ref} is closed: Fixed`);
    });

    await t.test('text messages through GOV.UK Notify, when chosen with a phone', async (t) => {
      const ctx = await setup(t, dialect);
      const { accountId, opened } = await accountHolder(ctx);
      await setPreferences(ctx.database, accountId, {
        notify_channel: 'sms',
        phone: '07700 900982',
      });
      await ctx.drain();
      assert.equal(ctx.smtp.messages.length, 0, 'no email');
      assert.equal(ctx.notify.received.length, 1);
      const [sms] = ctx.notify.received;
      assert.equal(sms?.type, 'sms');
      assert.equal(sms.to, '07700 900982');
      const body = String(sms.personalisation.body);
      assert.ok(body.includes(opened.ref), body);
      assert.ok(body.includes(`${PUBLIC_URL}/reports/${opened.ref}`), body);
      assert.ok(body.length <= 306, `${body.length} characters`);
      const [delivery] = await deliveries(ctx.database);
      assert.equal(delivery?.channel, 'sms');
      assert.equal(delivery.status, 'sent');
    });

    await t.test(
      'a number Notify says is not a mobile: staff see why, and the resident is emailed instead',
      async (t) => {
        const ctx = await setup(t, dialect);
        const { accountId, opened } = await accountHolder(ctx);
        await setPreferences(ctx.database, accountId, {
          notify_channel: 'sms',
          phone: '01632 960001',
        });
        await ctx.drain();
        assert.equal(ctx.notify.received.length, 0);
        assert.equal(ctx.smtp.messages.length, 1, 'emailed instead');
        const failed = (await ctx.cases.timeline(opened.id, { publicOnly: false })).find(
          (e) => e.type === 'notification_failed',
        );
        assert.match(failed?.body ?? '', /by text message to 01632 960001.*Not a UK mobile/);
      },
    );

    await t.test(
      'the app: a push to each device, and a device that has gone is forgotten',
      async (t) => {
        const ctx = await setup(t, dialect);
        const { accountId, opened } = await accountHolder(ctx);
        await setPreferences(ctx.database, accountId, { notify_channel: 'app' });
        const phone = ctx.pushService.subscription();
        const tablet = ctx.pushService.subscription();
        await ctx.notifications.addDevice(accountId, phone);
        await ctx.notifications.addDevice(accountId, tablet);
        await ctx.drain();
        assert.equal(ctx.smtp.messages.length, 0, 'no email');
        assert.equal(ctx.pushService.received.length, 2);
        for (const push of ctx.pushService.received)
          assert.deepEqual(push.payload, {
            title: 'We received your report',
            body: `Reference ${opened.ref}: Pothole on Mill Lane`,
            url: `${PUBLIC_URL}/reports/${opened.ref}`,
            tag: `case-${opened.id}`,
          });

        ctx.pushService.expire(tablet);
        ctx.clock.advance(60_000);
        await ctx.cases.changeStatus(opened.id, 'investigating', STAFF, { publicText: 'Looking.' });
        await ctx.drain();
        assert.equal(ctx.pushService.received.length, 3, 'the phone got it');
        assert.deepEqual(
          (await ctx.notifications.devices(accountId)).map((d) => d.endpoint),
          [phone.endpoint],
        );

        // With no device left, the resident is emailed rather than told nothing.
        ctx.pushService.expire(phone);
        ctx.clock.advance(60_000);
        await ctx.cases.changeStatus(opened.id, 'action_scheduled', STAFF, { publicText: 'Soon.' });
        await ctx.drain();
        assert.equal(ctx.smtp.messages.length, 1);
        assert.deepEqual(await ctx.notifications.devices(accountId), []);
      },
    );
  });
}
