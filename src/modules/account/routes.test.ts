import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, screen, Visitor, type TestApp } from '../../../test/helper.js';
import { CaseService } from '../cases/service.js';
import { emailedLink, emailsTo, newResident, report, signIn, signUp } from './testing.js';

const errorsOn = (html: string) =>
  [...screen(html).getByRole('alert').querySelectorAll('li')].map((li) => li.textContent.trim());
const heading = (html: string) => screen(html).getByRole('heading', { level: 1 }).textContent;

/** Rewrites the one signed-in session's times, as if the resident had walked away. */
async function ageSession(
  { database }: TestApp,
  change: (signIn: { signedInAt: number; lastSeenAt: number }) => void,
) {
  const rows = await database.db.selectFrom('sessions').select(['id', 'data']).execute();
  for (const row of rows) {
    const stored = JSON.parse(row.data) as {
      data: { signIn?: { signedInAt: number; lastSeenAt: number } };
    };
    if (!stored.data.signIn) continue;
    change(stored.data.signIn);
    await database.db
      .updateTable('sessions')
      .set({ data: JSON.stringify(stored) })
      .where('id', '=', row.id)
      .execute();
  }
}

await test('creating an account', async (t) => {
  await t.test(
    'name and email, a link emailed to confirm it, then a password: signed in',
    async (t) => {
      const app = await buildTestApp(t);
      const visitor = new Visitor(app.app);
      const resident = newResident('Priya Shah');

      const empty = await (async () => {
        await visitor.get('/account/sign-up');
        return visitor.post('/account/sign-up', { name: '', email: '' });
      })();
      assert.equal(empty.statusCode, 400);
      assert.deepEqual(errorsOn(empty.body), ['Enter your name', 'Enter your email address']);
      assert.match(screen(empty.body).document.title, /^Error: Create an account/);
      const badEmail = await visitor.post('/account/sign-up', {
        name: 'Priya',
        email: 'priya.example.org',
      });
      assert.deepEqual(errorsOn(badEmail.body), [
        'Enter an email address in the correct format, like name@example.com',
      ]);

      const sent = await visitor.post('/account/sign-up', {
        name: resident.name,
        email: resident.email.toUpperCase(),
      });
      assert.equal(sent.statusCode, 303);
      assert.equal(sent.headers.location, '/account/check-email');
      const check = await visitor.get('/account/check-email');
      assert.equal(heading(check.body), 'Check your email');
      assert.match(check.body, new RegExp(resident.email));

      const [email] = await emailsTo(app, resident.email);
      assert.equal(email?.subject, 'Confirm your email address');
      const jobs = await app.database.db.selectFrom('jobs').select('payload').execute();
      assert.ok(
        jobs.every((job) => !job.payload.includes(resident.email)),
        'the queued email is sealed',
      );
      const link = await emailedLink(app, resident.email, '/account/verify');
      const tokenRows = await app.database.db
        .selectFrom('account_tokens')
        .select('token_hash')
        .execute();
      assert.ok(
        tokenRows.every((row) => !link.endsWith(row.token_hash)),
        'only a fingerprint of the token is stored',
      );

      // The link opens a page (it does not act on a GET, which email scanners make).
      const page = await visitor.get(link);
      assert.equal(page.statusCode, 200);
      assert.equal(heading(page.body), 'Create a password');
      assert.ok(screen(page.body).getByLabelText('Create a password'));

      for (const [password, error] of [
        ['', 'Enter a password'],
        ['short', 'Password must be 8 characters or more'],
        ['password123', 'Enter a password that is harder to guess'],
        ['Qwerty123', 'Enter a password that is harder to guess'],
        ['x'.repeat(257), 'Password must be 256 characters or fewer'],
      ] as const) {
        const res = await visitor.post(link, { password, choice: 'password' });
        assert.equal(res.statusCode, 400, password);
        assert.deepEqual(errorsOn(res.body), [error]);
        assert.doesNotMatch(res.body, new RegExp(`value="${password}"`), 'never shown back');
      }

      const before = visitor.cookie;
      const created = await visitor.post(link, { password: resident.password, choice: 'password' });
      assert.equal(created.statusCode, 303);
      assert.equal(created.headers.location, '/account');
      assert.notEqual(visitor.cookie, before, 'a new session id at sign-in');
      const dashboard = await visitor.get('/account');
      assert.equal(dashboard.statusCode, 200);
      assert.equal(heading(dashboard.body), 'Your account');
      assert.match(dashboard.body, /Your account has been created\./);
      assert.match(dashboard.body, new RegExp(`signed in as ${resident.email}`, 'i'));
      assert.equal(dashboard.headers['cache-control'], 'no-store');

      const again = await new Visitor(app.app).get(link);
      assert.equal(again.statusCode, 404);
      assert.equal(heading(again.body), 'This link has expired or has already been used');
      const account = await app.database.db
        .selectFrom('accounts')
        .selectAll()
        .where('email', '=', resident.email)
        .executeTakeFirstOrThrow();
      assert.equal(account.name, 'Priya Shah');
      assert.ok(account.email_verified_at);
      assert.match(account.password_hash ?? '', /^\$scrypt\$ln=15,r=8,p=1\$/);
    },
  );

  await t.test('or no password: signing in by emailed link from then on', async (t) => {
    const app = await buildTestApp(t);
    const visitor = new Visitor(app.app);
    const resident = newResident();
    await visitor.get('/account/sign-up');
    await visitor.post('/account/sign-up', { name: resident.name, email: resident.email });
    const link = await emailedLink(app, resident.email, '/account/verify');
    await visitor.get(link);
    const created = await visitor.post(link, { password: '', choice: 'link' });
    assert.equal(created.statusCode, 303);
    assert.match((await visitor.get('/account')).body, /ask us to email you a link/);
    const account = await app.database.db
      .selectFrom('accounts')
      .select('password_hash')
      .executeTakeFirstOrThrow();
    assert.equal(account.password_hash, null);
    // With no password, no password signs in.
    const other = new Visitor(app.app);
    const attempt = await signIn(other, { ...resident, password: '' });
    assert.deepEqual(errorsOn(attempt.body), ['Enter your password']);
  });

  await t.test(
    'signing up with a registered address reveals nothing: the owner is emailed instead',
    async (t) => {
      const app = await buildTestApp(t);
      const resident = newResident();
      await signUp(app, new Visitor(app.app), resident);

      const stranger = new Visitor(app.app);
      await stranger.get('/account/sign-up');
      const res = await stranger.post('/account/sign-up', {
        name: 'Someone Else',
        email: resident.email,
      });
      assert.equal(res.statusCode, 303);
      assert.equal(res.headers.location, '/account/check-email');
      const emails = await emailsTo(app, resident.email);
      assert.equal(emails.at(-1)?.subject, 'You already have an account');
      assert.doesNotMatch(emails.at(-1)?.text ?? '', /\/account\/verify\//);
      const account = await app.database.db
        .selectFrom('accounts')
        .select('name')
        .executeTakeFirstOrThrow();
      assert.equal(account.name, resident.name, 'the account is unchanged');
    },
  );
});

await test('signing in', async (t) => {
  await t.test('GOV.UK errors, and a wrong address looks like a wrong password', async (t) => {
    const app = await buildTestApp(t);
    const resident = newResident();
    await signUp(app, new Visitor(app.app), resident);
    const visitor = new Visitor(app.app);
    await visitor.get('/account/sign-in');

    const empty = await visitor.post('/account/sign-in', { email: '', password: '' });
    assert.equal(empty.statusCode, 400);
    assert.deepEqual(errorsOn(empty.body), ['Enter your email address', 'Enter your password']);
    const wrongPassword = await visitor.post('/account/sign-in', {
      email: resident.email,
      password: 'not my password',
    });
    const unknown = await visitor.post('/account/sign-in', {
      email: 'nobody@example.org',
      password: 'not my password',
    });
    for (const res of [wrongPassword, unknown]) {
      assert.equal(res.statusCode, 400);
      assert.deepEqual(errorsOn(res.body), ['Enter a correct email address and password']);
    }

    const before = visitor.cookie;
    const ok = await visitor.post('/account/sign-in', {
      email: resident.email.toUpperCase(),
      password: resident.password,
    });
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/account');
    assert.notEqual(visitor.cookie, before, 'the session id changes at sign-in');
    assert.equal((await visitor.get('/account')).statusCode, 200);
    assert.equal(
      (await visitor.get('/account/sign-in')).headers.location,
      '/account',
      'already signed in',
    );
  });

  await t.test(
    'after 5 failures for an address, it is refused for 15 minutes, registered or not',
    async (t) => {
      const app = await buildTestApp(t);
      const resident = newResident();
      await signUp(app, new Visitor(app.app), resident);
      const visitor = new Visitor(app.app);
      await visitor.get('/account/sign-in');
      for (const email of [resident.email, 'nobody@example.org']) {
        for (let i = 0; i < 5; i++) {
          const res = await visitor.post('/account/sign-in', { email, password: 'wrong guess' });
          assert.equal(res.statusCode, 400);
        }
        const blocked = await visitor.post('/account/sign-in', {
          email,
          password: email === resident.email ? resident.password : 'anything at all',
        });
        assert.equal(blocked.statusCode, 429);
        assert.deepEqual(errorsOn(blocked.body), [
          'You have tried to sign in too many times. Wait 15 minutes, then try again.',
        ]);
      }
    },
  );

  await t.test('after 20 failures from one client address, any address is refused', async (t) => {
    const app = await buildTestApp(t);
    const resident = newResident();
    await signUp(app, new Visitor(app.app), resident);
    const visitor = new Visitor(app.app, { 'x-forwarded-for': '203.0.113.9' });
    await visitor.get('/account/sign-in');
    for (let i = 0; i < 20; i++)
      await visitor.post('/account/sign-in', {
        email: `guess${i}@example.org`,
        password: 'wrong guess',
      });
    const blocked = await signIn(visitor, resident);
    assert.equal(blocked.statusCode, 429);
    // Another address is not held up by it.
    const elsewhere = await signIn(new Visitor(app.app), resident);
    assert.equal(elsewhere.statusCode, 303);
  });

  await t.test('an emailed link signs in once, and a forgotten address gets no link', async (t) => {
    const app = await buildTestApp(t);
    const resident = newResident();
    await signUp(app, new Visitor(app.app), resident);
    const visitor = new Visitor(app.app);
    const form = await visitor.get('/account/sign-in/email');
    assert.equal(heading(form.body), 'Sign in with an email link');
    const bad = await visitor.post('/account/sign-in/email', { email: '' });
    assert.deepEqual(errorsOn(bad.body), ['Enter your email address']);

    const sent = await visitor.post('/account/sign-in/email', { email: resident.email });
    assert.equal(sent.headers.location, '/account/check-email');
    assert.equal((await emailsTo(app, resident.email)).at(-1)?.subject, 'Your sign-in link');
    const link = await emailedLink(app, resident.email, '/account/sign-in/email');
    const page = await visitor.get(link);
    assert.equal(heading(page.body), 'Sign in');
    assert.equal(
      (await visitor.get('/account')).statusCode,
      303,
      'opening the link alone does not sign in',
    );
    const signedIn = await visitor.post(link, {});
    assert.equal(signedIn.statusCode, 303);
    assert.equal(signedIn.headers.location, '/account');
    assert.equal((await visitor.get('/account')).statusCode, 200);
    const reused = await new Visitor(app.app).get(link);
    assert.equal(reused.statusCode, 404);

    // An unregistered address: the same page, and an email saying there is no account.
    const stranger = new Visitor(app.app);
    await stranger.get('/account/sign-in/email');
    const res = await stranger.post('/account/sign-in/email', { email: 'new@example.org' });
    assert.equal(res.headers.location, '/account/check-email');
    const [noAccount] = await emailsTo(app, 'new@example.org');
    assert.match(noAccount?.subject ?? '', /You do not have an account/);
    assert.doesNotMatch(noAccount?.text ?? '', /sign-in\/email\//);
  });

  await t.test(
    'a forgotten password: reset by emailed link, which signs out other devices',
    async (t) => {
      const app = await buildTestApp(t);
      const resident = newResident();
      const elsewhere = new Visitor(app.app);
      await signUp(app, elsewhere, resident);

      const visitor = new Visitor(app.app);
      const sign = await visitor.get('/account/sign-in');
      assert.ok(screen(sign.body).getByRole('link', { name: 'I have forgotten my password' }));
      await visitor.get('/account/password/forgot');
      await visitor.post('/account/password/forgot', { email: resident.email });
      assert.equal((await emailsTo(app, resident.email)).at(-1)?.subject, 'Reset your password');
      const link = await emailedLink(app, resident.email, '/account/password/reset');
      const page = await visitor.get(link);
      assert.equal(heading(page.body), 'Choose a new password');
      const weak = await visitor.post(link, { password: 'letmein1' });
      assert.deepEqual(errorsOn(weak.body), ['Enter a password that is harder to guess']);
      const changed = await visitor.post(link, { password: 'a much better password' });
      assert.equal(changed.statusCode, 303);
      assert.match((await visitor.get('/account')).body, /Your password has been changed/);
      assert.equal((await new Visitor(app.app).get(link)).statusCode, 404, 'single use');

      // The device signed in before the change is signed out, and told why.
      const bounced = await elsewhere.get('/account');
      assert.equal(bounced.statusCode, 303);
      assert.match(
        (await elsewhere.get('/account/sign-in')).body,
        /signed out of all devices or changed your password/,
      );
      assert.equal((await signIn(new Visitor(app.app), resident)).statusCode, 400);
      assert.equal(
        (await signIn(new Visitor(app.app), { ...resident, password: 'a much better password' }))
          .statusCode,
        303,
      );
    },
  );
});

await test('sessions', async (t) => {
  await t.test('sign out, and sign out of all devices', async (t) => {
    const app = await buildTestApp(t);
    const resident = newResident();
    const laptop = new Visitor(app.app);
    await signUp(app, laptop, resident);
    const phone = new Visitor(app.app);
    assert.equal((await signIn(phone, resident)).statusCode, 303);

    await laptop.get('/account');
    const out = await laptop.post('/account/sign-out', {});
    assert.equal(out.headers.location, '/account/signed-out');
    assert.equal(heading((await laptop.get('/account/signed-out')).body), 'You have signed out');
    assert.equal((await laptop.get('/account')).headers.location, '/account/sign-in');
    assert.equal((await phone.get('/account')).statusCode, 200, 'only that device');

    assert.equal((await signIn(laptop, resident)).statusCode, 303);
    await phone.get('/account');
    const everywhere = await phone.post('/account/sign-out-everywhere', {});
    assert.equal(everywhere.headers.location, '/account/signed-out?everywhere=yes');
    assert.match(
      (await phone.get('/account/signed-out?everywhere=yes')).body,
      /signed out on every device/,
    );
    assert.equal((await laptop.get('/account')).statusCode, 303);
    assert.equal((await phone.get('/account')).statusCode, 303);
    assert.equal((await signIn(laptop, resident)).statusCode, 303, 'signing in again works');
    assert.equal((await laptop.get('/account')).statusCode, 200);
  });

  await t.test('30 minutes idle, or 12 hours in all, and the resident is signed out', async (t) => {
    const app = await buildTestApp(t);
    const resident = newResident();
    const visitor = new Visitor(app.app);
    await signUp(app, visitor, resident);
    assert.equal((await visitor.get('/account')).statusCode, 200);

    await ageSession(app, (s) => {
      s.lastSeenAt -= 31 * 60_000;
    });
    const idle = await visitor.get('/account');
    assert.equal(idle.statusCode, 303);
    assert.match(
      (await visitor.get('/account/sign-in')).body,
      /because you had not done anything for 30 minutes/,
    );
    assert.doesNotMatch(
      (await visitor.get('/account/sign-in')).body,
      /30 minutes/,
      'the message is shown once',
    );

    assert.equal((await signIn(visitor, resident)).statusCode, 303);
    await ageSession(app, (s) => {
      s.signedInAt -= 12 * 60 * 60_000 + 60_000;
    });
    assert.equal((await visitor.get('/account')).statusCode, 303);
    assert.match(
      (await visitor.get('/account/sign-in')).body,
      /because you had been signed in for 12 hours/,
    );

    // Just inside the idle limit is fine, and counts as activity.
    assert.equal((await signIn(visitor, resident)).statusCode, 303);
    await ageSession(app, (s) => {
      s.lastSeenAt -= 29 * 60_000;
    });
    assert.equal((await visitor.get('/account')).statusCode, 200);
  });

  await t.test('signed-out pages on the way in are kept, but only same-site paths', async (t) => {
    const app = await buildTestApp(t);
    const resident = newResident();
    await signUp(app, new Visitor(app.app), resident);
    const visitor = new Visitor(app.app);
    const bounced = await visitor.get('/account?kind=report');
    assert.equal(bounced.headers.location, '/account/sign-in?returnTo=%2Faccount%3Fkind%3Dreport');
    const page = await visitor.get(bounced.headers.location ?? '');
    assert.match(page.body, /name="returnTo" value="\/account\?kind=report"/);
    const res = await visitor.post('/account/sign-in', {
      email: resident.email,
      password: resident.password,
      returnTo: '/account?kind=report',
    });
    assert.equal(res.headers.location, '/account?kind=report');

    for (const returnTo of [
      '//evil.example/',
      'https://evil.example/',
      '/\\evil.example',
      '/account\r\nSet-Cookie: x=1',
      'javascript:alert(1)',
    ]) {
      const other = new Visitor(app.app);
      await other.get('/account/sign-in');
      const signedIn = await other.post('/account/sign-in', {
        email: resident.email,
        password: resident.password,
        returnTo,
      });
      assert.equal(signedIn.headers.location, '/account', returnTo);
    }
  });

  await t.test('the header links to My account on every page, the same for everyone', async (t) => {
    const app = await buildTestApp(t);
    const home = await app.app.inject('/');
    const link = screen(home.body).getByRole('link', { name: 'My account' });
    assert.equal(link.getAttribute('href'), '/account');
    assert.equal(home.headers['set-cookie'], undefined);
  });
});

await test('the dashboard', async (t) => {
  await t.test(
    'every case newest first, filters by kind and status, pages of 20, and new updates',
    async (t) => {
      const app = await buildTestApp(t);
      const resident = newResident();
      const visitor = new Visitor(app.app);
      await signUp(app, visitor, resident);
      const account = await app.database.db
        .selectFrom('accounts')
        .select('id')
        .executeTakeFirstOrThrow();
      const cases = new CaseService(app.database.db);
      const opened = [];
      for (let i = 1; i <= 22; i++)
        opened.push(await cases.openCase(report({ title: `Pothole ${i}`, accountId: account.id })));
      const application = await cases.openCase({
        serviceCode: 'apply-for-a-skip-permit',
        refPrefix: 'SKP',
        kind: 'application',
        channel: 'web',
        title: 'Skip permit for 4 Mill Lane',
        accountId: account.id,
        actor: { type: 'resident' },
      });
      const fixed = opened[0];
      assert.ok(fixed);
      await cases.changeStatus(
        fixed.id,
        'fixed',
        { type: 'staff', name: 'Highways' },
        { publicText: 'Filled on Thursday.' },
      );

      const first = await visitor.get('/account');
      const titles = (html: string) =>
        [...screen(html).document.querySelectorAll('main h3 a')].map((a) => a.textContent);
      assert.deepEqual(titles(first.body).slice(0, 3), [
        'Skip permit for 4 Mill Lane',
        'Pothole 22',
        'Pothole 21',
      ]);
      assert.equal(titles(first.body).length, 20);
      assert.match(first.body, /Page 1 of 2: 23 cases/);
      const second = await visitor.get('/account?page=2');
      assert.deepEqual(titles(second.body), ['Pothole 3', 'Pothole 2', 'Pothole 1']);
      assert.match(second.body, /New update/);
      assert.doesNotMatch(first.body, /New update/, 'nothing new on the others');

      const applications = await visitor.get('/account?kind=application');
      assert.deepEqual(titles(applications.body), ['Skip permit for 4 Mill Lane']);
      const closed = await visitor.get('/account?status=closed');
      assert.deepEqual(titles(closed.body), ['Pothole 1']);
      const fixedReports = await visitor.get('/account?kind=report&status=fixed');
      assert.deepEqual(titles(fixedReports.body), ['Pothole 1']);
      assert.ok(
        screen(fixedReports.body).getByRole('option', { name: 'Fixed', selected: true }),
        'a kind’s own statuses are offered once it is chosen',
      );
      const none = await visitor.get('/account?kind=booking');
      assert.match(none.body, /None of your cases match these filters/);
      const nonsense = await visitor.get('/account?kind=nonsense&status=%27%20or%201=1&page=-4');
      assert.equal(nonsense.statusCode, 200);
      assert.equal(titles(nonsense.body).length, 20);

      // The case page: its whole public timeline, the new update marked, then no longer new.
      const casePage = await visitor.get(`/account/cases/${fixed.ref}`);
      assert.equal(casePage.statusCode, 200);
      assert.equal(heading(casePage.body), 'Pothole 1');
      assert.match(casePage.body, /Filled on Thursday\./);
      assert.match(casePage.body, /Status changed to Fixed/);
      assert.ok(screen(casePage.body).queryByText('New'), 'the update is marked new');
      assert.doesNotMatch((await visitor.get('/account?page=2')).body, /New update/);
      assert.equal(
        screen((await visitor.get(`/account/cases/${fixed.ref}`)).body).queryByText('New'),
        null,
      );
      const applicationPage = await visitor.get(`/account/cases/${application.ref.toLowerCase()}`);
      assert.equal(applicationPage.statusCode, 200, 'a reference typed in lower case');
      assert.match(applicationPage.body, /We received your application\./);
    },
  );
});
