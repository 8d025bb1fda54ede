/**
 * Live chat on two Shire nodes: two real processes (test/fixtures/chat-node.ts), each on its
 * own port, sharing one PostgreSQL schema and one Redis, as a council's load-balanced nodes do.
 * A resident's browser is connected to one node and the adviser's console to the other.
 *
 *   1. They talk in real time both ways: the queue, the adviser accepting, messages and
 *      typing notices all cross from node to node over the Redis bus.
 *   2. Node A dies (SIGKILL) while the adviser goes on writing from node B. The resident comes
 *      back on node B with {t: 'resume', token, after: lastSeq} and gets every message missed,
 *      exactly once and in order; the message it sent just before the crash, sent again with
 *      the same id, is stored once.
 *   3. Node A restarts on its port, and a connection to it hears node B live again.
 *   4. The resident comes back again and again, to either node, while the adviser writes as
 *      fast as node B takes it: each connection gets the messages after the one it resumed
 *      from, once each and in order. (A resume joins the chat's room and then reads what was
 *      missed: a message published in between must not arrive both live and in the replay.)
 *
 * Needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL); skipped without them, except under
 * CI=true, where both are required.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { signedInStaff } from '../src/modules/backoffice/testing.js';
import { createLogger } from '../src/platform/logger.js';
import { ChatClient, type Frame } from './chat-client.js';
import {
  ASSET_CACHE_DIR,
  dialects,
  testConfig,
  testDatabase,
  testRedisUrl,
  Visitor,
  type TestApp,
} from './helper.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/chat-node.ts', import.meta.url));
const PUBLIC_URL = 'http://shire.test';
const ORIGIN = new URL(PUBLIC_URL).origin;
/** A Monday morning, within the demo council's chat hours. */
const IN_HOURS = '2026-11-30T10:00:00Z';
/** Times the resident comes back while the adviser writes as fast as they can (test 4). */
const RESUMES = 8;

const redisUrl = testRedisUrl();
const databaseUrl = dialects().includes('postgres') ? process.env.DATABASE_URL : undefined;
const skip = !redisUrl ? 'REDIS_URL not set' : !databaseUrl ? 'DATABASE_URL not set' : false;

interface NodeProcess {
  child: ChildProcess;
  /** The port it listens on, once it does; rejects if the process ends first. */
  listening: Promise<number>;
  output: () => string;
  kill: (signal: NodeJS.Signals) => Promise<void>;
}

function startNode(env: Record<string, string>, port: number): NodeProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, CHAT_NODE_PORT: String(port) };
  // Without this the child would think it is itself a test file reporting to the runner.
  delete childEnv.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(() => undefined);
  const listening = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    void exited.then(() => {
      reject(new Error(`the node ended before it listened:\n${stderr}`));
    });
    setTimeout(() => {
      reject(new Error(`the node did not listen within 60 s:\n${stderr}`));
    }, 60_000).unref();
  });
  listening.catch(() => undefined);
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { child, listening, output: () => stderr, kill };
}

/** Polls until `check` is true, or fails with what `describe` says after `timeoutMs`. */
async function waitFor(
  check: () => boolean | Promise<boolean>,
  describe: () => string,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out: ${describe()}`);
    await delay(25);
  }
}

/**
 * A member of staff taking chats, signed in with two-factor through the pages of `app`; the
 * session cookie works on every node, as sessions are kept in Redis. Sent as from an address
 * of its own, so the sign-up limit (counted in Redis, across runs) never refuses it.
 */
async function signedInAgent(app: TestApp, name: string): Promise<string> {
  const ip = `10.${String(randomInt(256))}.${String(randomInt(256))}.${String(randomInt(1, 255))}`;
  const visitor = new Visitor(app.app, { 'x-forwarded-for': ip });
  return (await signedInStaff(app, 'agent', null, name, visitor)).visitor.cookie;
}

const lastSeqOf = (client: ChatClient) =>
  Math.max(0, ...client.messages().map((m) => Number(m.seq)));
const isMsg = (seq: number) => (f: Frame) => f.t === 'msg' && f.seq === seq;

/**
 * The adviser writing message after message in one chat, each sent once the last was
 * acknowledged (and `gapMs` later), until stopped: the numbers given to them, in order.
 */
function keepWriting(agent: ChatClient, chat: number, prefix: string, gapMs: number) {
  const ids: string[] = [];
  const acked: number[] = [];
  const state = { stopped: false };
  const writing = (async () => {
    for (let i = 0; !state.stopped; i++) {
      const id = `${prefix}-${String(i)}`;
      agent.send({ t: 'msg', chat, id, text: `${prefix} ${String(i)}` });
      ids.push(id);
      const ack = await agent.next((f) => f.t === 'ack' && f.id === id);
      acked.push(Number(ack.seq));
      if (gapMs > 0) await delay(gapMs);
    }
  })();
  return {
    ids,
    acked,
    /** Waits until `n` more messages than now have been acknowledged. */
    more: (n: number) => {
      const target = acked.length + n;
      return waitFor(
        () => acked.length >= target,
        () => `the adviser's messages stopped at ${String(acked.length)}`,
      );
    },
    stop: async () => {
      state.stopped = true;
      await writing;
    },
  };
}

