/**
 * Sending reports on to other Open311 servers (council.yaml open311.sendTo), against a fake
 * server on a real local port, through the whole app and the real outbox worker, on each
 * database: which reports go where, what is posted, retries and refusals, tokens, and the
 * updates read back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, dialects } from '../../../test/helper.js';
import { fakeOpen311 } from '../../../test/fake-open311.js';
import { CaseService } from '../cases/service.js';
import { FETCH_JOB, RemoteUpdates, statusFor } from './remote-updates.js';
import { SEND_ATTEMPTS, SEND_JOB } from './outgoing.js';
import { councilSendingTo, issueKey, outboxWorker, POTHOLE, postForm } from './testing.js';

/** A field in the South area, away from the A36 that National Highways looks after. */
const SOUTH = { lat: '51.3000', long: '-2.1000' };
const FLY_TIPPING = {
  service_code: 'report-fly-tipping',
  lat: POTHOLE.lat,
  long: POTHOLE.long,
  'attribute[wasteTypes][]': ['household', 'tyres'],
  'attribute[amount]': 'van',
  'attribute[sawWhoDidIt]': 'no',
  description: 'Bags and tyres in the lay-by.',
};
const MINUTE = 60_000;

for (const dialect of dialects()) {
  await test(`sending reports to other Open311 servers on ${dialect}`, async (t) => {
    const ringway = await fakeOpen311(t);
    const southern = await fakeOpen311(t);
    const app = await buildTestApp(t, dialect, {
      RATE_LIMIT_PER_MINUTE: '100000',
      COUNCIL_CONFIG: councilSendingTo(t, [
        {
          id: 'ringway',
          name: 'Ringway Highways',
          endpoint: ringway.url,
          apiKeyEnv: 'OPEN311_RINGWAY_KEY',
          jurisdictionId: 'ringway.example',
          categories: ['report-a-pothole'],
          areas: ['North'],
          serviceCodes: { 'report-a-pothole': 'POT' },
        },
        {
          id: 'southern',
          name: 'Southern Works',
          endpoint: southern.url,
          apiKeyEnv: 'OPEN311_SOUTHERN_KEY',
          areas: ['South'],
        },
      ]),
      OPEN311_RINGWAY_KEY: 'ringway-secret',
      OPEN311_SOUTHERN_KEY: 'southern-secret',
    });
    const db = app.database.db;
    const { services, drain } = outboxWorker(app);
    const ringwayEndpoint = app.config.open311SendTo[0];
    assert.ok(ringwayEndpoint);
    const { key } = await issueKey(app);
    const cases = new CaseService(db);

    /** A report made on this council's own Open311 API, as a back office would; its case. */
    const report = async (fields: Record<string, string | string[]>) => {
      const made = await postForm(app, '/open311/v2/requests.json', { api_key: key, ...fields });
      assert.equal(made.statusCode, 200, made.body);
      const [answer] = made.json<{ service_request_id: string }[]>();
      const found = await cases.getByRef(answer?.service_request_id ?? '');
      assert.ok(found);
      return found;
    };
    const sent = (caseId: number) =>
      db.selectFrom('open311_sent').selectAll().where('case_id', '=', caseId).executeTakeFirst();
    const notes = async (caseId: number) =>
      (await cases.timeline(caseId, { publicOnly: false }))
        .filter((e) => e.type === 'internal_note')
        .map((e) => e.body);
    const posts = (fake: typeof ringway) =>
      fake.calls.filter((c) => c.method === 'POST' && c.path === 'requests.json');

    let pothole: Awaited<ReturnType<typeof report>>;
    await t.test(
      'a pothole in the North goes to Ringway: its answers, the reporter, their key and service code',
      async () => {
        pothole = await report({ ...POTHOLE, media_url: 'https://photos.example.org/p.jpg' });
        // Routed with the case, in its transaction: the row and its job exist before any sending.
        assert.equal((await sent(pothole.id))?.status, 'pending');
        const job = await db
          .selectFrom('jobs')
          .select('payload')
          .where('type', '=', SEND_JOB)
          .executeTakeFirst();
        assert.deepEqual(JSON.parse(job?.payload ?? ''), { caseId: pothole.id });

        await drain();
        const [post] = posts(ringway);
        assert.ok(post);
        assert.deepEqual(Object.fromEntries(post.form), {
          service_code: 'POT',
          description: POTHOLE.description,
          lat: POTHOLE.lat,
          long: POTHOLE.long,
          'attribute[position]': 'road',
          'attribute[depth]': 'deep',
          'attribute[width]': 'small',
          'attribute[dangerous]': 'no',
          first_name: 'Sam',
          last_name: 'Jones',
          email: POTHOLE.email,
          media_url: 'https://photos.example.org/p.jpg',
          api_key: 'ringway-secret',
          jurisdiction_id: 'ringway.example',
        });
        const row = await sent(pothole.id);
        assert.equal(row?.status, 'sent');
        assert.equal(row.external_id, 'RW-1');
        assert.equal(row.endpoint_id, 'ringway');
        assert.ok(row.sent_at);
        assert.ok(
          (await notes(pothole.id)).includes('Sent to Ringway Highways, their reference RW-1.'),
        );
        assert.equal(posts(southern).length, 0);
      },
    );

    await t.test(
      'each report goes to the server that takes its category and area, or none',
      async () => {
        const northFlyTipping = await report(FLY_TIPPING);
        const southPothole = await report({ ...POTHOLE, ...SOUTH });
        const southFlyTipping = await report({ ...FLY_TIPPING, ...SOUTH });
        await drain();
        // Ringway takes potholes in the North only; Southern Works anything in the South.
        assert.equal(await sent(northFlyTipping.id), undefined);
        assert.equal((await sent(southPothole.id))?.endpoint_id, 'southern');
        assert.equal((await sent(southFlyTipping.id))?.endpoint_id, 'southern');
        // The worker may post them in either order.
        const byCode = new Map(posts(southern).map((p) => [p.form.get('service_code'), p.form]));
        // No serviceCodes for Southern Works: our own codes, and their own key.
        assert.deepEqual([...byCode.keys()].sort(), ['report-a-pothole', 'report-fly-tipping']);
        assert.deepEqual(byCode.get('report-fly-tipping')?.getAll('attribute[wasteTypes][]'), [
          'household',
          'tyres',
        ]);
        for (const form of byCode.values()) {
          assert.equal(form.get('api_key'), 'southern-secret');
          assert.equal(form.has('jurisdiction_id'), false);
        }
        assert.equal(posts(ringway).length, 1);
      },
    );

    await t.test(
      'a server that fails is tried again later, and the report is sent once',
      async () => {
        ringway.next.push({ status: 503, body: [{ code: 503, description: 'Down for upkeep' }] });
        const before = ringway.accepted.size;
        const again = await report(POTHOLE);
        await drain();
        let row = await sent(again.id);
        assert.equal(row?.status, 'pending');
        assert.match(
          row.last_error ?? '',
          /Ringway Highways \(POST requests\.json\) failed: 503 Down for upkeep/,
        );
        const job = await db
          .selectFrom('jobs')
          .select(['status', 'attempts'])
          .where('type', '=', SEND_JOB)
          .where('payload', '=', JSON.stringify({ caseId: again.id }))
          .executeTakeFirstOrThrow();
        assert.deepEqual(job, { status: 'pending', attempts: 1 });
        // Its backoff has passed.
        await drain(new Date(Date.now() + 10 * MINUTE));
        row = await sent(again.id);
        assert.equal(row?.status, 'sent');
        assert.equal(row.last_error, null);
        assert.equal(ringway.accepted.size, before + 1);
        assert.equal(row.external_id, `RW-${String(before + 1)}`);
        // A rerun of a job already done (a worker that died before marking it) sends nothing more.
        await services.open311Outgoing.send({ caseId: again.id });
        assert.equal(ringway.accepted.size, before + 1);
      },
    );

    await t.test('a server down through every try leaves the report to staff', async () => {
      ringway.next.push({ status: 502, body: 'Bad Gateway' });
      const stuck = await report(POTHOLE);
      // The job's last try, as the outbox would run it after hours of backoff.
      await services.open311Outgoing.send({ caseId: stuck.id }, SEND_ATTEMPTS);
      const row = await sent(stuck.id);
      assert.equal(row?.status, 'failed');
      const reason = 'Ringway Highways (POST requests.json) failed: Bad Gateway';
      assert.equal(row.last_error, reason);
      assert.ok(
        (await notes(stuck.id)).includes(
          `Could not send this report to Ringway Highways. ${reason} Deal with it here, or send it to them another way.`,
        ),
      );
      const before = posts(ringway).length;
      await drain();
      assert.equal(posts(ringway).length, before);
    });

    await t.test('a refusal is not retried, and staff see their reason on the case', async () => {
      ringway.next.push({
        status: 400,
        body: [{ code: 400, description: 'service_code POT is closed for the winter' }],
      });
      const refused = await report(POTHOLE);
      await drain();
      const row = await sent(refused.id);
      assert.equal(row?.status, 'failed');
      const reason =
        'Ringway Highways (POST requests.json) refused it: 400 service_code POT is closed for the winter';
      assert.equal(row.last_error, reason);
      assert.ok(
        (await notes(refused.id)).includes(
          `Could not send this report to Ringway Highways. ${reason} Deal with it here, or send it to them another way.`,
        ),
      );
      const job = await db
        .selectFrom('jobs')
        .select('status')
        .where('type', '=', SEND_JOB)
        .where('payload', '=', JSON.stringify({ caseId: refused.id }))
        .executeTakeFirstOrThrow();
      assert.equal(job.status, 'done');
    });

    await t.test('an answer with a token is swapped for their id at the next read', async () => {
      ringway.next.push('token');
      const tokened = await report(POTHOLE);
      await drain();
      const theirId = `RW-${String(ringway.accepted.size)}`;
      let row = await sent(tokened.id);
      assert.equal(row?.status, 'awaiting_id');
      assert.equal(row.token, `token-${theirId}`);
      assert.equal(row.external_id, null);
      await services.open311RemoteUpdates.fetch(ringwayEndpoint);
      row = await sent(tokened.id);
      assert.equal(row?.status, 'sent');
      assert.equal(row.external_id, theirId);
      assert.ok(
        (await notes(tokened.id)).includes(`Ringway Highways gave it their reference ${theirId}.`),
      );
    });

    await t.test(
      'their updates change the report as staff would, once, however often they are read',
      async () => {
        const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * MINUTE).toISOString();
        ringway.updates.push(
          {
            update_id: 'u-1',
            service_request_id: 'RW-1',
            status: 'IN_PROGRESS',
            updated_datetime: at(3),
            description: 'A crew is on site.',
          },
          // Their feed lists every report they have: one we never sent them is none of ours.
          {
            update_id: 'u-2',
            service_request_id: 'RW-999',
            status: 'FIXED',
            updated_datetime: at(2),
          },
        );
        await services.open311RemoteUpdates.fetch(ringwayEndpoint);
        await services.open311RemoteUpdates.fetch(ringwayEndpoint);
        const found = await cases.getById(pothole.id);
        assert.equal(found?.status, 'in_progress');
        const events = (await cases.timeline(pothole.id, { publicOnly: true })).filter(
          (e) => e.type === 'status_changed',
        );
        const [changed, ...more] = events;
        assert.ok(changed);
        assert.equal(more.length, 0);
        assert.equal(changed.body, 'A crew is on site.');
        assert.deepEqual(changed.actor, { type: 'system', id: null, name: 'Ringway Highways' });
        // The resident is told as for any staff update: one notification job for the event.
        const notify = await db
          .selectFrom('jobs')
          .select('payload')
          .where('type', '=', 'case.notify')
          .execute();
        assert.equal(
          notify.filter(
            (j) => j.payload === JSON.stringify({ caseId: pothole.id, eventId: changed.id }),
          ).length,
          1,
        );
        const received = await db.selectFrom('open311_received').selectAll().execute();
        assert.deepEqual(
          received.map((r) => [r.endpoint_id, r.update_id, r.case_id]),
          [['ringway', 'u-1', pothole.id]],
        );

        ringway.updates.push({
          update_id: 'u-3',
          service_request_id: 'RW-1',
          status: 'FIXED',
          updated_datetime: at(1),
          description: 'Filled and sealed.',
        });
        await services.open311RemoteUpdates.fetch(ringwayEndpoint);
        assert.equal((await cases.getById(pothole.id))?.status, 'fixed');
        // Each read asked from the last one's time, less an hour for late arrivals.
        const reads = ringway.calls.filter((c) => c.path === 'servicerequestupdates.json');
        const last = reads.at(-1);
        assert.ok(last);
        assert.equal(last.query.get('jurisdiction_id'), 'ringway.example');
        assert.ok(
          new Date(last.query.get('start_date') ?? '') <= new Date(Date.now() - 59 * MINUTE),
        );
      },
    );

    await t.test('updates they push to us with our reference are taken too', async () => {
      const theirs = await issueKey(app, 'Ringway Highways');
      const pushed = await postForm(app, '/open311/v2/servicerequestupdates.json', {
        api_key: theirs.key,
        update_id: 'ringway-push-1',
        service_request_id: pothole.ref,
        status: 'CLOSED',
        updated_datetime: new Date().toISOString(),
        description: 'Signed off after inspection.',
      });
      assert.equal(pushed.statusCode, 200, pushed.body);
      assert.equal((await cases.getById(pothole.id))?.status, 'closed');
    });

    await t.test('a plain OPEN does not undo our own progress; REOPEN does', () => {
      const open = { status: 'investigating', open311: 'open' };
      assert.equal(statusFor('OPEN', open), 'investigating');
      assert.equal(statusFor('REOPEN', { status: 'fixed', open311: 'closed' }), 'confirmed');
      assert.equal(statusFor('OPEN', { status: 'fixed', open311: 'closed' }), 'confirmed');
      assert.equal(statusFor('SOMETHING_ELSE', open), 'investigating');
    });

    await t.test(
      'the schedule reads each server once a period, and keeps going after a failure',
      async () => {
        let now = new Date(Date.now() + 24 * 60 * MINUTE);
        const schedule = new RemoteUpdates(db, services.cases, services.open311Outgoing, {
          endpoints: app.config.open311SendTo,
          clock: () => now,
        });
        // Every worker makes sure of the schedule as it starts: still one job per server.
        await schedule.schedule();
        await schedule.schedule();
        const queued = async () =>
          (
            await db
              .selectFrom('jobs')
              .select(['payload', 'run_at'])
              .where('type', '=', FETCH_JOB)
              .where('status', '=', 'pending')
              .orderBy('id')
              .execute()
          ).map((j) => [JSON.parse(j.payload) as unknown, j.run_at]);
        const start = now.toISOString();
        assert.deepEqual(await queued(), [
          [{ endpoint: 'ringway' }, start],
          [{ endpoint: 'southern' }, start],
        ]);
        const reads = () =>
          southern.calls.filter((c) => c.path === 'servicerequestupdates.json').length;
        const before = reads();
        assert.equal(await schedule.run({ endpoint: 'southern' }), undefined);
        assert.equal(reads(), before + 1);
        // A second job for the same period (a stray, or another worker's) reads nothing.
        assert.equal(await schedule.run({ endpoint: 'southern' }), undefined);
        assert.equal(reads(), before + 1);
        const nextAt = new Date(now.getTime() + 10 * MINUTE).toISOString();
        assert.deepEqual(
          (await queued())
            .filter(([p]) => (p as { endpoint: string }).endpoint === 'southern')
            .map(([, at]) => at),
          [start, nextAt],
        );

        now = new Date(now.getTime() + 10 * MINUTE);
        southern.nextFeed.push({
          status: 500,
          body: [{ code: 500, description: 'Database down' }],
        });
        const failed = await schedule.run({ endpoint: 'southern' });
        assert.match(
          failed?.message ?? '',
          /Southern Works \(GET servicerequestupdates\.json\) failed: 500 Database down/,
        );
        const state = await db
          .selectFrom('open311_fetches')
          .selectAll()
          .where('endpoint_id', '=', 'southern')
          .executeTakeFirstOrThrow();
        assert.equal(state.last_error, failed?.message);
        assert.equal(state.next_fetch_at, new Date(now.getTime() + 10 * MINUTE).toISOString());
      },
    );
  });
}

await test('a server given a category Report It does not have stops the start', async (t) => {
  const council = councilSendingTo(t, [
    {
      id: 'libraries',
      name: 'Library system',
      endpoint: 'https://open311.libraries.example/open311/v2',
      apiKeyEnv: 'OPEN311_LIBRARY_KEY',
      categories: ['renew-library-books'],
    },
  ]);
  await assert.rejects(
    buildTestApp(t, 'sqlite', { COUNCIL_CONFIG: council, OPEN311_LIBRARY_KEY: 'k' }),
    {
      name: 'ConfigError',
      message:
        'council.yaml open311.sendTo.0 (libraries): "renew-library-books" is not a Report It category in the service catalogue',
    },
  );
});
