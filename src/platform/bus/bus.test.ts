import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { testRedisUrl } from '../../../test/helper.js';
import { MemoryBus, RedisBus, type Bus } from './bus.js';

const redisUrl = testRedisUrl();

/** Resolves with the next message on a topic. */
async function nextMessage(bus: Bus, topic: string) {
  const arrived = new EventEmitter();
  const stop = await bus.subscribe(topic, (message) => arrived.emit('message', message));
  return {
    message: once(arrived, 'message').then(([message]) => message as unknown),
    stop,
  };
}

await test('the realtime bus', async (t) => {
  await t.test('in memory: subscribers get a copy of each message until they stop', async () => {
    const bus = new MemoryBus();
    const original = { text: 'hello' };
    const first = await nextMessage(bus, 'chat:1');
    await bus.publish('chat:1', original);
    const received = await first.message;
    assert.deepEqual(received, { text: 'hello' });
    assert.notEqual(received, original);
    await first.stop();
    let late = 0;
    const stop = await bus.subscribe('chat:2', () => late++);
    await bus.publish('chat:1', { text: 'nobody hears this' });
    await stop();
    await bus.publish('chat:2', {});
    assert.equal(late, 0);
    await bus.close();
  });

  await t.test(
    'Redis: a message published on one node reaches subscribers on another',
    { skip: redisUrl ? false : 'REDIS_URL not set' },
    async () => {
      const prefix = `shire:test:${randomBytes(4).toString('hex')}:`;
      const nodeA = new RedisBus(redisUrl ?? '', prefix);
      const nodeB = new RedisBus(redisUrl ?? '', prefix);
      t.after(async () => {
        await nodeA.close();
        await nodeB.close();
      });
      const onB = await nextMessage(nodeB, 'case:42');
      const alsoOnB = await nextMessage(nodeB, 'case:42');
      await nodeA.publish('case:42', { status: 'fixed' });
      assert.deepEqual(await onB.message, { status: 'fixed' });
      assert.deepEqual(await alsoOnB.message, { status: 'fixed' });
      await onB.stop();
      await alsoOnB.stop();
    },
  );
});
