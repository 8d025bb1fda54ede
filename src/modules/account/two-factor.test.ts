import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { buildTestApp, dialects, screen, Visitor, type TestApp } from '../../../test/helper.js';
import { emailedLink, newResident, signIn, signUp, type Resident } from './testing.js';

const errorsOn = (html: string) =>
  [...screen(html).getByRole('alert').querySelectorAll('li')].map((li) => li.textContent.trim());
const heading = (html: string) => screen(html).getByRole('heading', { level: 1 }).textContent;

/** What the resident's authenticator app shows, `stepsAhead` periods of 30 seconds from now. */
function appCode(secret: string, stepsAhead = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
  return totp.generate({ timestamp: Date.now() + stepsAhead * 30_000 });
}

/** Sets two-factor up through the pages; returns the secret shown and the recovery codes. */
async function setUp(visitor: Visitor): Promise<{ secret: string; codes: string[] }> {
  const page = await visitor.get('/account/two-factor/set-up');
  assert.equal(page.statusCode, 200, page.body);
  const secret = (screen(page.body).document.getElementById('secret')?.textContent ?? '').replace(
    /\s/g,
    '',
  );
  const done = await visitor.post('/account/two-factor/set-up', { code: appCode(secret) });
  assert.equal(done.statusCode, 303, done.body);
  const shown = await visitor.get('/account/two-factor');
  const codes = [
    ...screen(shown.body).getByRole('list', { name: 'Your recovery codes' }).querySelectorAll('li'),
  ].map((li) => li.textContent.trim());
  return { secret, codes };
}

async function signOut(visitor: Visitor) {
  await visitor.get('/account/two-factor');
  assert.equal((await visitor.post('/account/sign-out', {})).statusCode, 303);
}

/** Signs in with the password and gives `code` as the second factor. */
async function signInWith(visitor: Visitor, resident: Resident, code: string) {
  const first = await signIn(visitor, resident);
  assert.equal(first.statusCode, 303);
  assert.equal(first.headers.location, '/account/sign-in/two-factor');
  await visitor.get('/account/sign-in/two-factor');
  return visitor.post('/account/sign-in/two-factor', { code });
}

async function accountRow({ database }: TestApp, email: string) {
  return database.db
    .selectFrom('accounts')
    .selectAll()
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
}

