/**
 * How fast does the outbox send email, next to nodemailer sending the same messages directly?
 *
 * Queues NOTIFICATION_COUNT case updates (default 10,000) the way Shire does (queueDelivery: a
 * sealed deliveries row and an outbox job each, in transactions of QUEUE_BATCH), then runs the
 * outbox Worker with the real `deliver` handler until the queue is empty, sending over SMTP to
 * a local smtp-server. The baseline renders the same messages up front and sends them with
 * nodemailer's pooled transport alone, as many in flight as the worker runs at once. The two
 * alternate for ROUNDS rounds, each Shire round on a fresh SQLite file (and, with DATABASE_URL,
 * a fresh PostgreSQL schema), and the best of each is compared. Goal: the outbox at ≥ 70 % of
 * nodemailer direct. The SMTP server runs in a worker thread, so its work is not counted
 * against either sender.
 *
 *   npm run bench
 *   NOTIFICATION_COUNT=2000 npx tsx bench/notifications.ts
 *
 * Exits 0 whatever the ratio (it is a measurement), nonzero if the server did not get every
 * message exactly once or a delivery was not marked sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker as Thread } from 'node:worker_threads';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import { randomBytes } from 'node:crypto';
import { AccountService } from '../src/modules/account/service.js';
import { CaseService } from '../src/modules/cases/service.js';
import { deliver, messageIdFor } from '../src/modules/notifications/deliver.js';
import { composeMessage, type TemplateData } from '../src/modules/notifications/messages.js';
import { DELIVER_JOB, type Outgoing, queueDelivery } from '../src/modules/notifications/queue.js';
import { type Branding, renderEmail } from '../src/modules/notifications/render.js';
import { loadConfig } from '../src/platform/config.js';
import { Database, type Dialect } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrations/index.js';
import type { DB } from '../src/platform/db/types.js';
import { createLogger } from '../src/platform/logger.js';
import { mailOptions, smtpSender } from '../src/platform/outbox/mailer.js';
import type { Email } from '../src/platform/outbox/senders.js';
import { Worker } from '../src/platform/outbox/worker.js';
import { seededRandom } from '../test/random.js';
import { countFromEnv, run, table } from './lib.js';

const GOAL_RATIO = 0.7;
const COUNT = countFromEnv('NOTIFICATION_COUNT', 10_000);
const ROUNDS = countFromEnv('NOTIFICATION_ROUNDS', 2);
/** Deliveries queued per transaction. */
const QUEUE_BATCH = 500;
const TEMPLATE = 'case-status-changed';

/**
 * A local relay that takes everything and only counts: the stream is drained, never parsed.
 * It runs in its own thread, so its CPU time is not charged to the sender being measured.
 */
async function smtpRelay() {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { SMTPServer } = require(workerData.module);
    const counter = workerData.counter;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      maxClients: 10000,
      closeTimeout: 50,
      onData(stream, _session, callback) {
        stream.on('data', () => {});
        stream.on('end', () => { Atomics.add(counter, 0, 1); callback(); });
      },
    });
    server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.server.address().port));
    parentPort.on('message', () => server.close(() => process.exit(0)));
  `;
  const thread = new Thread(code, {
    eval: true,
    workerData: { module: createRequire(import.meta.url).resolve('smtp-server'), counter },
  });
  const port = await new Promise<number>((resolve, reject) => {
    thread.once('message', resolve);
    thread.once('error', reject);
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    received: () => Atomics.load(counter, 0),
    reset: () => Atomics.store(counter, 0, 0),
    async close() {
      const exited = new Promise((resolve) => thread.once('exit', resolve));
      thread.postMessage('close');
      await exited;
    },
  };
}

/** The same case updates every run: one per resident, with no account, so each goes to its address. */
function outgoingMessages(round: number, publicUrl: string): Outgoing<typeof TEMPLATE>[] {
  const { next, pick } = seededRandom(42);
  const titles = ['Pothole', 'Fly-tipping', 'Street light out', 'Blocked drain', 'Graffiti'];
  const places = ['High Street', 'Mill Lane', 'Station Road', 'Church Walk', 'The Green'];
  const statuses = ['Investigating', 'Scheduled', 'In progress', 'Fixed'];
  const messages = [
    undefined,
    'Our team will visit within 5 working days.',
    'We have ordered the parts.\n\nThank you for letting us know.',
  ];
  return Array.from({ length: COUNT }, (_, i) => {
    const ref = `BEN-${String(100_000 + i)}`;
    const message = pick(messages);
    const data: TemplateData[typeof TEMPLATE] = {
      noun: 'report',
      ref,
      title: `${pick(titles)} on ${pick(places)} near number ${Math.floor(next() * 200) + 1}`,
      caseUrl: `${publicUrl}/cases/${ref}`,
      statusLabel: pick(statuses),
      ...(message ? { message } : {}),
      manageUrl: `${publicUrl}/account/updates`,
    };
    return {
      key: `bench:${round}:${i}`,
      channel: 'email',
      to: `resident${i}@example.com`,
      template: TEMPLATE,
      data,
      caseId: null,
      accountId: null,
    };
  });
}

/** What deliver() would send for each message, rendered before the clock starts. */
function rendered(outgoing: Outgoing<typeof TEMPLATE>[], branding: Branding): Email[] {
  return outgoing.map((o) => ({
    to: o.to,
    ...renderEmail(composeMessage(o.template, o.data), branding),
    messageId: messageIdFor(o.key, branding.publicUrl),
  }));
}

interface Settings {
  smtpUrl: string;
  from: string;
  concurrency: number;
  secret: string;
  branding: Branding;
}

/** nodemailer alone: a pooled transport with `concurrency` messages in flight. */
async function direct(emails: Email[], s: Settings): Promise<number> {
  // Host and port, not `url`: given a `url`, createTransport drops every other option, pool
  // and maxConnections included, and sends each message on a new connection.
  const { hostname, port } = new URL(s.smtpUrl);
  const transport = nodemailer.createTransport({
    host: hostname,
    port: Number(port),
    secure: false,
    pool: true,
    maxConnections: s.concurrency,
  });
  try {
    const started = performance.now();
    let next = 0;
    const lane = async () => {
      for (let email = emails[next++]; email; email = emails[next++])
        await transport.sendMail(mailOptions(s.from, email));
    };
    await Promise.all(Array.from({ length: s.concurrency }, lane));
    return (performance.now() - started) / 1000;
  } finally {
    transport.close();
  }
}

interface Opened {
  database: Database<DB>;
  close(): Promise<void>;
}

async function openFresh(dialect: Dialect): Promise<Opened> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'shire-notifications-'));
    const database = Database.sqlite<DB>(path.join(dir, 'shire.db'));
    await migrateToLatest(database);
    return {
      database,
      async close() {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = process.env.DATABASE_URL ?? '';
  const schema = `bench_notifications_${randomBytes(6).toString('hex')}`;
  const admin = Database.postgres<DB>(url);
  await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  const database = Database.postgres<DB>(url, schema);
  await migrateToLatest(database);
  return {
    database,
    async close() {
      await database.close();
      await sql`drop schema ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.close();
    },
  };
}

