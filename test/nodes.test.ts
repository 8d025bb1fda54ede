import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { CaseService } from '../src/modules/cases/service.js';
import { surveyUrl } from '../src/modules/notifications/links.js';
import { RedisSessionStore } from '../src/platform/http/session-stores.js';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/platform/logger.js';
import { ASSET_CACHE_DIR, buildTestApp, formSession, testConfig, testRedisUrl } from './helper.js';

const redisUrl = testRedisUrl();

/**
 * App nodes are stateless: a form loaded from one node can be sent to another, and limits
 * are shared, because sessions and rate limits live in the database or Redis.
 */
await test(
  'several app nodes behave as one',
  { skip: redisUrl ? false : 'REDIS_URL not set' },
  async (t) => {
    const url = redisUrl ?? '';

    await t.test('the Redis session store keeps, expires and forgets sessions', async () => {
      const redis = new Redis(url);
      t.after(() => redis.quit());
      const prefix = `shire:test:${randomBytes(4).toString('hex')}:`;
      const store = new RedisSessionStore(redis, prefix);
      const savedAt = Date.now();
      await store.set('abc', {
        data: { answer: 42 },
        savedAt,
        expiresAt: new Date(savedAt + 1500),
      });
      assert.deepEqual(await store.get('abc'), { data: { answer: 42 }, savedAt });
      const ttl = await redis.pttl(`${prefix}abc`);
      assert.ok(ttl > 0 && ttl <= 1500, `ttl ${String(ttl)}`);
      await store.destroy('abc');
      assert.equal(await store.get('abc'), null);
    });

    await t.test('a form from one node is accepted by another (Redis sessions)', async (t) => {
      const prefix = randomBytes(4).toString('hex');
      const a = await buildTestApp(t, 'sqlite', { REDIS_URL: url });
      // Node B shares node A's database, as real nodes would, and the same Redis.
      const b = await buildApp(testConfig(t, { REDIS_URL: url }), {
        database: a.database,
        logger: createLogger('silent'),
        assetCacheDir: ASSET_CACHE_DIR,
      });
      t.after(() => b.close());
      const cases = new CaseService(a.database.db);
      const opened = await cases.openCase({
        serviceCode: 'pothole',
        refPrefix: 'PTH',
        kind: 'report',
        channel: 'web',
        title: `Pothole ${prefix}`,
        actor: { type: 'resident' },
        contact: { email: 'ann@example.com' },
      });
      // The satisfaction question is a form any resident may send: its session is in Redis.
      const question = new URL(
        surveyUrl({ publicUrl: a.config.publicUrl, secret: a.config.sessionSecret }, opened.id),
      ).pathname;
      const { cookie, csrf } = await formSession(a.app, question);
      const sent = await b.inject({
        method: 'POST',
        url: question,
        headers: { cookie },
        payload: { _csrf: csrf, rating: 'satisfied' },
      });
      assert.equal(sent.statusCode, 200);
      const feedback = (await cases.timeline(opened.id, { publicOnly: false })).filter(
        (e) => e.type === 'feedback',
      );
      assert.equal(feedback.length, 1);
    });

    await t.test('rate limits are counted across nodes (Redis)', async (t) => {
      // A made-up client address, so this test's count starts at zero whatever ran before.
      const ip = `10.${String(randomBytes(1)[0])}.${String(randomBytes(1)[0])}.${String(randomBytes(1)[0])}`;
      const a = await buildTestApp(t, 'sqlite', { REDIS_URL: url, RATE_LIMIT_PER_MINUTE: '4' });
      const b = await buildTestApp(t, 'sqlite', { REDIS_URL: url, RATE_LIMIT_PER_MINUTE: '4' });
      const headers = { 'x-forwarded-for': ip };
      const statuses = [];
      for (const app of [a.app, b.app, a.app, b.app, a.app]) {
        statuses.push((await app.inject({ url: '/help/contact', headers })).statusCode);
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    });
  },
);