for (const dialect of dialects()) {
  await test(`two-factor authentication on ${dialect}`, async (t) => {
    const app = await buildTestApp(t, dialect);

    await t.test('a resident sets it up, and signing in then needs a code', async (t) => {
      const resident = newResident();
      const visitor = new Visitor(app.app);
      await signUp(app, visitor, resident);

      const dashboard = await visitor.get('/account');
      assert.ok(
        screen(dashboard.body).getByRole('link', { name: 'Two-factor authentication settings' }),
      );
      const off = await visitor.get('/account/two-factor');
      assert.match(off.body, /Two-factor authentication is off/);

      const page = await visitor.get('/account/two-factor/set-up');
      assert.equal(heading(page.body), 'Set up two-factor authentication');
      const doc = screen(page.body);
      assert.match(
        doc.getByRole('img', { name: /QR code/ }).getAttribute('src') ?? '',
        /^data:image\/png;base64,/,
      );
      const secret = (doc.document.getElementById('secret')?.textContent ?? '').replace(/\s/g, '');
      assert.match(secret, /^[A-Z2-7]{32}$/, 'the secret is shown as text too');
      assert.equal(
        (await visitor.get('/account/two-factor/set-up')).body.includes(
          doc.document.getElementById('secret')?.textContent ?? 'none',
        ),
        true,
        'reloading keeps the same secret',
      );

      const empty = await visitor.post('/account/two-factor/set-up', { code: '' });
      assert.equal(empty.statusCode, 400);
      assert.deepEqual(errorsOn(empty.body), [
        'Enter the 6-digit code from your authenticator app',
      ]);
      const wrong = await visitor.post('/account/two-factor/set-up', {
        code: appCode(secret, 5),
      });
      assert.equal(wrong.statusCode, 400);
      assert.deepEqual(errorsOn(wrong.body), [
        'The code is not right. Enter the code your app shows now',
      ]);
      assert.equal((await accountRow(app, resident.email)).totp_secret, null, 'still off');

      const right = await visitor.post('/account/two-factor/set-up', { code: appCode(secret) });
      assert.equal(right.statusCode, 303);
      assert.equal(right.headers.location, '/account/two-factor');
      const shown = await visitor.get('/account/two-factor');
      assert.equal(heading(shown.body), 'Save your recovery codes');
      const codes = [
        ...screen(shown.body)
          .getByRole('list', { name: 'Your recovery codes' })
          .querySelectorAll('li'),
      ].map((li) => li.textContent.trim());
      assert.equal(codes.length, 10);
      assert.equal(new Set(codes).size, 10);
      const again = await visitor.get('/account/two-factor');
      assert.match(again.body, /Two-factor authentication is on/);
      assert.match(again.body, /You have 10 recovery codes left/);
      assert.ok(
        codes.every((code) => !again.body.includes(code)),
        'codes are shown only once',
      );

      const row = await accountRow(app, resident.email);
      assert.ok(row.totp_secret && !row.totp_secret.includes(secret), 'the secret is sealed');
      const stored = await app.database.db
        .selectFrom('account_recovery_codes')
        .select('code_hash')
        .where('account_id', '=', row.id)
        .execute();
      assert.equal(stored.length, 10);
      assert.ok(
        stored.every(({ code_hash }) => codes.every((code) => !code_hash.includes(code))),
        'only fingerprints of the codes are kept',
      );

      // Signing in: the password is not enough.
      await signOut(visitor);
      const first = await signIn(visitor, resident);
      assert.equal(first.headers.location, '/account/sign-in/two-factor');
      const notYet = await visitor.get('/account');
      assert.equal(notYet.statusCode, 303, 'not signed in until the code is given');
      assert.match(String(notYet.headers.location), /^\/account\/sign-in/);
      const ask = await visitor.get('/account/sign-in/two-factor');
      assert.equal(heading(ask.body), 'Enter the code from your authenticator app');
      const wrongCode = await visitor.post('/account/sign-in/two-factor', {
        code: appCode(secret, 5),
      });
      assert.equal(wrongCode.statusCode, 400);
      assert.deepEqual(errorsOn(wrongCode.body), [
        'The code is not right. Enter the code your app shows now',
      ]);
      // The code used to set it up is spent; the app's next one (within the window) works.
      const next = appCode(secret, 1);
      const signedIn = await visitor.post('/account/sign-in/two-factor', { code: next });
      assert.equal(signedIn.statusCode, 303);
      assert.equal(signedIn.headers.location, '/account');
      assert.equal((await visitor.get('/account')).statusCode, 200);

      await t.test('a code cannot be used twice', async () => {
        await signOut(visitor);
        const replay = await signInWith(visitor, resident, next);
        assert.equal(replay.statusCode, 400);
        assert.deepEqual(errorsOn(replay.body), [
          'The code is not right. Enter the code your app shows now',
        ]);
        assert.equal((await visitor.get('/account')).statusCode, 303);
      });

      await t.test('a recovery code works, once', async () => {
        const [code = ''] = codes;
        const used = await visitor.post('/account/sign-in/two-factor', {
          code: ` ${code.toUpperCase()} `,
        });
        assert.equal(used.statusCode, 303);
        assert.equal((await visitor.get('/account')).statusCode, 200);
        assert.match((await visitor.get('/account/two-factor')).body, /9 recovery codes left/);
        await signOut(visitor);
        const again = await signInWith(visitor, resident, code);
        assert.equal(again.statusCode, 400);
        const other = await visitor.post('/account/sign-in/two-factor', { code: codes[1] ?? '' });
        assert.equal(other.statusCode, 303);
      });

      await t.test('an emailed sign-in link needs the code too', async () => {
        await signOut(visitor);
        await visitor.get('/account/sign-in/email');
        await visitor.post('/account/sign-in/email', { email: resident.email });
        const link = await emailedLink(app, resident.email, '/account/sign-in/email');
        await visitor.get(link);
        const used = await visitor.post(link, {});
        assert.equal(used.headers.location, '/account/sign-in/two-factor');
        assert.equal((await visitor.get('/account')).statusCode, 303);
        await visitor.get('/account/sign-in/two-factor');
        const done = await visitor.post('/account/sign-in/two-factor', { code: codes[2] ?? '' });
        assert.equal(done.statusCode, 303);
        assert.equal((await visitor.get('/account')).statusCode, 200);
      });

      await t.test('turning it off needs the password or a code', async () => {
        const status = await visitor.get('/account/two-factor');
        assert.ok(screen(status.body).getByRole('button', { name: /Turn off/ }));
        const empty = await visitor.post('/account/two-factor/turn-off', {
          code: '',
          password: '',
        });
        assert.equal(empty.statusCode, 400);
        const wrong = await visitor.post('/account/two-factor/turn-off', {
          code: '',
          password: 'not my password at all',
        });
        assert.equal(wrong.statusCode, 400);
        assert.deepEqual(errorsOn(wrong.body), ['The password is not right']);
        assert.ok((await accountRow(app, resident.email)).totp_secret, 'still on');
        const done = await visitor.post('/account/two-factor/turn-off', {
          code: '',
          password: resident.password,
        });
        assert.equal(done.statusCode, 303);
        assert.match((await visitor.get('/account/two-factor')).body, /is off/);
        const row = await accountRow(app, resident.email);
        assert.equal(row.totp_secret, null);
        await signOut(visitor);
        const plain = await signIn(visitor, resident);
        assert.equal(plain.headers.location, '/account', 'the password is enough again');
      });
    });

    await t.test(
      'five wrong codes: throttled like wrong passwords; turning off with a code',
      async () => {
        const resident = newResident();
        const visitor = new Visitor(app.app);
        await signUp(app, visitor, resident);
        const { secret, codes } = await setUp(visitor);
        await signOut(visitor);
        await signIn(visitor, resident);
        await visitor.get('/account/sign-in/two-factor');
        for (let i = 0; i < 5; i += 1)
          assert.equal(
            (await visitor.post('/account/sign-in/two-factor', { code: '000000' })).statusCode,
            400,
          );
        const refused = await visitor.post('/account/sign-in/two-factor', { code: codes[0] ?? '' });
        assert.equal(refused.statusCode, 429);
        assert.match(errorsOn(refused.body)[0] ?? '', /too many wrong codes/);
        assert.equal((await visitor.get('/account')).statusCode, 303);
        // Turning it off with a code counts against the same limit.
        await app.database.db.deleteFrom('account_attempts').execute();
        const signedIn = await visitor.post('/account/sign-in/two-factor', {
          code: appCode(secret, 1),
        });
        assert.equal(signedIn.statusCode, 303);
        await visitor.get('/account/two-factor');
        const replayed = await visitor.post('/account/two-factor/turn-off', {
          code: appCode(secret, 1),
        });
        assert.equal(replayed.statusCode, 400, 'a spent code cannot turn it off');
        const off = await visitor.post('/account/two-factor/turn-off', { code: codes[1] ?? '' });
        assert.equal(off.statusCode, 303);
        assert.equal((await accountRow(app, resident.email)).totp_secret, null);
      },
    );

    await t.test('staff must set it up before anything else, and cannot turn it off', async () => {
      const officer = newResident('Olu Officer');
      const visitor = new Visitor(app.app);
      await signUp(app, visitor, officer);
      await signOut(visitor);
      await app.database.db
        .updateTable('accounts')
        .set({ role: 'case_officer' })
        .where('email', '=', officer.email)
        .execute();
      const first = await signIn(visitor, officer);
      assert.equal(first.headers.location, '/account', 'no code yet: there is none to ask for');
      for (const url of ['/account', '/account/cases/PTH-0000-0000']) {
        const res = await visitor.get(url);
        assert.equal(res.statusCode, 303, url);
        assert.equal(res.headers.location, '/account/two-factor/set-up', url);
      }
      const page = await visitor.get('/account/two-factor/set-up');
      assert.match(page.body, /Staff accounts must use two-factor authentication/);
      const { secret } = await setUp(visitor);
      assert.equal((await visitor.get('/account')).statusCode, 200);

      const status = await visitor.get('/account/two-factor');
      assert.match(status.body, /Staff accounts must keep two-factor authentication on/);
      assert.equal(screen(status.body).queryByRole('button', { name: /Turn off/ }), null);
      const refused = await visitor.post('/account/two-factor/turn-off', {
        code: '',
        password: officer.password,
      });
      assert.equal(refused.statusCode, 400);
      assert.ok((await accountRow(app, officer.email)).totp_secret, 'still on');

      await signOut(visitor);
      const signedIn = await signInWith(visitor, officer, appCode(secret, 1));
      assert.equal(signedIn.statusCode, 303);
      assert.equal((await visitor.get('/account')).statusCode, 200);
    });
  });
}