interface ShireRun {
  queueMs: number;
  sendSeconds: number;
  /** Deliveries not marked sent and jobs not done, afterwards: both should be 0. */
  unsent: number;
  unfinishedJobs: number;
}

/** Queues every message as Shire does, then runs the outbox until it is empty. */
async function throughOutbox(
  dialect: Dialect,
  outgoing: Outgoing[],
  s: Settings,
): Promise<ShireRun> {
  const opened = await openFresh(dialect);
  const { database } = opened;
  const sender = smtpSender({ smtpUrl: s.smtpUrl, from: s.from, maxConnections: s.concurrency });
  try {
    const { db } = database;
    const queueStarted = performance.now();
    for (let first = 0; first < outgoing.length; first += QUEUE_BATCH)
      await db.transaction().execute(async (trx) => {
        for (const o of outgoing.slice(first, first + QUEUE_BATCH))
          await queueDelivery(trx, s.secret, o);
      });
    const queueMs = performance.now() - queueStarted;

    const cases = new CaseService(db);
    const accounts = new AccountService(db, new CaseService(db), {
      secret: s.secret,
      publicUrl: s.branding.publicUrl,
      councilName: s.branding.councilName,
    });
    const worker = new Worker(database, {
      handlers: new Map([
        [
          DELIVER_JOB,
          deliver({
            db,
            cases,
            accounts,
            senders: {
              email: sender,
              push: {
                sendPush: () => Promise.reject(new Error('The bench sends no pushes')),
              },
            },
            branding: s.branding,
            secret: s.secret,
          }),
        ],
      ]),
      logger: createLogger('silent'),
      concurrency: s.concurrency,
      ...(process.env.OUTBOX_BATCH ? { batchSize: Number(process.env.OUTBOX_BATCH) } : {}),
    });
    const started = performance.now();
    while ((await worker.runOnce()) > 0);
    const sendSeconds = (performance.now() - started) / 1000;

    const unsent = await db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '!=', 'sent')
      .executeTakeFirstOrThrow();
    const unfinished = await db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '!=', 'done')
      .executeTakeFirstOrThrow();
    return {
      queueMs,
      sendSeconds,
      unsent: unsent.n,
      unfinishedJobs: unfinished.n,
    };
  } finally {
    sender.close();
    await opened.close();
  }
}

const rate = (seconds: number) => (seconds > 0 ? COUNT / seconds : 0);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const at = (i: number) => sorted[i] ?? 0;
  return sorted.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
};

/**
 * nodemailer leaves Nagle's algorithm on, so the lone ".\r\n" that ends each message waits for
 * the relay's delayed ACK (40 ms on Linux): on loopback that timer, not either sender, would set
 * the pace. Both senders get no-delay sockets unless SMTP_NAGLE=1.
 */
