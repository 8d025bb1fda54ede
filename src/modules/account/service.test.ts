import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dialects, testDatabase } from '../../../test/helper.js';
import { CaseService } from '../cases/service.js';
import { hashPassword, needsRehash, newPasswordProblem, verifyPassword } from './passwords.js';
import { AccountService, clientBucket } from './service.js';
import { emailedToken, emailsTo, report, type Outbox } from './testing.js';

const SETTINGS = {
  secret: 'a test secret that is at least thirty-two characters long',
  publicUrl: 'https://www.westmoor.example',
  councilName: 'Westmoor County Council',
};

const MINUTE = 60_000;

for (const dialect of dialects()) {
  await test(`accounts on ${dialect}`, async (t) => {
    /** A fresh database, services on a clock the test moves, and its outbox. */
    const setUp = async (t: import('node:test').TestContext) => {
      const database = await testDatabase(t, dialect);
      const clock = { now: new Date('2026-11-29T10:00:00Z') };
      const cases = new CaseService(database.db, () => clock.now);
      const accounts = new AccountService(database.db, cases, SETTINGS, () => clock.now);
      const outbox: Outbox = { db: database.db, ...SETTINGS };
      const wait = (ms: number) => {
        clock.now = new Date(clock.now.getTime() + ms);
      };
      /** An account signed up and confirmed with the emailed link. */
      const confirmed = async (email: string, password: string | null = null) => {
        await accounts.startSignUp({ name: 'Ann Example', email });
        const token = await emailedToken(outbox, email, '/account/verify');
        const done = await accounts.completeSignUp(token, password);
        assert.ok(done);
        return done.account;
      };
      return { database, cases, accounts, outbox, wait, confirmed };
    };

    await t.test(
      'cases sent without signing in are claimed when their address is verified',
      async (t) => {
        const { database, cases, accounts, outbox, confirmed } = await setUp(t);
        const before = await cases.openCase(report({ contact: { email: 'Ann@Example.org' } }));
        const someoneElse = await cases.openCase(report({ contact: { email: 'bob@example.org' } }));
        const other = await confirmed('carol@example.org');
        const taken = await cases.openCase(
          report({ accountId: other.id, contact: { email: 'ann@example.org' } }),
        );

        await accounts.startSignUp({ name: 'Ann', email: 'ann@example.org' });
        assert.equal(
          (await cases.getById(before.id))?.accountId,
          null,
          'not before the address is verified',
        );
        const token = await emailedToken(outbox, 'ann@example.org', '/account/verify');
        const signedIn = await accounts.completeSignUp(token, null);
        assert.ok(signedIn);
        const ann = signedIn.account;
        assert.deepEqual(ann, {
          id: ann.id,
          email: 'ann@example.org',
          name: 'Ann',
          emailVerified: true,
          role: 'resident',
          team: null,
        });

        assert.equal((await cases.getById(before.id))?.accountId, ann.id);
        assert.equal((await cases.getById(someoneElse.id))?.accountId, null);
        assert.equal((await cases.getById(taken.id))?.accountId, other.id, 'never taken over');
        const subscriptions = await database.db
          .selectFrom('subscriptions')
          .select(['case_id', 'account_id'])
          .where('case_id', '=', before.id)
          .execute();
        assert.deepEqual(subscriptions, [{ case_id: before.id, account_id: ann.id }]);

        // Sent later, still without signing in: claimed on the next visit or sign-in.
        const later = await cases.openCase(report({ contact: { email: 'ann@example.org' } }));
        assert.equal(await accounts.claimCases(ann), 1);
        assert.equal((await cases.getById(later.id))?.accountId, ann.id);
        const { cases: listed, total } = await accounts.listCases(
          ann.id,
          {},
          { limit: 10, offset: 0 },
        );
        assert.equal(total, 2);
        assert.deepEqual(
          listed.map((c) => c.id),
          [later.id, before.id],
        );
        assert.equal(await accounts.caseFor(ann.id, taken.ref), undefined);
        assert.equal(await accounts.caseFor(ann.id, 'not a reference'), undefined);
        assert.equal((await accounts.caseFor(ann.id, before.ref))?.id, before.id);
      },
    );

    await t.test('emailed links work once, and for 7 days, 15 minutes or 1 hour', async (t) => {
      const { accounts, outbox, wait, confirmed } = await setUp(t);
      await confirmed('ann@example.org', 'quiet lantern meadow');

      for (const [purpose, path, lifetime] of [
        ['sign_in', '/account/sign-in/email', 15 * MINUTE],
        ['reset_password', '/account/password/reset', 60 * MINUTE],
      ] as const) {
        const use = (token: string) =>
          purpose === 'sign_in'
            ? accounts.signInWithLink(token)
            : accounts.resetPassword(token, 'another fine password');
        const request = () =>
          purpose === 'sign_in'
            ? accounts.requestSignInLink('ann@example.org')
            : accounts.requestPasswordReset('ann@example.org');

        await request();
        const late = await emailedToken(outbox, 'ann@example.org', path);
        wait(lifetime + 1000);
        assert.equal(await accounts.linkIsUsable(late, purpose), false, `${purpose} expired`);
        assert.equal(await use(late), undefined);

        await request();
        const inTime = await emailedToken(outbox, 'ann@example.org', path);
        wait(lifetime - 1000);
        assert.equal(await accounts.linkIsUsable(inTime, purpose), true);
        assert.ok(await use(inTime));
        assert.equal(await use(inTime), undefined, `${purpose} used once`);
        wait(60 * MINUTE);
      }

      await accounts.startSignUp({ name: 'Bob', email: 'bob@example.org' });
      const verify = await emailedToken(outbox, 'bob@example.org', '/account/verify');
      wait(7 * 24 * 60 * MINUTE - 1000);
      assert.equal(await accounts.linkIsUsable(verify, 'verify_email'), true);
      wait(2000);
      assert.equal(await accounts.completeSignUp(verify, null), undefined);
    });

    await t.test('a password can only be chosen through an emailed link', async (t) => {
      const { accounts, outbox, confirmed } = await setUp(t);
      // Someone signs up with Ann's address: nothing usable exists until Ann uses her link.
      await accounts.startSignUp({ name: 'Mallory', email: 'ann@example.org' });
      const attempt = await accounts.signInWithPassword('ann@example.org', 'anything', '::1');
      assert.equal(attempt.outcome, 'wrong');
      await accounts.startSignUp({ name: 'Ann', email: 'ann@example.org' });
      const token = await emailedToken(outbox, 'ann@example.org', '/account/verify');
      const done = await accounts.completeSignUp(token, 'quiet lantern meadow');
      assert.equal(done?.account.name, 'Ann', 'the last sign-up names the account');
      await assert.rejects(
        accounts.completeSignUp(token, 'short'),
        /Password must be 8 characters or more/,
      );
      assert.equal(
        (await accounts.signInWithPassword('ANN@example.org', 'quiet lantern meadow', '::1'))
          .outcome,
        'signed-in',
      );
      assert.ok(await confirmed('bob@example.org'));
    });

    await t.test(
      'failed sign-ins: 5 per address and 20 per client in 15 minutes, then a wait',
      async (t) => {
        const { accounts, wait, confirmed } = await setUp(t);
        await confirmed('ann@example.org', 'quiet lantern meadow');
        for (let i = 0; i < 5; i++)
          assert.equal(
            (await accounts.signInWithPassword('ann@example.org', 'wrong', `10.0.0.${i}`)).outcome,
            'wrong',
          );
        const right = () =>
          accounts.signInWithPassword('ann@example.org', 'quiet lantern meadow', '::1');
        assert.equal((await right()).outcome, 'throttled');
        wait(15 * MINUTE + 1000);
        assert.equal((await right()).outcome, 'signed-in');
        // Success clears the address's failures.
        for (let i = 0; i < 4; i++)
          await accounts.signInWithPassword('ann@example.org', 'wrong', '::1');
        assert.equal((await right()).outcome, 'signed-in');
        assert.equal((await right()).outcome, 'signed-in');

        for (let i = 0; i < 20; i++)
          await accounts.signInWithPassword(`guess${i}@example.org`, 'wrong', '192.0.2.1');
        assert.equal(
          (
            await accounts.signInWithPassword(
              'ann@example.org',
              'quiet lantern meadow',
              '192.0.2.1',
            )
          ).outcome,
          'throttled',
        );
      },
    );

    await t.test('no more than 6 emails an hour to one address', async (t) => {
      const { accounts, outbox, wait } = await setUp(t);
      for (let i = 0; i < 8; i++) await accounts.requestSignInLink('victim@example.org');
      assert.equal((await emailsTo(outbox, 'victim@example.org')).length, 6);
      wait(61 * MINUTE);
      await accounts.requestSignInLink('victim@example.org');
      assert.equal((await emailsTo(outbox, 'victim@example.org')).length, 7);
    });

    await t.test('signing out everywhere ends sessions signed in before it', async (t) => {
      const { accounts, wait, confirmed } = await setUp(t);
      const ann = await confirmed('ann@example.org');
      const signedInAt = accounts.now();
      assert.ok(await accounts.forSession(ann.id, signedInAt));
      wait(1000);
      await accounts.signOutEverywhere(ann.id);
      assert.equal(await accounts.forSession(ann.id, signedInAt), undefined);
      assert.ok(await accounts.forSession(ann.id, accounts.now()), 'a new sign-in is fine');
      assert.equal(await accounts.forSession(ann.id + 1000, accounts.now()), undefined);
    });
  });
}

