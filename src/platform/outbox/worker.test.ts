import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { dialects, testDatabase } from '../../../test/helper.js';
import type { Database } from '../db/database.js';
import type { DB } from '../db/types.js';
import { createLogger } from '../logger.js';
import { enqueue } from './outbox.js';
import {
  backoffMs,
  type JobContext,
  type JobHandler,
  Worker,
  type WorkerOptions,
} from './worker.js';

const logger = createLogger('silent');
const SECOND = 1000;
const MINUTE = 60 * SECOND;

function worker(
  database: Database<DB>,
  handlers: Record<string, JobHandler>,
  options: Partial<WorkerOptions> = {},
) {
  return new Worker(database, { handlers: new Map(Object.entries(handlers)), logger, ...options });
}

function job(database: Database<DB>, id: number) {
  return database.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** Makes a pending job due at `at` without waiting for its backoff to pass. */
async function makeDue(database: Database<DB>, id: number, at: Date) {
  await database.db
    .updateTable('jobs')
    .set({ run_at: at.toISOString() })
    .where('id', '=', id)
    .execute();
}

/** A promise and the functions that settle it, for handlers the test finishes when it chooses. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

await test('backoffMs', async (t) => {
  await t.test('doubles from the base on each attempt', () => {
    const middle = () => 0.5; // no jitter
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => backoffMs(n, 2000, 60 * MINUTE, middle)),
      [2000, 4000, 8000, 16000, 32000],
    );
  });

  await t.test('stops growing at the cap, even after very many attempts', () => {
    const middle = () => 0.5;
    assert.equal(backoffMs(6, 1000, 20_000, middle), 20_000);
    assert.equal(backoffMs(50, 1000, 20_000, middle), 20_000);
    assert.equal(
      backoffMs(5000, 1000, 20_000, middle),
      20_000,
      '2^4999 overflows to Infinity; the cap must still hold',
    );
  });

  await t.test('jitter stays within ±20 % and the result is whole milliseconds', () => {
    assert.equal(
      backoffMs(3, 1000, 60_000, () => 0),
      3200,
    );
    assert.equal(
      backoffMs(3, 1000, 60_000, () => 0.999999),
      4800,
    );
    assert.equal(
      backoffMs(50, 1000, 20_000, () => 0),
      16_000,
    );
    assert.equal(
      backoffMs(50, 1000, 20_000, () => 0.999999),
      24_000,
    );
    for (let i = 0; i < 2000; i++) {
      const attempt = 1 + (i % 12);
      const expected = Math.min(30_000, 500 * 2 ** (attempt - 1));
      const delay = backoffMs(attempt, 500, 30_000);
      assert.ok(Number.isInteger(delay), `${delay} is not whole milliseconds`);
      assert.ok(
        delay >= 0.8 * expected && delay <= 1.2 * expected,
        `attempt ${attempt}: ${delay} not within 20 % of ${expected}`,
      );
    }
  });

  await t.test('jitter actually spreads retries out', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffMs(4, 1000, 60_000)));
    assert.ok(delays.size > 10, `only ${delays.size} distinct delays in 50 draws`);
  });
});

for (const dialect of dialects()) {
  await test(`Worker on ${dialect}`, async (t) => {
    const setup = async (t: TestContext) => testDatabase(t, dialect);

    await t.test('runs a due job once, with its payload, and marks it done', async (t) => {
      const database = await setup(t);
      const now = new Date();
      const calls: [unknown, JobContext][] = [];
      const w = worker(database, {
        'test.record': async (payload, context) => {
          calls.push([payload, context]);
          await Promise.resolve();
        },
      });
      const id = await enqueue(
        database.db,
        { type: 'test.record', payload: { caseId: 7, note: 'héllo' } },
        now,
      );

      assert.equal(await w.runOnce(now), 1);
      assert.deepEqual(calls, [
        [
          { caseId: 7, note: 'héllo' },
          { id, type: 'test.record', attempt: 1 },
        ],
      ]);
      const row = await job(database, id);
      assert.equal(row.status, 'done');
      assert.equal(row.attempts, 1);
      assert.equal(row.last_error, null);
      assert.equal(row.locked_by, null);
      assert.equal(row.locked_until, null);
      assert.ok(row.finished_at, 'finished_at is recorded');

      assert.equal(
        await w.runOnce(new Date(now.getTime() + 24 * 60 * MINUTE)),
        0,
        'a done job never runs again',
      );
      assert.equal(calls.length, 1);
    });

    await t.test(
      'a job due in the future is not run early, and is run once it is due',
      async (t) => {
        const database = await setup(t);
        const now = new Date();
        const runAt = new Date(now.getTime() + 60 * MINUTE);
        let runs = 0;
        const w = worker(database, {
          'test.later': () => {
            runs++;
            return Promise.resolve();
          },
        });
        const id = await enqueue(database.db, { type: 'test.later', payload: null, runAt }, now);

        assert.equal(await w.runOnce(now), 0);
        assert.equal(await w.runOnce(new Date(runAt.getTime() - 1)), 0);
        assert.equal(runs, 0);
        assert.equal((await job(database, id)).status, 'pending');
        assert.equal(await w.runOnce(runAt), 1);
        assert.equal(runs, 1);
        assert.equal((await job(database, id)).status, 'done');
      },
    );

    await t.test('claims at most one batch, earliest run_at first', async (t) => {
      const database = await setup(t);
      const now = new Date();
      const ran: number[] = [];
      const w = worker(
        database,
        {
          'test.order': (payload) => {
            ran.push(payload as number);
            return Promise.resolve();
          },
        },
        { batchSize: 2 },
      );
      // Enqueued out of order: the payload is each job's rank by run_at.
      for (const rank of [3, 1, 4, 2]) {
        await enqueue(
          database.db,
          {
            type: 'test.order',
            payload: rank,
            runAt: new Date(now.getTime() - 10 * MINUTE + rank * SECOND),
          },
          now,
        );
      }
      assert.equal(await w.runOnce(now), 2);
      assert.deepEqual(ran.slice().sort(), [1, 2]);
      assert.equal(await w.runOnce(now), 2);
      assert.deepEqual(ran.slice(2).sort(), [3, 4]);
      assert.equal(await w.runOnce(now), 0);
    });

    await t.test(
      'a failing job is retried with exponential backoff, then given up as dead',
      async (t) => {
        const database = await setup(t);
        const base = 10 * SECOND;
        const max = 30 * SECOND;
        const attemptsSeen: number[] = [];
        const w = worker(
          database,
          {
            'test.flaky': (_payload, context) => {
              attemptsSeen.push(context.attempt);
              return Promise.reject(new Error(`relay said no (try ${context.attempt})`));
            },
          },
          { baseBackoffMs: base, maxBackoffMs: max },
        );
        const id = await enqueue(database.db, { type: 'test.flaky', payload: {}, maxAttempts: 5 });

        // Expected delays: base·2^(n−1) capped at max → 10 s, 20 s, 30 s (not 40 s), 30 s (not 80 s).
        const expected = [10, 20, 30, 30].map((s) => s * SECOND);
        for (const [i, delay] of expected.entries()) {
          const attempt = i + 1;
          const before = Date.now();
          assert.equal(await w.runOnce(new Date(before)), 1, `attempt ${attempt} should run`);
          const after = Date.now();
          const row = await job(database, id);
          assert.equal(row.status, 'pending', `after attempt ${attempt}`);
          assert.equal(row.attempts, attempt);
          assert.equal(row.last_error, `relay said no (try ${attempt})`);
          assert.equal(row.locked_by, null);
          assert.equal(row.locked_until, null);
          assert.equal(row.finished_at, null);
          const runAt = Date.parse(row.run_at);
          assert.ok(
            runAt >= before + 0.8 * delay && runAt <= after + 1.2 * delay,
            `retry ${attempt} is ${runAt - before} ms out; expected ${delay} ms ± 20 %`,
          );
          // Not a moment early: the claim respects the new run_at…
          assert.equal(
            await w.runOnce(new Date(runAt - 1)),
            0,
            `retry ${attempt} ran before its run_at`,
          );
          // …and then we skip the wait rather than sleep through it.
          await makeDue(database, id, new Date());
        }

        assert.equal(await w.runOnce(), 1, 'the last attempt runs');
        const dead = await job(database, id);
        assert.equal(dead.status, 'dead');
        assert.equal(dead.attempts, 5);
        assert.equal(dead.last_error, 'relay said no (try 5)');
        assert.ok(dead.finished_at, 'a dead job records when it was given up');
        assert.deepEqual(attemptsSeen, [1, 2, 3, 4, 5]);

        assert.equal(
          await w.runOnce(new Date(Date.now() + 365 * 24 * 60 * MINUTE)),
          0,
          'a dead job is never run again',
        );
      },
    );

    await t.test('a job succeeds on a later try after failing', async (t) => {
      const database = await setup(t);
      let tries = 0;
      const w = worker(database, {
        'test.second-time-lucky': () => {
          tries++;
          return tries === 1 ? Promise.reject(new Error('temporary')) : Promise.resolve();
        },
      });
      const id = await enqueue(database.db, { type: 'test.second-time-lucky', payload: null });
      assert.equal(await w.runOnce(), 1);
      assert.equal((await job(database, id)).status, 'pending');
      await makeDue(database, id, new Date());
      assert.equal(await w.runOnce(), 1);
      const row = await job(database, id);
      assert.equal(row.status, 'done');
      assert.equal(row.attempts, 2);
      assert.equal(row.last_error, null, 'success clears the previous error');
    });

    await t.test(
      'a job of an unknown type fails and is kept, never silently dropped',
      async (t) => {
        const database = await setup(t);
        const w = worker(database, {});
        const id = await enqueue(database.db, {
          type: 'no.such.job',
          payload: { x: 1 },
          maxAttempts: 2,
        });

        assert.equal(await w.runOnce(), 1);
        let row = await job(database, id);
        assert.equal(row.status, 'pending');
        assert.equal(row.attempts, 1);
        assert.match(row.last_error ?? '', /No handler for job type "no\.such\.job"/);

        await makeDue(database, id, new Date());
        assert.equal(await w.runOnce(), 1);
        row = await job(database, id);
        assert.equal(row.status, 'dead');
        assert.equal(row.attempts, 2);
        assert.match(row.last_error ?? '', /no\.such\.job/);
        assert.equal(
          row.payload,
          JSON.stringify({ x: 1 }),
          'the payload is kept for whoever investigates',
        );
      },
    );

    await t.test(
      'a job whose worker crashed is claimed again once its lease has expired',
      async (t) => {
        const database = await setup(t);
        const now = new Date();
        const ran: [string, number][] = [];
        const w = worker(database, {
          'test.crash': (payload, context) => {
            ran.push([payload as string, context.attempt]);
            return Promise.resolve();
          },
        });
        const expired = await enqueue(database.db, { type: 'test.crash', payload: 'expired' }, now);
        const held = await enqueue(database.db, { type: 'test.crash', payload: 'held' }, now);
        // What a worker that died mid-job leaves behind: running, locked by it, attempt already counted.
        const crashed = (id: number, lockedUntil: Date) =>
          database.db
            .updateTable('jobs')
            .set({
              status: 'running',
              locked_by: 'gone-host:4242:deadbeef',
              locked_until: lockedUntil.toISOString(),
              attempts: 1,
            })
            .where('id', '=', id)
            .execute();
        await crashed(expired, new Date(now.getTime() - SECOND));
        await crashed(held, new Date(now.getTime() + MINUTE));

        assert.equal(await w.runOnce(now), 1, 'only the job whose lease expired is taken');
        assert.deepEqual(ran, [['expired', 2]]);
        const row = await job(database, expired);
        assert.equal(row.status, 'done');
        assert.equal(row.attempts, 2);
        const stillHeld = await job(database, held);
        assert.equal(stillHeld.status, 'running');
        assert.equal(stillHeld.locked_by, 'gone-host:4242:deadbeef');

        assert.equal(
          await w.runOnce(new Date(now.getTime() + MINUTE + 1)),
          1,
          'the other is taken when its lease runs out',
        );
        assert.deepEqual(ran, [
          ['expired', 2],
          ['held', 2],
        ]);
        assert.equal((await job(database, held)).status, 'done');
      },
    );

    await t.test(
      'a worker whose lease ran out cannot overwrite the result of the worker that took over',
      async (t) => {
        const database = await setup(t);
        const now = new Date();
        const slow = deferred();
        const byWorker: string[] = [];
        const handlers = (name: string): Record<string, JobHandler> => ({
          'test.lease': async () => {
            byWorker.push(name);
            if (name === 'stalled') await slow.promise;
          },
        });
        const stalled = worker(database, handlers('stalled'), { leaseMs: MINUTE });
        const rescuer = worker(database, handlers('rescuer'), { leaseMs: MINUTE });
        const id = await enqueue(database.db, { type: 'test.lease', payload: null }, now);

        const stalledRun = stalled.runOnce(now);
        // Wait until the stalled worker holds the job (its handler has started).
        while (byWorker.length === 0) await new Promise((resolve) => setImmediate(resolve));
        const claimed = await job(database, id);
        assert.equal(claimed.status, 'running');
        assert.equal(claimed.locked_by, stalled.id);
        assert.equal(claimed.locked_until, new Date(now.getTime() + MINUTE).toISOString());

        assert.equal(
          await rescuer.runOnce(new Date(now.getTime() + MINUTE - 1)),
          0,
          'the lease is still held',
        );
        assert.equal(
          await rescuer.runOnce(new Date(now.getTime() + MINUTE + 1)),
          1,
          'the lease has run out',
        );
        assert.equal((await job(database, id)).status, 'done');

        // The stalled worker wakes up and fails: the job must stay done, not go back to pending.
        slow.reject(new Error('too late'));
        assert.equal(await stalledRun, 1);
        const row = await job(database, id);
        assert.equal(row.status, 'done');
        assert.equal(row.last_error, null);
        assert.deepEqual(byWorker, ['stalled', 'rescuer']);
      },
    );

    await t.test(
      'start() runs jobs in the background; poke() wakes it; stop() waits for it to finish',
      async (t) => {
        const database = await setup(t);
        const ran = deferred<number>();
        const w = worker(
          database,
          {
            'test.background': (_payload, context) => {
              ran.resolve(context.id);
              return Promise.resolve();
            },
          },
          { pollMs: 60 * MINUTE }, // only poke() can wake it in time
        );
        w.start();
        t.after(() => w.stop());
        const id = await enqueue(database.db, { type: 'test.background', payload: null });
        // Poke until it runs: a poke that lands while the worker is mid-claim, not asleep, is lost.
        const poker = setInterval(() => {
          w.poke();
        }, 5);
        try {
          assert.equal(await ran.promise, id);
        } finally {
          clearInterval(poker);
        }
        await w.stop();
        assert.equal(
          (await job(database, id)).status,
          'done',
          'stop() returns only after the job is recorded',
        );
      },
    );

    await t.test(
      'a retry is scheduled from the clock given to runOnce(now), like the claim and the lease',
      async (t) => {
        const database = await setup(t);
        const base = 10 * SECOND;
        const w = worker(
          database,
          { 'test.fail': () => Promise.reject(new Error('no')) },
          { baseBackoffMs: base },
        );
        const start = new Date();
        const id = await enqueue(database.db, { type: 'test.fail', payload: null }, start);
        assert.equal(await w.runOnce(start), 1);
        const runAt = Date.parse((await job(database, id)).run_at);
        // Second try, as a scheduler would run it: at the first retry time, in simulated time.
        assert.equal(await w.runOnce(new Date(runAt)), 1);
        const second = Date.parse((await job(database, id)).run_at);
        assert.ok(
          second - runAt >= 0.8 * 2 * base,
          `second retry is only ${second - runAt} ms after the time given to runOnce; expected ≥ ${0.8 * 2 * base}`,
        );
      },
    );

    await t.test(
      'a handler that throws something other than an Error still records what went wrong',
      async (t) => {
        const database = await setup(t);
        const w = worker(database, {
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- third-party code does this
          'test.string': () => Promise.reject('SMTP 451 try again later'),
        });
        const id = await enqueue(database.db, { type: 'test.string', payload: null });
        assert.equal(await w.runOnce(), 1);
        assert.match((await job(database, id)).last_error ?? '', /SMTP 451 try again later/);
      },
    );

    await t.test(
      'a job that keeps killing its worker is given up once it has used all its attempts',
      async (t) => {
        const database = await setup(t);
        const now = new Date();
        let runs = 0;
        const w = worker(database, {
          'test.poison': () => {
            runs++;
            return Promise.resolve();
          },
        });
        const id = await enqueue(
          database.db,
          { type: 'test.poison', payload: null, maxAttempts: 3 },
          now,
        );
        await database.db
          .updateTable('jobs')
          .set({
            status: 'running',
            attempts: 3,
            locked_by: 'gone-host:1:cafe',
            locked_until: new Date(now.getTime() - SECOND).toISOString(),
          })
          .where('id', '=', id)
          .execute();
        await w.runOnce(now);
        const row = await job(database, id);
        assert.equal(runs, 0, 'its third and last attempt already started; a fourth must not');
        assert.equal(row.status, 'dead');
        assert.ok(row.attempts <= 3, `attempts went up to ${row.attempts}`);
      },
    );
  });
}
