import assert from 'node:assert/strict';
import { test } from 'node:test';
import webpush from 'web-push';
import { fakePushService } from '../../../test/fake-push.js';
import { dialects, testDatabase } from '../../../test/helper.js';
import { seal, unseal } from '../crypto.js';
import { createPushSender, loadVapidKeys, pushTopic } from './web-push.js';
import { PermanentFailure } from './senders.js';

const SECRET = 'a-session-secret-for-tests-only-0123456789';
const message = {
  title: 'Report 812 updated',
  body: 'We have fixed the pothole.',
  url: '/account/cases/812',
  tag: 'case:812',
};

await test('pushTopic', () => {
  assert.equal(pushTopic('case:812'), 'case-812');
  assert.equal(pushTopic('a'.repeat(40)), 'a'.repeat(32));
  assert.equal(pushTopic(''), undefined);
});

await test('Web Push sender', async (t) => {
  const vapid = webpush.generateVAPIDKeys();
  const subject = 'mailto:digital@westmoor.example.gov.uk';

  await t.test('delivers the message encrypted, for the subscription to read', async (t) => {
    const service = await fakePushService(t);
    const sender = createPushSender({ vapid, subject, agent: service.agent });
    const target = service.subscription({ applicationServerKey: vapid.publicKey });
    await sender.sendPush(target, message);
    assert.equal(service.received.length, 1);
    const [push] = service.received;
    assert.deepEqual(push?.payload, message);
    assert.equal(push.headers.ttl, String(24 * 60 * 60));
    assert.equal(push.headers.urgency, 'normal');
    assert.equal(push.headers.topic, 'case-812');
  });

  await t.test('sends no topic when the message has no tag', async (t) => {
    const service = await fakePushService(t);
    const sender = createPushSender({ vapid, subject, agent: service.agent });
    await sender.sendPush(service.subscription(), { ...message, tag: undefined });
    assert.equal(service.received[0]?.headers.topic, undefined);
  });

  await t.test('an expired subscription fails for good', async (t) => {
    const service = await fakePushService(t);
    const sender = createPushSender({ vapid, subject, agent: service.agent });
    const target = service.subscription();
    service.expire(target);
    await assert.rejects(sender.sendPush(target, message), (err: unknown) => {
      assert.ok(err instanceof PermanentFailure);
      assert.equal(err.reason, 'subscription_gone');
      assert.match(err.message, /410/);
      return true;
    });
  });

  await t.test('an unknown subscription fails for good', async (t) => {
    const service = await fakePushService(t);
    const sender = createPushSender({ vapid, subject, agent: service.agent });
    const target = service.subscription();
    await assert.rejects(
      sender.sendPush({ ...target, endpoint: `${service.url}/push/gone` }, message),
      (err: unknown) => err instanceof PermanentFailure && err.reason === 'subscription_gone',
    );
  });

  await t.test('a message too big for the push service is rejected for good', async (t) => {
    const service = await fakePushService(t);
    const sender = createPushSender({ vapid, subject, agent: service.agent });
    await assert.rejects(
      sender.sendPush(service.subscription(), { ...message, body: 'x'.repeat(5000) }),
      (err: unknown) => err instanceof PermanentFailure && err.reason === 'rejected',
    );
  });

  await t.test('signing with keys the browser did not subscribe with is retried', async (t) => {
    const service = await fakePushService(t);
    const sender = createPushSender({ vapid, subject, agent: service.agent });
    const target = service.subscription({
      applicationServerKey: webpush.generateVAPIDKeys().publicKey,
    });
    await assert.rejects(
      sender.sendPush(target, message),
      (err: unknown) =>
        err instanceof Error && !(err instanceof PermanentFailure) && /403/.test(err.message),
    );
  });

  await t.test('a push service out of reach is retried', async (t) => {
    const service = await fakePushService(t);
    const sender = createPushSender({ vapid, subject, agent: service.agent });
    const target = service.subscription();
    await assert.rejects(
      sender.sendPush({ ...target, endpoint: 'https://127.0.0.1:1/push/x' }, message),
      (err: unknown) => err instanceof Error && !(err instanceof PermanentFailure),
    );
  });
});

for (const dialect of dialects()) {
  await test(`VAPID keys (${dialect})`, async (t) => {
    await t.test('are made once, stored sealed, and come back the same', async (t) => {
      const { db } = await testDatabase(t, dialect);
      const first = await loadVapidKeys(db, SECRET, new Date('2026-11-29T12:00:00Z'));
      assert.match(first.publicKey, /^[A-Za-z0-9_-]{87}$/);
      assert.match(first.privateKey, /^[A-Za-z0-9_-]{43}$/);

      const row = await db
        .selectFrom('settings')
        .selectAll()
        .where('key', '=', 'vapid')
        .executeTakeFirstOrThrow();
      assert.ok(!row.value.includes(first.privateKey));
      assert.deepEqual(unseal(SECRET, 'vapid-keys', row.value), first);
      assert.equal(row.created_at, '2026-11-29T12:00:00.000Z');

      assert.deepEqual(await loadVapidKeys(db, SECRET), first);
    });

    await t.test('processes starting at once agree on one pair', async (t) => {
      const { db } = await testDatabase(t, dialect);
      const pairs = await Promise.all(Array.from({ length: 5 }, () => loadVapidKeys(db, SECRET)));
      for (const pair of pairs) assert.deepEqual(pair, pairs[0]);
      const rows = await db.selectFrom('settings').select('key').execute();
      assert.equal(rows.length, 1);
    });

    await t.test('a changed SESSION_SECRET is an error, never new keys', async (t) => {
      const { db } = await testDatabase(t, dialect);
      const sealed = seal(SECRET, 'vapid-keys', webpush.generateVAPIDKeys());
      await db
        .insertInto('settings')
        .values({ key: 'vapid', value: sealed, created_at: new Date().toISOString() })
        .execute();
      await assert.rejects(loadVapidKeys(db, 'another-secret'), /SESSION_SECRET has changed/);
      const row = await db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', 'vapid')
        .executeTakeFirstOrThrow();
      assert.equal(row.value, sealed);
    });
  });
}
