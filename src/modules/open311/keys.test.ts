/**
 * Administrators issue and revoke Open311 keys in the back office: the key is shown once and
 * kept only as a hash, bad input gets an error summary, and a revoked key stops working at
 * once. Who may reach these pages at all is in the back office's authorisation matrix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, dialects, errorsOn, screen } from '../../../test/helper.js';
import { signedInStaff } from '../backoffice/testing.js';
import { POTHOLE, postForm } from './testing.js';

const PAGE = '/staff/admin/open311';

for (const dialect of dialects()) {
  await test(`Open311 keys in the back office on ${dialect}`, async (t) => {
    const app = await buildTestApp(t, dialect);
    const db = app.database.db;
    const { visitor } = await signedInStaff(app, 'admin', null, 'Ali Admin');
    const page = await visitor.get(PAGE);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /No keys have been issued/);

    await t.test('bad input is named in the error summary, and nothing is issued', async () => {
      const empty = await visitor.post(`${PAGE}/keys`, { name: ' ', perMinute: '' });
      assert.equal(empty.statusCode, 400);
      assert.deepEqual(errorsOn(empty.body), [
        'Enter who the key is for',
        'Enter how many calls a minute the key may make',
      ]);
      const wrong = await visitor.post(`${PAGE}/keys`, { name: 'x'.repeat(101), perMinute: '2.5' });
      assert.deepEqual(errorsOn(wrong.body), [
        'Who the key is for must be 100 characters or fewer',
        'Calls a minute must be a whole number from 1 to 10,000',
      ]);
      const tooMany = await visitor.post(`${PAGE}/keys`, { name: 'Busy app', perMinute: '10001' });
      assert.deepEqual(errorsOn(tooMany.body), [
        'Calls a minute must be a whole number from 1 to 10,000',
      ]);
      assert.equal(
        screen(tooMany.body).document.querySelector<HTMLInputElement>('#name')?.value,
        'Busy app',
        'what they typed is kept',
      );
      assert.deepEqual(await db.selectFrom('open311_keys').select('id').execute(), []);
    });

    await t.test('a key is shown once, kept as a hash, and works', async (issuing) => {
      const issued = await visitor.post(`${PAGE}/keys`, {
        name: 'Highways asset system',
        perMinute: '120',
      });
      assert.equal(issued.statusCode, 200, issued.body);
      const key =
        screen(issued.body).document.querySelector<HTMLInputElement>('#issued-key')?.value ?? '';
      assert.match(key, /^shire_[\w-]{43}$/);
      assert.match(issued.body, /It is not shown again/);

      const [row] = await db.selectFrom('open311_keys').selectAll().execute();
      assert.equal(row?.name, 'Highways asset system');
      assert.equal(row.per_minute, 120);
      assert.equal(row.key_start, key.slice(0, 10));
      assert.ok(!JSON.stringify(row).includes(key), 'the key itself is not stored');
      const [entry] = await db
        .selectFrom('audit_log')
        .select(['action', 'actor_name', 'after'])
        .where('action', '=', 'open311.key.issue')
        .execute();
      assert.equal(entry?.actor_name, 'Ali Admin');
      assert.ok(!entry.after?.includes(key));

      const again = await visitor.get(PAGE);
      assert.ok(!again.body.includes(key), 'not shown a second time');
      assert.match(again.body, /Highways asset system/);

      const made = await postForm(app, '/open311/v2/requests.json', { api_key: key, ...POTHOLE });
      assert.equal(made.statusCode, 200, made.body);
      assert.match((await visitor.get(PAGE)).body, /Highways asset system/);

      await issuing.test('revoked, it is refused at once; revoking twice says so', async () => {
        const id = String(row.id);
        const revoked = await visitor.post(`${PAGE}/keys/${id}/revoke`, {});
        assert.equal(revoked.statusCode, 303);
        assert.equal(revoked.headers.location, PAGE);
        assert.match(
          (await visitor.get(PAGE)).body,
          /The key for Highways asset system is revoked/,
        );
        const refused = await postForm(app, '/open311/v2/servicerequestupdates.xml', {
          api_key: key,
          service_request_id: 'PTH-0000-0000',
          update_id: 'u1',
          status: 'FIXED',
          updated_datetime: new Date().toISOString(),
        });
        assert.equal(refused.statusCode, 403);
        const twice = await visitor.post(`${PAGE}/keys/${id}/revoke`, {});
        assert.equal(twice.statusCode, 400);
        assert.deepEqual(errorsOn(twice.body), [
          'The key for Highways asset system has already been revoked.',
        ]);
        assert.equal((await visitor.post(`${PAGE}/keys/9999/revoke`, {})).statusCode, 404);
        const actions = await db
          .selectFrom('audit_log')
          .select('action')
          .where('action', 'like', 'open311.key.%')
          .execute();
        assert.deepEqual(
          actions.map((a) => a.action),
          ['open311.key.issue', 'open311.key.revoke'],
        );
      });
    });
  });
}
