/**
 * Exactly once as the resident sees it: notifications are delivered at least once, and every
 * try of one delivery carries the same Message-ID, so a retry never puts a second copy in
 * anyone's mailbox.
 *
 * A real worker process (test/fixtures/notify-worker.ts: the app's own services, senders and
 * handlers, sending over SMTP) is killed with SIGKILL in the middle of a batch, and a second
 * one is started on the same database. The test's SMTP server counts a message as received
 * only when it says "250 OK", like a real relay.
 *
 *   A. Killed while a message is on the wire, before the relay acknowledged it: after the
 *      restart every resident has exactly one message, and the relay took exactly N.
 *   B. Killed after the relay took a message but before the worker could record it as sent:
 *      the restart sends that one again, as it must (at least once), under the same
 *      Message-ID, so the resident's mail client shows one message.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { messageIdFor } from '../src/modules/notifications/deliver.js';
import { queueDelivery } from '../src/modules/notifications/queue.js';
import { Database, type Dialect } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrations/index.js';
import type { DB } from '../src/platform/db/types.js';
import { dialects, testDatabase } from './helper.js';
import { smtpServer } from './smtp.js';

const N = 40;
/** The message, counted as the relay receives them, during which the first worker dies. */
const KILL_AT = 10;
const LEASE_MS = 1500;
const CONCURRENCY = 4;
const PUBLIC_URL = 'https://shire.example.gov.uk';
const FIXTURE = fileURLToPath(new URL('./fixtures/notify-worker.ts', import.meta.url));

const recipient = (i: number) => `r${i}@example.org`;
const keyOf = (i: number) => `crash-test:${i}:email`;

/**
 * A migrated database that another process can open too: an SQLite file in a temporary
 * folder, or a fresh PostgreSQL schema. Returns the environment the worker process needs.
 */
async function sharedDatabase(
  t: TestContext,
  dialect: Dialect,
  dir: string,
): Promise<{ database: Database<DB>; env: Record<string, string> }> {
  if (dialect === 'sqlite') {
    const file = path.join(dir, 'shire.db');
    const database = Database.sqlite<DB>(file);
    await migrateToLatest(database);
    t.after(() => database.close());
    return { database, env: { NOTIFY_WORKER_DB_FILE: file } };
  }
  const database = await testDatabase(t, 'postgres');
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
    database.db,
  );
  const schema = rows[0]?.schema;
  if (!schema?.startsWith('test_')) throw new Error(`expected a test schema, got ${schema}`);
  return {
    database,
    env: { NOTIFY_WORKER_DB_URL: process.env.DATABASE_URL ?? '', NOTIFY_WORKER_DB_SCHEMA: schema },
  };
}

interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker is running; rejects if the process ends first. */
  started: Promise<void>;
  exited: Promise<void>;
  /** What it wrote to stderr, for failure messages. */
  output: () => string;
  kill: (signal: NodeJS.Signals) => Promise<void>;
}

function startWorker(t: TestContext, env: Record<string, string>): WorkerProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // Without this the child would think it is itself a test file reporting to the runner.
  delete childEnv.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(() => undefined);
  const started = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('started ')) resolve();
    });
    void exited.then(() => {
      reject(new Error(`the worker process ended before it started:\n${stderr}`));
    });
  });
  // Never rejected unobserved when a test kills it on purpose after it started.
  started.catch(() => undefined);
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  t.after(() => kill('SIGKILL'));
  return { child, started, exited, output: () => stderr, kill };
}