/** The numbers of the messages a connection received, checked to run on from `after` by one. */
function assertRunsOn(client: ChatClient, after: number, where: string) {
  const seqs = client.messages().map((m) => Number(m.seq));
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => after + 1 + i),
    `${where}: resumed after ${String(after)}, got ${JSON.stringify(seqs)}`,
  );
  return seqs.at(-1) ?? after;
}

await test(
  'live chat across two Shire processes sharing PostgreSQL and Redis',
  { skip, timeout: 90_000 },
  async (t) => {
    const nodes: NodeProcess[] = [];
    let setup: FastifyInstance | undefined;
    // Registered before the database, so the nodes are gone before their schema is dropped.
    t.after(async () => {
      await Promise.all(nodes.map((node) => node.kill('SIGKILL')));
      await setup?.close();
    });
    const database = await testDatabase(t, 'postgres');
    const db = database.db;
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    const schema = rows[0]?.schema ?? '';
    assert.match(schema, /^test_/);

    const shared = {
      REDIS_URL: redisUrl ?? '',
      SESSION_SECRET: randomBytes(32).toString('hex'),
      PUBLIC_URL,
    };
    const config = testConfig(t, shared);
    // The adviser signs in through the pages of an app on the same database and Redis, which
    // is then closed: from here on there are only the two node processes.
    setup = await buildApp(config, {
      database,
      logger: createLogger('silent'),
      assetCacheDir: ASSET_CACHE_DIR,
    });
    const cookie = await signedInAgent({ app: setup, database, config }, 'Ade Agent');
    await setup.close();
    setup = undefined;

    const nodeEnv = {
      ...shared,
      DATA_DIR: config.dataDir,
      CHAT_NODE_DB_URL: databaseUrl ?? '',
      CHAT_NODE_DB_SCHEMA: schema,
      CHAT_NODE_NOW: IN_HOURS,
      CHAT_NODE_ASSETS: ASSET_CACHE_DIR,
    };
    const start = async (port = 0) => {
      const node = startNode(nodeEnv, port);
      nodes.push(node);
      return { node, port: await node.listening };
    };
    const logs = () => nodes.map((node, i) => `node ${String(i)}:\n${node.output()}`).join('\n');
    let a = await start();
    const b = await start();
    const residentUrl = (port: number) => `ws://127.0.0.1:${String(port)}/chat/socket`;
    const agentUrl = (port: number) => `ws://127.0.0.1:${String(port)}/chat/agent-socket`;
    t.after(() => {
      // What the nodes logged (warnings and errors), to tell why something failed.
      for (const [i, node] of nodes.entries())
        if (node.output().trim()) t.diagnostic(`node ${String(i)}:\n${node.output()}`);
    });
    const storedMessages = () =>
      db
        .selectFrom('chat_messages')
        .select(['seq', 'client_id', 'sender', 'body'])
        .where('chat_id', '=', chatId)
        .orderBy('seq')
        .execute();

    let consoleB!: ChatClient;
    let residentA!: ChatClient;
    let token = '';
    let chatId = 0;

    await t.test('a resident on node A and an adviser on node B talk both ways', async () => {
      consoleB = await ChatClient.connect(agentUrl(b.port), ORIGIN, cookie);
      await consoleB.next((f) => f.t === 'hello');
      consoleB.send({ t: 'status', status: 'available' });
      await consoleB.next((f) => f.t === 'status' && f.status === 'available');

      residentA = await ChatClient.connect(residentUrl(a.port), ORIGIN);
      residentA.send({ t: 'start', topic: 'My garden waste bin was not emptied', id: 'r-0' });
      const started = await residentA.next((f) => f.t === 'started');
      token = String(started.token);
      chatId = Number(started.chat);
      // Node A knows an adviser on node B is taking chats.
      await residentA.next((f) => f.t === 'state' && f.open === true);

      residentA.send({ t: 'agent' });
      const waiting = await residentA.next((f) => f.t === 'state' && f.status === 'waiting');
      assert.equal(waiting.position, 1);
      assert.equal(typeof waiting.minutes, 'number');
      // The queue on node B hears of the chat waiting on node A.
      await consoleB.next(
        (f) =>
          f.t === 'queue' && (f.waiting as { id: number }[]).some((item) => item.id === chatId),
      );

      consoleB.send({ t: 'accept', chat: chatId });
      await consoleB.next(
        (f) => f.t === 'chats' && (f.chats as { id: number }[]).some((c) => c.id === chatId),
      );
      await residentA.next(
        (f) =>
          f.t === 'msg' &&
          f.from === 'system' &&
          /Ade from the council has joined/.test(String(f.text)),
      );
      await residentA.next((f) => f.t === 'state' && f.status === 'active');

      // A → B
      residentA.send({ t: 'msg', id: 'r-1', text: 'It is the brown bin at number 4' });
      const ack = await residentA.next((f) => f.t === 'ack' && f.id === 'r-1');
      const heard = await consoleB.next(isMsg(Number(ack.seq)));
      assert.equal(heard.chat, chatId);
      assert.equal(heard.from, 'resident');
      assert.equal(heard.text, 'It is the brown bin at number 4');

      // B → A
      consoleB.send({ t: 'msg', chat: chatId, id: 'a-1', text: 'Sorry about that.' });
      const ackB = await consoleB.next((f) => f.t === 'ack' && f.id === 'a-1');
      const told = await residentA.next(isMsg(Number(ackB.seq)));
      assert.equal(told.from, 'agent');
      assert.equal(told.text, 'Sorry about that.');

      // Typing notices cross too, each to the other side only.
      residentA.send({ t: 'typing' });
      await consoleB.next((f) => f.t === 'typing' && f.chat === chatId && f.from === 'resident');
      consoleB.send({ t: 'typing', chat: chatId });
      await residentA.next((f) => f.t === 'typing' && f.from === 'agent');
      assert.ok(!residentA.frames.some((f) => f.t === 'typing' && f.from === 'resident'));
      assert.ok(!consoleB.frames.some((f) => f.t === 'typing' && f.from === 'agent'));
    });

    let residentB!: ChatClient;

    await t.test(
      'node A is killed mid-conversation: the resident resumes on node B and misses nothing',
      async () => {
        // The resident sends a message; node A stores it and dies before the resident can be
        // sure it arrived, so the widget will send it again.
        const resent = { t: 'msg', id: 'r-2', text: 'One more thing: the lid is broken.' };
        residentA.send(resent);
        await waitFor(
          async () => (await storedMessages()).some((m) => m.client_id === 'r-2'),
          () => `node A never stored r-2\n${logs()}`,
        );

        // The adviser keeps writing from node B all through the crash and the reconnection.
        const writer = keepWriting(consoleB, chatId, 'a-down', 10);
        await writer.more(3);
        const gone = once(residentA.socket, 'close');
        await a.node.kill('SIGKILL');
        assert.equal(a.node.child.signalCode, 'SIGKILL');
        await gone;
        const lastSeq = lastSeqOf(residentA);
        // Messages the resident misses while it has no connection.
        await writer.more(5);

        residentB = await ChatClient.connect(residentUrl(b.port), ORIGIN);
        residentB.send({ t: 'resume', token, after: lastSeq });
        const state = await residentB.next((f) => f.t === 'state');
        assert.equal(state.status, 'active');
        // The widget sends again what was never acknowledged.
        residentB.send(resent);
        const again = await residentB.next((f) => f.t === 'ack' && f.id === 'r-2');
        // And the adviser's messages arrive live again.
        await writer.more(10);
        await writer.stop();

        const stored = await storedMessages();
        const last = stored.at(-1)?.seq ?? 0;
        await residentB.next(isMsg(last));
        // Anything delivered twice would have arrived by now.
        await delay(300);

        // Every message after the last one seen, once each, in order, and nothing else.
        assertRunsOn(residentB, lastSeq, 'node B');
        const missed = stored.filter((m) => m.seq > lastSeq);
        assert.deepEqual(
          residentB.messages().map((m) => [m.seq, m.text]),
          missed.map((m) => [m.seq, m.body]),
        );
        // Between both connections the resident saw the whole conversation exactly once.
        assert.deepEqual(
          [...residentA.messages(), ...residentB.messages()].map((m) => m.seq),
          stored.map((m) => m.seq),
        );

        // The message sent twice is stored once, under the number first given to it.
        const copies = stored.filter((m) => m.client_id === 'r-2');
        assert.equal(copies.length, 1);
        assert.equal(again.seq, copies[0]?.seq);
        assert.equal(copies[0]?.body, resent.text);
        // Each of the adviser's messages was stored once, under the number it was given.
        assert.deepEqual(
          stored.filter((m) => m.client_id?.startsWith('a-down-')).map((m) => m.seq),
          writer.acked,
        );
        assert.equal(writer.acked.length, writer.ids.length);
      },
    );

    await t.test('node A restarted takes connections and hears node B live', async () => {
      a = await start(a.port);
      const lastSeq = lastSeqOf(residentB);
      await residentB.close();

      const back = await ChatClient.connect(residentUrl(a.port), ORIGIN);
      back.send({ t: 'resume', token, after: lastSeq });
      await back.next((f) => f.t === 'state' && f.status === 'active');
      assert.deepEqual(back.messages(), [], 'nothing was missed');
      // A chat started on the restarted node finds the adviser on node B taking chats.
      const other = await ChatClient.connect(residentUrl(a.port), ORIGIN);
      other.send({ t: 'start', topic: 'Is the tip open on Sunday?' });
      await other.next((f) => f.t === 'state' && f.open === true);
      await other.close();

      consoleB.send({ t: 'msg', chat: chatId, id: 'a-2', text: 'Is there anything else?' });
      const ackB = await consoleB.next((f) => f.t === 'ack' && f.id === 'a-2');
      const live = await back.next(isMsg(Number(ackB.seq)));
      assert.equal(live.text, 'Is there anything else?');

      back.send({ t: 'msg', id: 'r-3', text: 'No, thank you.' });
      const ackA = await back.next((f) => f.t === 'ack' && f.id === 'r-3');
      const heard = await consoleB.next(isMsg(Number(ackA.seq)));
      assert.equal(heard.text, 'No, thank you.');

      const before = consoleB.frames.length;
      back.send({ t: 'typing' });
      await consoleB.next((f) => f.t === 'typing' && f.from === 'resident', 5000, before);
      await back.close();
    });

    await t.test(
      'coming back on either node while the adviser writes fast: each message once, in order',
      async () => {
        // The adviser writes as fast as node B takes it; the resident reconnects again and
        // again, to A and B in turn, each time resuming after the last message it saw.
        const writer = keepWriting(consoleB, chatId, 'a-fast', 0);
        let after = (await storedMessages()).at(-1)?.seq ?? 0;
        try {
          for (let i = 0; i < RESUMES; i++) {
            const node = i % 2 === 0 ? a : b;
            const client = await ChatClient.connect(residentUrl(node.port), ORIGIN);
            client.send({ t: 'resume', token, after });
            await client.next((f) => f.t === 'state');
            await writer.more(3);
            await client.next(isMsg(writer.acked.at(-1) ?? 0));
            await client.close();
            after = assertRunsOn(
              client,
              after,
              `connection ${String(i + 1)}, to node ${i % 2 === 0 ? 'A' : 'B'}`,
            );
          }
        } finally {
          await writer.stop();
        }
        await consoleB.close();
      },
    );
  },
);
