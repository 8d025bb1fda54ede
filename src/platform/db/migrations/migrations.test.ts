import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dialects, testDatabase } from '../../../../test/helper.js';
import { migrateToLatest } from './index.js';

for (const dialect of dialects()) {
  await test(`migrations on ${dialect}`, async (t) => {
    const database = await testDatabase(t, dialect);
    const db = database.db;

    /** A bare report case, for rows that need one to point at. */
    const insertPothole = async (ref: string, channel: 'api' | 'web') => {
      const now = new Date().toISOString();
      const { id } = await db
        .insertInto('cases')
        .values({
          ref,
          service_code: 'report-a-pothole',
          kind: 'report',
          status: 'confirmed',
          channel,
          title: 'Pothole',
          data: '{}',
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return id;
    };

    await t.test('a migrated database is left as it is', async () => {
      assert.deepEqual(await migrateToLatest(database), []);
    });

    await t.test('Open311: a key hash and an update_id are each kept once', async () => {
      const now = new Date().toISOString();
      const key = {
        name: 'Highways asset system',
        key_hash: 'a'.repeat(64),
        key_start: 'shire_abcd',
        per_minute: 60,
        created_by: 'Ali Admin',
        created_at: now,
      };
      const { id: keyId } = await db
        .insertInto('open311_keys')
        .values(key)
        .returning('id')
        .executeTakeFirstOrThrow();
      await assert.rejects(db.insertInto('open311_keys').values(key).execute());

      const caseId = await insertPothole('PTH-4F7K-92QT', 'api');
      const { id: eventId } = await db
        .insertInto('case_events')
        .values({
          case_id: caseId,
          type: 'created',
          actor_type: 'system',
          public: 1,
          data: '{}',
          created_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const update = {
        update_id: 'HW-1',
        key_id: keyId,
        case_id: caseId,
        event_id: eventId,
        status: 'FIXED',
        updated_datetime: now,
        created_at: now,
      };
      await db.insertInto('open311_updates').values(update).execute();
      await assert.rejects(db.insertInto('open311_updates').values(update).execute());
    });

    await t.test(
      'Open311 sending: a case is routed once, and each server update_id applied once',
      async () => {
        const now = new Date().toISOString();
        const caseId = await insertPothole('PTH-4F7K-92QV', 'web');
        const sent = {
          case_id: caseId,
          endpoint_id: 'ringway',
          status: 'pending' as const,
          created_at: now,
        };
        await db.insertInto('open311_sent').values(sent).execute();
        await assert.rejects(
          db
            .insertInto('open311_sent')
            .values({ ...sent, endpoint_id: 'southern' })
            .execute(),
        );
        const received = {
          endpoint_id: 'ringway',
          update_id: 'u-1',
          case_id: caseId,
          created_at: now,
        };
        await db.insertInto('open311_received').values(received).execute();
        await assert.rejects(db.insertInto('open311_received').values(received).execute());
        // Another server's update_id may be the same: ids are each server's own.
        await db
          .insertInto('open311_received')
          .values({ ...received, endpoint_id: 'southern' })
          .execute();
      },
    );
  });
}