/** Polls until `check` is true, or fails with what `describe` says after `timeoutMs`. */
async function waitFor(
  check: () => boolean | Promise<boolean>,
  describe: () => string | Promise<string>,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out: ${await describe()}`);
    await delay(50);
  }
}

async function statuses(database: Database<DB>) {
  const deliveries = await database.db
    .selectFrom('deliveries')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const jobs = await database.db
    .selectFrom('jobs')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const count = (rows: { status: string; n: number }[]) =>
    Object.fromEntries(rows.map((row) => [row.status, row.n]));
  return { deliveries: count(deliveries), jobs: count(jobs) };
}

type Scenario = 'before-ack' | 'after-ack';

async function crashAndRestart(t: TestContext, dialect: Dialect, scenario: Scenario) {
  const dir = mkdtempSync(path.join(tmpdir(), 'shire-crash-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const { database, env: dbEnv } = await sharedDatabase(t, dialect, dir);
  const smtp = await smtpServer(t);
  const secret = randomBytes(32).toString('hex');

  await database.db.transaction().execute(async (trx) => {
    for (let i = 0; i < N; i++)
      assert.equal(
        await queueDelivery(trx, secret, {
          key: keyOf(i),
          channel: 'email',
          to: recipient(i),
          template: 'account-notice',
          data: { subject: `Notice ${i}`, paragraphs: [`This is notice number ${i}.`] },
        }),
        true,
      );
  });

  // The relay: acknowledges messages before KILL_AT at once; from KILL_AT on, holds each
  // one (the first worker has several on the wire) until the first worker is dead.
  let phase: 'first' | 'dying' | 'second' = 'first';
  let killNow!: () => void;
  const killSignal = new Promise<void>((resolve) => (killNow = resolve));
  const held: { count: number; ack: () => void; refuse: (err: Error) => void }[] = [];
  smtp.state.beforeAccept = (count) => {
    if (phase === 'second') return Promise.resolve();
    if (phase === 'first' && count < KILL_AT) return Promise.resolve();
    if (phase === 'first') {
      phase = 'dying';
      killNow();
    }
    return new Promise<void>((ack, refuse) => held.push({ count, ack, refuse }));
  };

  const env = {
    ...dbEnv,
    DATA_DIR: dir,
    SMTP_URL: smtp.url,
    SESSION_SECRET: secret,
    PUBLIC_URL,
    NOTIFY_WORKER_LEASE_MS: String(LEASE_MS),
    NOTIFY_WORKER_CONCURRENCY: String(CONCURRENCY),
    NOTIFY_WORKER_POLL_MS: '100',
  };
  const first = startWorker(t, env);
  await first.started;
  const giveUp = new AbortController();
  await Promise.race([
    killSignal,
    first.exited.then(() => assert.fail(`the first worker died by itself:\n${first.output()}`)),
    delay(20_000, undefined, { signal: giveUp.signal }).then(() =>
      assert.fail(`message ${KILL_AT} never arrived`),
    ),
  ]).finally(() => {
    giveUp.abort();
  });
  // Let the lanes record what the relay already took (their next messages are held), so
  // the only message in doubt is the one the test chooses.
  await waitFor(
    async () => (await statuses(database)).deliveries.sent === KILL_AT - 1,
    () => `the first worker did not record its sent messages: ${first.output()}`,
  );
  await first.kill('SIGKILL');
  assert.equal(first.child.signalCode, 'SIGKILL');

  // It died mid-batch: some messages sent, and jobs it had claimed left running under its lease.
  const atCrash = await statuses(database);
  assert.equal(atCrash.deliveries.sent, KILL_AT - 1, JSON.stringify(atCrash));
  assert.ok(
    (atCrash.jobs.running ?? 0) >= 2,
    `several claimed jobs were left running: ${JSON.stringify(atCrash)}`,
  );
  assert.equal(smtp.messages.length, KILL_AT - 1);

  // The message on the wire when the worker died: in A the relay never took it; in B it did,
  // but the worker is gone and never recorded it as sent. (B takes it only now, after the
  // kill, rather than racing a SIGKILL against the worker's update: the state is the same —
  // the relay has the message, the delivery is still 'queued' — and it happens every run.)
  const onTheWire = held.find((h) => h.count === KILL_AT);
  assert.ok(onTheWire);
  if (scenario === 'after-ack') {
    onTheWire.ack();
    await waitFor(
      () => smtp.messages.length === KILL_AT,
      () => `the relay did not take message ${KILL_AT}`,
    );
  }
  const sentBeforeRestart = smtp.messages.length;

  // Anything else the first worker had on the wire is refused (its connection is gone), once
  // the relay has read all it ever will from it; the second worker's messages are taken at once.
  await delay(200);
  for (const h of held)
    if (h !== onTheWire || scenario === 'before-ack') h.refuse(new Error('gone'));
  phase = 'second';
  const second = startWorker(t, env);
  await second.started;

  await waitFor(
    async () => {
      const now = await statuses(database);
      return (
        now.deliveries.sent === N &&
        now.jobs.done === N &&
        Object.keys(now.jobs).length === 1 &&
        Object.keys(now.deliveries).length === 1
      );
    },
    async () =>
      `not everything was sent after the restart: ${JSON.stringify(await statuses(database))}\n` +
      `first worker:\n${first.output()}\nsecond worker:\n${second.output()}`,
  );
  await second.kill('SIGTERM');

  // The jobs the dead worker held were taken over once, when their lease ran out; no job
  // failed and was retried.
  const retried = await database.db
    .selectFrom('jobs')
    .select(['id', 'attempts'])
    .where('attempts', '!=', 1)
    .execute();
  assert.equal(retried.length, atCrash.jobs.running, JSON.stringify(retried));
  assert.ok(
    retried.every((job) => job.attempts === 2),
    JSON.stringify(retried),
  );

  return { smtp, sentBeforeRestart };
}

/** Messages per recipient, and the distinct Message-IDs among them. */
function byRecipient(messages: { envelope: { to: string[] }; messageId: string }[]) {
  const map = new Map<string, { copies: number; ids: Set<string> }>();
  for (const message of messages) {
    const [to, ...more] = message.envelope.to;
    assert.ok(to !== undefined && more.length === 0, 'one recipient per message');
    const entry = map.get(to) ?? { copies: 0, ids: new Set<string>() };
    entry.copies++;
    entry.ids.add(message.messageId);
    map.set(to, entry);
  }
  return map;
}

/** Every resident has their message, under the one Message-ID its delivery key gives. */
function assertOnceAsResidentsSeeIt(received: ReturnType<typeof byRecipient>) {
  for (let i = 0; i < N; i++) {
    const entry = received.get(recipient(i));
    assert.ok(entry, `${recipient(i)} got nothing`);
    assert.deepEqual(
      [...entry.ids],
      [messageIdFor(keyOf(i), PUBLIC_URL)],
      `${recipient(i)} got ${entry.ids.size} distinct messages`,
    );
  }
  assert.equal(received.size, N, 'no one else got anything');
}

for (const dialect of dialects()) {
  await test(`notifications survive a worker killed mid-batch (${dialect})`, async (t) => {
    await t.test(
      'killed before the relay acknowledged a message: after a restart each arrived once',
      { timeout: 30_000 },
      async (t) => {
        const { smtp } = await crashAndRestart(t, dialect, 'before-ack');
        const received = byRecipient(smtp.messages);
        assertOnceAsResidentsSeeIt(received);
        assert.equal(smtp.messages.length, N, 'the relay took exactly one copy of each');
        for (const [to, { copies }] of received) assert.equal(copies, 1, `${to} got ${copies}`);
      },
    );

    await t.test(
      'killed after the relay took a message but before it was recorded: the resend has the same Message-ID',
      { timeout: 30_000 },
      async (t) => {
        const { smtp, sentBeforeRestart } = await crashAndRestart(t, dialect, 'after-ack');
        assert.equal(sentBeforeRestart, KILL_AT);
        const received = byRecipient(smtp.messages);
        assertOnceAsResidentsSeeIt(received);
        // At least once: the one the relay took but the worker never recorded was sent
        // again (and only that one), as the same message under the same Message-ID.
        const doubted = smtp.messages[KILL_AT - 1];
        assert.ok(doubted);
        const twice = [...received].filter(([, { copies }]) => copies > 1).map(([to]) => to);
        assert.deepEqual(twice, doubted.envelope.to);
        assert.equal(smtp.messages.length, N + 1);
        const copies = smtp.messages.filter((m) => m.envelope.to[0] === doubted.envelope.to[0]);
        assert.equal(copies.length, 2);
        for (const copy of copies) {
          assert.equal(copy.messageId, doubted.messageId);
          assert.equal(copy.subject, doubted.subject);
          assert.equal(copy.text, doubted.text);
        }
      },
    );
  });
}
