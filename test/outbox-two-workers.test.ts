/**
 * The outbox's promise on PostgreSQL: any number of workers, each with its own connection
 * pool or in its own process, run every job exactly once (FOR UPDATE SKIP LOCKED).
 *
 * This file is also the worker process that the cross-process test starts: with
 * SHIRE_OUTBOX_CHILD=1 it runs one worker instead of registering tests.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { Database } from '../src/platform/db/database.js';
import type { DB } from '../src/platform/db/types.js';
import { createLogger } from '../src/platform/logger.js';
import { enqueue } from '../src/platform/outbox/outbox.js';
import { Worker } from '../src/platform/outbox/worker.js';

const JOB = 'test.record';
const logger = createLogger('silent');

interface Run {
  job: number;
  worker: string;
}

function recordingWorker(database: Database<DB>, runs: Run[], batchSize: number): Worker {
  const worker: Worker = new Worker(database, {
    logger,
    batchSize,
    handlers: new Map([
      [
        JOB,
        async (_payload, context) => {
          runs.push({ job: context.id, worker: worker.id });
          // A little random work, so the workers' claims interleave.
          await delay(Math.floor(Math.random() * 3));
        },
      ],
    ]),
  });
  return worker;
}

/** Runs the worker until no job is left to do by anyone. */
async function drain(database: Database<DB>, worker: Worker): Promise<void> {
  for (;;) {
    if ((await worker.runOnce()) > 0) continue;
    const left = await database.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['pending', 'running'])
      .executeTakeFirstOrThrow();
    if (left.n === 0) return;
    // Another worker still holds the last jobs: look again shortly.
    await delay(2);
  }
}

async function enqueueMany(database: Database<DB>, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++)
    ids.push(await enqueue(database.db, { type: JOB, payload: { n: i } }));
  return ids;
}

/** Every job ran exactly once, is done after one attempt, and each worker did some of them. */
async function assertExactlyOnce(
  database: Database<DB>,
  ids: number[],
  runs: Run[],
  workers: string[],
) {
  const times = new Map<number, number>();
  for (const run of runs) times.set(run.job, (times.get(run.job) ?? 0) + 1);
  const twice = [...times].filter(([, n]) => n > 1).map(([id]) => id);
  const lost = ids.filter((id) => !times.has(id));
  assert.deepEqual(twice, [], `jobs run more than once: ${twice.join(', ')}`);
  assert.deepEqual(lost, [], `jobs never run: ${lost.join(', ')}`);
  assert.equal(runs.length, ids.length);

  const rows = await database.db
    .selectFrom('jobs')
    .select(['id', 'status', 'attempts', 'locked_by'])
    .execute();
  assert.equal(rows.length, ids.length);
  const notDone = rows.filter(
    (row) => row.status !== 'done' || row.attempts !== 1 || row.locked_by !== null,
  );
  assert.deepEqual(notDone, [], 'every job is done after exactly one claim');

  for (const worker of workers) {
    const share = runs.filter((run) => run.worker === worker).length;
    assert.ok(
      share > 0,
      `worker ${worker} ran none of the ${ids.length} jobs: they did not really compete`,
    );
  }
}

const CHILD = process.env.SHIRE_OUTBOX_CHILD === '1';