function disableNagle(): () => void {
  if (process.env.SMTP_NAGLE === '1') return () => undefined;
  const noDelay = (message: unknown) => {
    (message as { socket: Socket }).socket.setNoDelay(true);
  };
  diagnostics.subscribe('net.client.socket', noDelay);
  return () => diagnostics.unsubscribe('net.client.socket', noDelay);
}

async function main(): Promise<number> {
  const restoreNagle = disableNagle();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shire-bench-'));
  const relay = await smtpRelay();
  try {
    const config = loadConfig({
      SHIRE_ENV: 'test',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      IN_PROCESS_WORKER: 'false',
    });
    const settings: Settings = {
      smtpUrl: relay.url,
      from: config.mailFrom,
      concurrency: config.workerConcurrency,
      secret: config.sessionSecret,
      branding: {
        councilName: config.council.name,
        publicUrl: config.publicUrl,
        colour: config.council.brandColour,
      },
    };
    const dialects: Dialect[] = process.env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
    if (!process.env.DATABASE_URL)
      console.log('PostgreSQL: skipped (set DATABASE_URL to include it)');
    console.log(
      `${COUNT.toLocaleString('en-GB')} '${TEMPLATE}' emails, ${settings.concurrency} in flight ` +
        `(WORKER_CONCURRENCY), ${ROUNDS} alternating rounds…`,
    );

    let failures = 0;
    const check = (what: string, sent: number) => {
      if (sent !== COUNT) {
        failures++;
        console.error(`  FAILED: ${what}: the relay got ${sent} messages, not ${COUNT}`);
      }
    };
    const directSeconds: number[] = [];
    const shire = new Map<Dialect, ShireRun[]>(dialects.map((d) => [d, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      const outgoing = outgoingMessages(round, settings.branding.publicUrl);
      const emails = rendered(outgoing, settings.branding);
      relay.reset();
      directSeconds.push(await direct(emails, settings));
      check(`round ${round}, nodemailer direct`, relay.received());
      const line = [
        `  round ${round}: nodemailer direct ${Math.round(rate(directSeconds.at(-1) ?? 0))}/s`,
      ];
      for (const dialect of dialects) {
        relay.reset();
        const result = await throughOutbox(dialect, outgoing, settings);
        shire.get(dialect)?.push(result);
        check(`round ${round}, outbox on ${dialect}`, relay.received());
        if (result.unsent > 0 || result.unfinishedJobs > 0) {
          failures++;
          console.error(
            `  FAILED: outbox on ${dialect}: ${result.unsent} deliveries not sent, ${result.unfinishedJobs} jobs not done`,
          );
        }
        line.push(
          `outbox on ${dialect} ${Math.round(rate(result.sendSeconds))}/s (queued in ${Math.round(result.queueMs)} ms)`,
        );
      }
      console.log(line.join(', '));
    }

    // Best of the rounds: a shared machine only ever makes a run slower.
    const directRate = rate(Math.min(...directSeconds));
    const rows: (string | number)[][] = [
      ['sender (best of rounds)', 'msg/s', 'median msg/s', 'queued in ms', 'ratio'],
      [
        'nodemailer direct',
        Math.round(directRate),
        Math.round(rate(median(directSeconds))),
        '-',
        1,
      ],
    ];
    const summary = [];
    for (const [dialect, runs] of shire) {
      const bestRun = runs.reduce((a, b) => (b.sendSeconds < a.sendSeconds ? b : a));
      const sent = rate(bestRun.sendSeconds);
      const ratio = directRate > 0 ? sent / directRate : 0;
      rows.push([
        `Shire outbox, ${dialect}`,
        Math.round(sent),
        Math.round(rate(median(runs.map((r) => r.sendSeconds)))),
        Math.round(bestRun.queueMs),
        Math.round(ratio * 100) / 100,
      ]);
      summary.push({
        dialect,
        queuedMs: Math.round(bestRun.queueMs),
        sentPerSecond: Math.round(sent),
        directPerSecond: Math.round(directRate),
        ratio: Math.round(ratio * 1000) / 1000,
        verdict: ratio >= GOAL_RATIO ? 'PASS' : 'BELOW GOAL',
      });
    }
    console.log();
    console.log(table(rows));
    console.log();
    for (const s of summary)
      console.log(
        `notifications (${s.dialect}): ${COUNT} queued in ${s.queuedMs} ms; sent through the outbox at ` +
          `${s.sentPerSecond} msg/s; nodemailer direct ${s.directPerSecond} msg/s; ratio A/B = ` +
          `${s.ratio.toFixed(2)} (goal >= ${GOAL_RATIO})   ${s.verdict}`,
      );
    console.log(
      JSON.stringify({
        bench: 'notifications',
        messages: COUNT,
        concurrency: settings.concurrency,
        rounds: ROUNDS,
        goalRatio: GOAL_RATIO,
        summary,
        failures,
      }),
    );
    return failures > 0 ? 1 : 0;
  } finally {
    restoreNagle();
    await relay.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

run(main);
