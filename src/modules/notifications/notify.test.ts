import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { dialects, testConfig, testDatabase } from '../../../test/helper.js';
import { smtpServer } from '../../../test/smtp.js';
import type { Config } from '../../platform/config.js';
import type { Database } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/types.js';
import { createLogger } from '../../platform/logger.js';
import { createMailer } from '../../platform/outbox/mailer.js';
import { enqueue } from '../../platform/outbox/outbox.js';
import { Worker } from '../../platform/outbox/worker.js';
import { notifySubscribers } from './notify.js';
import { type Actor, CaseService, NOTIFY_JOB, type OpenCaseInput } from './service.js';

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

async function setup(t: TestContext, dialect: 'sqlite' | 'postgres') {
  const database = await testDatabase(t, dialect);
  const config: Config = testConfig(t, { PUBLIC_URL });
  const smtp = await smtpServer(t);
  const clock = manualClock();
  const cases = new CaseService(database.db, clock.now);
  const mailer = createMailer({
    smtpUrl: smtp.url,
    from: config.mailFrom,
    dataDir: config.dataDir,
  });
  const worker = new Worker(database, {
    handlers: new Map([[NOTIFY_JOB, notifySubscribers({ cases, mailer, config })]]),
    logger: createLogger('silent'),
    batchSize: 50,
  });
  return { database, config, smtp, clock, cases, worker };
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

  await test(`case notifications by email (${dialect})`, async (t) => {
    await t.test(
      'the reporter is emailed when the report is received and when its status changes',
      async (t) => {
        const { config, smtp, clock, cases, worker, database } = await setup(t, dialect);
        const opened = await cases.openCase(POTHOLE);
        const [subscription] = await cases.subscribers(opened.id);
        assert.ok(subscription, 'the reporter is subscribed');
        const track = `${PUBLIC_URL}/reports/${opened.ref}`; // a report has its own public page
        const unsubscribe = `${PUBLIC_URL}/track/unsubscribe/${subscription.token}`;

        assert.equal(await worker.runOnce(clock.now()), 1);
        assert.equal(smtp.messages.length, 1);
        const received = smtp.messages[0];
        assert.ok(received, 'the "received" email arrived');
        assert.deepEqual(received.envelope, {
          from: 'contact@westmoor.example.gov.uk',
          to: ['ada@example.org'],
        });
        assert.equal(received.from, config.mailFrom);
        assert.equal(received.to, 'ada@example.org');
        assert.equal(received.subject, `We received your report: ${opened.ref}`);
        assert.ok(received.text.includes('Pothole on Mill Lane'), received.text);
        assert.ok(received.text.includes('Status: Reported'), received.text);
        assert.ok(received.text.includes(`Your reference is ${opened.ref}`), received.text);
        assert.ok(received.text.includes(track), received.text);
        assert.ok(received.text.includes(unsubscribe), received.text);
        assert.ok(received.text.includes(config.council.name), received.text);

        clock.advance(60 * 60_000);
        await cases.changeStatus(opened.id, 'action_scheduled', STAFF, {
          publicText: 'A crew will fill this pothole on Tuesday 8 December.',
        });
        assert.equal(await worker.runOnce(clock.now()), 1);
        assert.equal(smtp.messages.length, 2);
        const update = smtp.messages[1];
        assert.ok(update, 'the update email arrived');
        assert.deepEqual(update.envelope.to, ['ada@example.org']);
        assert.equal(update.subject, `Update on your report ${opened.ref}: Action scheduled`);
        assert.ok(update.text.includes('Status: Action scheduled'), update.text);
        assert.ok(
          update.text.includes('A crew will fill this pothole on Tuesday 8 December.'),
          update.text,
        );
        assert.ok(update.text.includes(track), update.text);
        assert.ok(update.text.includes(unsubscribe), update.text);

        // The link in the email leads back to this subscription.
        assert.equal((await cases.findSubscription(subscription.token))?.ref, opened.ref);
        assert.deepEqual(
          (await jobs(database)).map((job) => job.status),
          ['done', 'done'],
        );
      },
    );

    await t.test(
      'each subscriber gets their own unsubscribe link, and an unsubscribed one gets nothing more',
      async (t) => {
        const { smtp, clock, cases, worker } = await setup(t, dialect);
        const opened = await cases.openCase(POTHOLE);
        await cases.subscribe(opened.id, { email: 'Neighbour@Example.org' });
        const subscribers = await cases.subscribers(opened.id);
        const token = (email: string) =>
          subscribers.find((s) => s.email === email)?.token ??
          assert.fail(`${email} not subscribed`);

        clock.advance(60_000);
        await cases.changeStatus(opened.id, 'investigating', STAFF, {
          publicText: 'An inspector will visit this week.',
        });
        assert.equal(await worker.runOnce(clock.now()), 2);
        const updates = smtp.messages.filter((m) => m.subject.startsWith('Update'));
        assert.deepEqual(updates.map((m) => m.envelope.to[0]).sort(), [
          'ada@example.org',
          'neighbour@example.org',
        ]);
        for (const message of updates) {
          const own = token(message.to);
          assert.ok(
            message.text.includes(`/track/unsubscribe/${own}`),
            `${message.to} has their own link`,
          );
          for (const other of subscribers.filter((s) => s.token !== own))
            assert.ok(
              !message.text.includes(other.token),
              `${message.to} must not see another subscriber’s token`,
            );
        }

        await cases.unsubscribe(token('neighbour@example.org'));
        smtp.messages.length = 0;
        clock.advance(60_000);
        await cases.changeStatus(opened.id, 'fixed', STAFF, { publicText: 'Fixed today.' });
        assert.equal(await worker.runOnce(clock.now()), 1);
        assert.deepEqual(
          smtp.messages.map((m) => m.envelope.to),
          [['ada@example.org']],
        );
      },
    );

    await t.test(
      'an internal note sends nothing, and never appears in a later email',
      async (t) => {
        const { database, smtp, clock, cases, worker } = await setup(t, dialect);
        const opened = await cases.openCase(POTHOLE);
        await worker.runOnce(clock.now());
        smtp.messages.length = 0;

        clock.advance(60_000);
        const note = await cases.recordEvent(opened.id, {
          type: 'internal_note',
          actor: STAFF,
          public: false,
          body: 'Contractor says the resident has complained before.',
        });
        assert.equal(await count(database, 'jobs'), 1, 'an internal note queues no notification');
        assert.equal(await worker.runOnce(clock.now()), 0);

        // Even a notification job wrongly pointed at the note must not email it.
        await enqueue(
          database.db,
          { type: NOTIFY_JOB, payload: { caseId: opened.id, eventId: note.id } },
          clock.now(),
        );
        assert.equal(await worker.runOnce(clock.now()), 1);
        assert.equal(smtp.messages.length, 0);

        clock.advance(60_000);
        await cases.changeStatus(opened.id, 'investigating', STAFF, {
          publicText: 'We are looking into it.',
        });
        assert.equal(await worker.runOnce(clock.now()), 1);
        assert.equal(smtp.messages.length, 1);
        assert.ok(
          !smtp.messages[0]?.text.includes('Contractor'),
          'internal text leaked into an email',
        );
      },
    );

    await t.test(
      'a case with no email address to tell completes its job without sending',
      async (t) => {
        const { database, smtp, clock, cases, worker } = await setup(t, dialect);
        await cases.openCase({ ...POTHOLE, contact: { name: 'Anonymous', phone: '01234 567890' } });
        assert.equal(await worker.runOnce(clock.now()), 1);
        assert.equal(smtp.messages.length, 0);
        assert.deepEqual(
          (await jobs(database)).map((job) => job.status),
          ['done'],
        );
      },
    );

    await t.test('an email the SMTP server refuses is retried later, not lost', async (t) => {
      const { database, smtp, clock, cases, worker } = await setup(t, dialect);
      const opened = await cases.openCase(POTHOLE);
      smtp.state.refuseRecipients = true;

      assert.equal(await worker.runOnce(clock.now()), 1);
      assert.equal(smtp.messages.length, 0);
      const [failed] = await jobs(database);
      assert.ok(failed, 'the job is still in the outbox');
      assert.equal(failed.status, 'pending');
      assert.equal(failed.attempts, 1);
      assert.match(failed.last_error ?? '', /Mailbox unavailable|550/);
      assert.ok(
        Date.parse(failed.run_at) > clock.now().getTime(),
        'the retry is scheduled for later',
      );
      assert.equal(await worker.runOnce(clock.now()), 0, 'not retried straight away');

      smtp.state.refuseRecipients = false;
      assert.equal(await worker.runOnce(new Date(failed.run_at)), 1);
      assert.equal(smtp.messages.length, 1);
      assert.equal(smtp.messages[0]?.subject, `We received your report: ${opened.ref}`);
      assert.deepEqual(
        (await jobs(database)).map((job) => [job.status, job.attempts]),
        [['done', 2]],
      );
    });

    await t.test(
      'while the SMTP server is down the job waits, and it is delivered once the server is back',
      async (t) => {
        const { database, smtp, clock, cases, worker } = await setup(t, dialect);
        await smtp.stop();
        const opened = await cases.openCase(POTHOLE);

        assert.equal(await worker.runOnce(clock.now()), 1);
        const [failed] = await jobs(database);
        assert.ok(failed, 'the job is still in the outbox');
        assert.equal(failed.status, 'pending');
        assert.match(failed.last_error ?? '', /ECONNREFUSED/);

        await smtp.start();
        assert.equal(await worker.runOnce(new Date(failed.run_at)), 1);
        assert.deepEqual(
          smtp.messages.map((m) => m.subject),
          [`We received your report: ${opened.ref}`],
        );
        assert.equal((await jobs(database))[0]?.status, 'done');
      },
    );

    await t.test(
      'each email gives the status at the time of its event, even when the worker catches up late',
      async (t) => {
        const { smtp, clock, cases, worker } = await setup(t, dialect);
        const opened = await cases.openCase(POTHOLE);
        clock.advance(1000);
        await cases.changeStatus(opened.id, 'investigating', STAFF, {
          publicText: 'An inspector will visit.',
        });
        clock.advance(1000);
        await cases.changeStatus(opened.id, 'fixed', STAFF, { publicText: 'Filled in today.' });

        // The worker was down while all that happened; it now sends all three.
        assert.equal(await worker.runOnce(clock.now()), 3);
        const byText = (text: string) =>
          smtp.messages.find((m) => m.text.includes(text)) ??
          assert.fail(`no email with "${text}"`);
        const receivedText = byText('We received your report').text;
        assert.ok(receivedText.includes('Status: Reported'), receivedText);
        const investigating = byText('An inspector will visit.');
        assert.equal(investigating.subject, `Update on your report ${opened.ref}: Investigating`);
        assert.ok(investigating.text.includes('Status: Investigating'), investigating.text);
        const fixed = byText('Filled in today.');
        assert.equal(fixed.subject, `Update on your report ${opened.ref}: Fixed`);
      },
    );
  });
}