if (CHILD) {
  await runChild();
} else {
  // Imported here, not above: the helper loads the whole app, which a worker process doesn't need.
  const { dialects, testDatabase } = await import('./helper.js');
  const skip = dialects().includes('postgres') ? false : 'needs PostgreSQL: set DATABASE_URL';
  const url = process.env.DATABASE_URL ?? '';

  /** A migrated test schema, plus its name so other pools and processes can open it too. */
  const sharedSchema = async (t: Parameters<typeof testDatabase>[0]) => {
    const database = await testDatabase(t, 'postgres');
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
      database.db,
    );
    const schema = rows[0]?.schema;
    if (!schema?.startsWith('test_'))
      throw new Error(`expected a test schema, got ${String(schema)}`);
    return { database, schema };
  };

  await test('outbox workers on PostgreSQL', { skip }, async (t) => {
    for (const { pools, workersPerPool, batchSize } of [
      { pools: 2, workersPerPool: 1, batchSize: 5 },
      { pools: 2, workersPerPool: 3, batchSize: 1 },
    ]) {
      const workerCount = pools * workersPerPool;
      await t.test(
        `${workerCount} workers on ${pools} separate pools (batch ${batchSize}) run each of 300 jobs exactly once`,
        async (t) => {
          const { database, schema } = await sharedSchema(t);
          const ids = await enqueueMany(database, 300);
          const databases = [database];
          for (let i = 1; i < pools; i++) {
            const pool = Database.postgres<DB>(url, schema);
            t.after(() => pool.close());
            databases.push(pool);
          }
          const runs: Run[] = [];
          const workers = databases.flatMap((db) =>
            Array.from({ length: workersPerPool }, () => ({
              db,
              worker: recordingWorker(db, runs, batchSize),
            })),
          );
          await Promise.all(workers.map(({ db, worker }) => drain(db, worker)));
          await assertExactlyOnce(
            database,
            ids,
            runs,
            workers.map(({ worker }) => worker.id),
          );
        },
      );
    }

    await t.test(
      'two worker processes run each of 300 jobs exactly once',
      { timeout: 120_000 },
      async (t) => {
        const { database, schema } = await sharedSchema(t);
        const ids = await enqueueMany(database, 300);
        const children = [0, 1].map(() => startChild(url, schema));
        t.after(() => {
          for (const child of children) child.kill();
        });
        // Start both at once, so that neither finishes the queue before the other has connected.
        await Promise.all(children.map((child) => child.ready));
        for (const child of children) child.go();
        const results = await Promise.all(children.map((child) => child.result));

        const pids = results.map((result) => result.pid);
        assert.notEqual(pids[0], pids[1], 'the workers ran in two processes');
        assert.ok(!pids.includes(process.pid), 'the jobs ran in the child processes, not the test');
        const runs = results.flatMap((result) =>
          result.jobs.map((job) => ({ job, worker: result.worker })),
        );
        await assertExactlyOnce(
          database,
          ids,
          runs,
          results.map((result) => result.worker),
        );
      },
    );
  });
}

interface ChildResult {
  pid: number;
  worker: string;
  jobs: number[];
}

/** Starts this file as a worker process on the given schema. */
function startChild(url: string, schema: string) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SHIRE_OUTBOX_CHILD: '1',
    SHIRE_OUTBOX_URL: url,
    SHIRE_OUTBOX_SCHEMA: schema,
  };
  // Without this the child would think it is itself a test file reporting to the runner.
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout });
  let output: string | undefined;
  const result = (async (): Promise<ChildResult> => {
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0 || output === undefined)
      throw new Error(`worker process exited with ${String(code)}:\n${stderr}`);
    return JSON.parse(output) as ChildResult;
  })();
  // Ready when it says so; a child that dies first fails the test rather than hanging it.
  const ready = new Promise<void>((resolve, reject) => {
    let isReady = false;
    lines.on('line', (line) => {
      if (line === 'ready') {
        isReady = true;
        resolve();
      } else output = line;
    });
    result.then(() => {
      if (!isReady) reject(new Error('worker process ended before it was ready'));
    }, reject);
  });
  return {
    ready,
    result,
    go: () => child.stdin.end('go\n'),
    kill: () => child.kill(),
  };
}

/** The worker process: connects, says "ready", waits for "go", drains the queue, reports what it ran. */
async function runChild(): Promise<void> {
  const url = process.env.SHIRE_OUTBOX_URL;
  const schema = process.env.SHIRE_OUTBOX_SCHEMA;
  if (!url || !schema) throw new Error('SHIRE_OUTBOX_URL and SHIRE_OUTBOX_SCHEMA are required');
  const database = Database.postgres<DB>(url, schema);
  try {
    const runs: Run[] = [];
    const worker = recordingWorker(database, runs, 5);
    assert.equal(await database.ping(), true);
    const lines = createInterface({ input: process.stdin });
    const go = new Promise<void>((resolve) => {
      lines.on('line', (line) => {
        if (line === 'go') resolve();
      });
    });
    process.stdout.write('ready\n');
    await go;
    lines.close();
    await drain(database, worker);
    const result: ChildResult = {
      pid: process.pid,
      worker: worker.id,
      jobs: runs.map((run) => run.job),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await database.close();
  }
}