await test('failed sign-ins from IPv6 clients count against their /64', () => {
  assert.equal(clientBucket('203.0.113.9'), '203.0.113.9');
  assert.equal(clientBucket('::ffff:203.0.113.9'), '203.0.113.9');
  assert.equal(clientBucket('2001:db8:1:2:a:b:c:d'), '2001:db8:1:2::/64');
  assert.equal(clientBucket('2001:db8:1:2::5'), '2001:db8:1:2::/64');
  assert.equal(clientBucket('2001:0db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientBucket('::1'), '0:0:0:0::/64');
  assert.equal(clientBucket('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

await test('passwords', async (t) => {
  await t.test('scrypt, with its parameters stored beside the hash', async () => {
    const stored = await hashPassword('correct horse battery');
    assert.match(stored, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.notEqual(await hashPassword('correct horse battery'), stored, 'salted');
    assert.equal(await verifyPassword(stored, 'correct horse battery'), true);
    assert.equal(await verifyPassword(stored, 'correct horse batterY'), false);
    assert.equal(await verifyPassword('not a hash', 'correct horse battery'), false);
    assert.equal(needsRehash(stored), false);
    assert.equal(needsRehash(stored.replace('ln=15', 'ln=14')), true);
    // The same letters typed composed or decomposed are the same password.
    const cafe = await hashPassword('caf\u00e9 au lait');
    assert.equal(await verifyPassword(cafe, 'cafe\u0301 au lait'), true);
  });

  await t.test('NCSC rules: 8 to 256 characters, not a common password, nothing else', async () => {
    assert.equal(await newPasswordProblem(''), 'Enter a password');
    assert.equal(await newPasswordProblem('1234567'), 'Password must be 8 characters or more');
    assert.equal(
      await newPasswordProblem('x'.repeat(257)),
      'Password must be 256 characters or fewer',
    );
    for (const common of ['password', 'Password1', 'qwertyuiop', 'iloveyou', '12345678'])
      assert.equal(
        await newPasswordProblem(common),
        'Enter a password that is harder to guess',
        common,
      );
    for (const fine of [
      'purple tractor lamp',
      'allonelowercaseword',
      '        spaces',
      'x'.repeat(256),
    ])
      assert.equal(await newPasswordProblem(fine), undefined, fine);
  });
});
