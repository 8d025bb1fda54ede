import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dialects, testDatabase } from '../../../test/helper.js';
import { InvalidReferenceError } from './reference.js';
import { CaseService, NOTIFY_JOB } from './service.js';

const resident = { type: 'resident' } as const;
const officer = { type: 'staff', id: 7, name: 'Pat Officer' } as const;
const pothole = {
  serviceCode: 'pothole',
  refPrefix: 'PTH',
  kind: 'report',
  channel: 'web',
  title: 'Pothole on Mill Lane',
  actor: resident,
} as const;

for (const dialect of dialects()) {
  await test(`the Case spine on ${dialect}`, async (t) => {
    const setup = async () => {
      const database = await testDatabase(t, dialect);
      return { database, cases: new CaseService(database.db) };
    };

    await t.test(
      'openCase gives a reference, the first status, a timeline event and a notification job',
      async () => {
        const { database, cases } = await setup();
        const opened = await cases.openCase({
          ...pothole,
          contact: { name: 'Ann', email: ' Ann@Example.com ' },
          location: { lat: 51.35, lng: -2.21 },
          data: { depth: 'deeper than a tennis ball' },
        });
        assert.match(opened.ref, /^PTH-\w{4}-\w{4}$/);
        assert.equal(opened.status, 'confirmed');
        assert.equal(opened.statusLabel, 'Reported');
        assert.equal(opened.open311, 'open');
        assert.equal(opened.channel, 'web');
        assert.equal(opened.contact.email, 'ann@example.com');
        assert.deepEqual(opened.data, { depth: 'deeper than a tennis ball' });
        const timeline = await cases.timeline(opened.id, { publicOnly: true });
        assert.deepEqual(
          timeline.map((e) => [e.type, e.body]),
          [['created', 'We received your report.']],
        );
        const jobs = await database.db.selectFrom('jobs').selectAll().execute();
        assert.deepEqual(
          jobs.map((j) => [j.type, JSON.parse(j.payload) as unknown]),
          [[NOTIFY_JOB, { caseId: opened.id, eventId: timeline[0]?.id }]],
        );
        assert.deepEqual(
          (await cases.subscribers(opened.id)).map((s) => s.email),
          ['ann@example.com'],
        );
      },
    );

    await t.test(
      'changeStatus records the change, closes with Open311 "closed" and notifies',
      async () => {
        const { database, cases } = await setup();
        const opened = await cases.openCase(pothole);
        const fixed = await cases.changeStatus(opened.id, 'fixed', officer, {
          publicText: 'Filled today.',
        });
        assert.equal(fixed.status, 'fixed');
        assert.equal(fixed.open311, 'closed');
        assert.ok(fixed.closedAt);
        const events = await cases.timeline(opened.id, { publicOnly: false });
        const change = events.at(-1);
        assert.equal(change?.type, 'status_changed');
        assert.deepEqual(change.data, { from: 'confirmed', to: 'fixed' });
        assert.equal(change.body, 'Filled today.');
        assert.deepEqual(change.actor, { type: 'staff', id: 7, name: 'Pat Officer' });
        const jobs = await database.db.selectFrom('jobs').select('type').execute();
        // Two notifications (received, fixed), and "is it really fixed?" four weeks on.
        assert.deepEqual(jobs.map((j) => j.type).sort(), [
          'case.check-resolved',
          'case.notify',
          'case.notify',
        ]);
        const reopened = await cases.changeStatus(opened.id, 'investigating', officer);
        assert.equal(reopened.open311, 'open');
        assert.equal(reopened.closedAt, null);
      },
    );

    await t.test('a status from another kind is refused, and nothing is written', async () => {
      const { database, cases } = await setup();
      const opened = await cases.openCase(pothole);
      await assert.rejects(
        cases.changeStatus(opened.id, 'approved', officer),
        /"approved" is not a status of a report/,
      );
      assert.equal((await cases.getById(opened.id))?.status, 'confirmed');
      assert.equal((await database.db.selectFrom('case_events').select('id').execute()).length, 1);
    });

    await t.test('internal notes stay off the public timeline and send nothing', async () => {
      const { database, cases } = await setup();
      const opened = await cases.openCase(pothole);
      await cases.recordEvent(opened.id, {
        type: 'internal_note',
        actor: officer,
        public: false,
        body: 'Caller sounded upset',
      });
      assert.equal((await cases.timeline(opened.id, { publicOnly: true })).length, 1);
      assert.equal((await cases.timeline(opened.id, { publicOnly: false })).length, 2);
      assert.equal((await database.db.selectFrom('jobs').select('id').execute()).length, 1);
    });

    await t.test(
      'getByRef reads what residents type and rejects malformed references',
      async () => {
        const { cases } = await setup();
        const opened = await cases.openCase(pothole);
        assert.equal(
          (await cases.getByRef(opened.ref.toLowerCase().replace(/-/g, ' ')))?.id,
          opened.id,
        );
        await assert.rejects(cases.getByRef('PTH-1234'), InvalidReferenceError);
        // Well-formed but never issued: not found, not an error.
        const other = new CaseService((await setup()).database.db);
        const elsewhere = await other.openCase(pothole);
        assert.equal(
          elsewhere.ref === opened.ref ? 'same' : await cases.getByRef(elsewhere.ref),
          undefined,
        );
      },
    );

    await t.test(
      'listForAccount shows only that account’s cases, newest first, in pages',
      async () => {
        const { cases } = await setup();
        const mine = [];
        for (let i = 0; i < 5; i++)
          mine.push(await cases.openCase({ ...pothole, title: `Mine ${i}`, accountId: 1 }));
        await cases.openCase({ ...pothole, title: 'Someone else’s', accountId: 2 });
        await cases.openCase({ ...pothole, title: 'Anonymous' });
        const first = await cases.listForAccount(1, { limit: 3 });
        assert.deepEqual(
          first.map((c) => c.title),
          ['Mine 4', 'Mine 3', 'Mine 2'],
        );
        const second = await cases.listForAccount(1, { limit: 3, beforeId: first.at(-1)?.id ?? 0 });
        assert.deepEqual(
          second.map((c) => c.title),
          ['Mine 1', 'Mine 0'],
        );
      },
    );

    await t.test('near finds cases within the radius, nearest first', async () => {
      const { cases } = await setup();
      const here = { lat: 51.35, lng: -2.21 };
      await cases.openCase({
        ...pothole,
        title: '20 m away',
        location: { lat: 51.35018, lng: -2.21 },
      });
      await cases.openCase({
        ...pothole,
        title: '5 m away',
        location: { lat: 51.350045, lng: -2.21 },
      });
      await cases.openCase({
        ...pothole,
        title: '2 km away',
        location: { lat: 51.368, lng: -2.21 },
      });
      await cases.openCase({ ...pothole, title: 'No location' });
      const near = await cases.near(here, 50);
      assert.deepEqual(
        near.map((n) => n.case.title),
        ['5 m away', '20 m away'],
      );
      assert.deepEqual(
        near.map((n) => n.distanceMetres),
        [5, 20],
      );
    });

    await t.test('a failure inside a transaction leaves no case, event or job behind', async () => {
      const { database, cases } = await setup();
      await assert.rejects(
        cases.transaction(async (inTrx) => {
          await inTrx.openCase(pothole);
          throw new Error('payment failed');
        }),
        /payment failed/,
      );
      for (const table of ['cases', 'case_events', 'jobs'] as const) {
        assert.equal((await database.db.selectFrom(table).select('id').execute()).length, 0, table);
      }
    });

    await t.test(
      'the same idempotency key opens one case, even when two arrive at once',
      async () => {
        const { database, cases } = await setup();
        const [a, b] = await Promise.all([
          cases.openCase({ ...pothole, idempotencyKey: 'send-1' }),
          cases.openCase({ ...pothole, idempotencyKey: 'send-1' }),
        ]);
        assert.equal(a.ref, b.ref);
        const again = await cases.openCase({ ...pothole, idempotencyKey: 'send-1' });
        assert.equal(again.ref, a.ref);
        const other = await cases.openCase({ ...pothole, idempotencyKey: 'send-2' });
        assert.notEqual(other.ref, a.ref);
        assert.equal((await database.db.selectFrom('cases').select('id').execute()).length, 2);
        assert.equal(
          (await database.db.selectFrom('jobs').select('id').execute()).length,
          2,
          'one receipt each',
        );
      },
    );

    await t.test('every channel and kind is checked', async () => {
      const { cases } = await setup();
      // Values a caller might send from outside TypeScript's reach.
      await assert.rejects(
        cases.openCase({ ...pothole, channel: 'fax' as 'web' }),
        /Unknown channel "fax"/,
      );
      await assert.rejects(
        cases.openCase({ ...pothole, kind: 'complaint' as 'report' }),
        /Unknown case kind "complaint"/,
      );
      await assert.rejects(cases.openCase({ ...pothole, title: '  ' }), /A case needs a title/);
    });

    await t.test('unsubscribing stops updates for that address only', async () => {
      const { cases } = await setup();
      const opened = await cases.openCase({ ...pothole, contact: { email: 'a@example.com' } });
      await cases.subscribe(opened.id, { email: 'b@example.com' });
      await cases.subscribe(opened.id, { email: 'B@example.com' });
      const subs = await cases.subscribers(opened.id);
      assert.deepEqual(subs.map((s) => s.email).sort(), ['a@example.com', 'b@example.com']);
      const b = subs.find((s) => s.email === 'b@example.com');
      assert.equal((await cases.findSubscription(b?.token ?? ''))?.ref, opened.ref);
      assert.equal((await cases.subscription(b?.id ?? 0))?.ref, opened.ref);
      await cases.unsubscribeById(b?.id ?? 0);
      assert.equal(await cases.subscription(b?.id ?? 0), undefined);
      assert.deepEqual(
        (await cases.subscribers(opened.id)).map((s) => s.email),
        ['a@example.com'],
      );
    });
  });
}
