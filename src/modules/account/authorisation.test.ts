/**
 * A resident can never see or change another resident's case or data. Every account and case
 * route is tried as nobody (sent to sign in) and as a different resident (someone else's case
 * is "not found", like one that does not exist; their own actions touch only their own account).
 * The list of routes is checked against the app's own, so a new route cannot be left out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, dialects, routesOf, screen, Visitor } from '../../../test/helper.js';
import { CaseService, type Case } from '../cases/service.js';
import { newResident, signIn, signUp } from './testing.js';

/** Routes behind sign-in: each is tried as nobody and as another resident below. */
const SIGNED_IN = [
  'GET /account',
  'GET /account/cases/:ref',
  'POST /account/sign-out',
  'POST /account/sign-out-everywhere',
  'GET /account/profile',
  'GET /account/profile/details',
  'POST /account/profile/details',
  'GET /account/profile/preferences',
  'POST /account/profile/preferences',
  'GET /account/profile/email',
  'POST /account/profile/email',
  'GET /account/profile/email/:token',
  'POST /account/profile/email/:token',
  'GET /account/profile/password',
  'POST /account/profile/password',
  'GET /account/data',
  'GET /account/data.json',
  'GET /account/delete',
  'POST /account/delete',
  'GET /account/two-factor',
  'GET /account/two-factor/set-up',
  'POST /account/two-factor/set-up',
  'POST /account/two-factor/turn-off',
  'GET /account/email-bounced',
  'POST /account/email-bounced',
  'POST /account/push-subscriptions',
  'POST /account/push-subscriptions/remove',
];
/** The way in: open to anyone, and holding nobody's data (tokens are checked separately). */
const WAY_IN = [
  'GET /account/sign-in',
  'POST /account/sign-in',
  'GET /account/sign-in/email',
  'POST /account/sign-in/email',
  'GET /account/sign-in/email/:token',
  'POST /account/sign-in/email/:token',
  'GET /account/sign-up',
  'POST /account/sign-up',
  'GET /account/check-email',
  'GET /account/verify/:token',
  'POST /account/verify/:token',
  'GET /account/password/forgot',
  'POST /account/password/forgot',
  'GET /account/password/reset/:token',
  'POST /account/password/reset/:token',
  'GET /account/signed-out',
  'GET /account/deleted',
  'GET /account/sign-in/oidc/:provider',
  'GET /account/sign-in/oidc/:provider/callback',
  'GET /account/sign-in/two-factor',
  'POST /account/sign-in/two-factor',
];

for (const dialect of dialects()) {
  await test(`authorisation on ${dialect}: nobody sees or changes another resident's cases`, async (t) => {
    const app = await buildTestApp(t, dialect);
    const ann = newResident('Ann Example');
    const bob = newResident('Bob Example');
    const annBrowser = new Visitor(app.app);
    await signUp(app, annBrowser, ann);
    const bobBrowser = new Visitor(app.app);
    await signUp(app, bobBrowser, bob);
    const idOf = async (email: string) =>
      (
        await app.database.db
          .selectFrom('accounts')
          .select('id')
          .where('email', '=', email)
          .executeTakeFirstOrThrow()
      ).id;
    const cases = new CaseService(app.database.db);
    const annCases: Case[] = [
      await cases.openCase({
        serviceCode: 'report-a-pothole',
        refPrefix: 'PTH',
        kind: 'report',
        channel: 'web',
        title: 'Ann’s pothole',
        accountId: await idOf(ann.email),
        actor: { type: 'resident' },
      }),
      await cases.openCase({
        serviceCode: 'apply-for-a-skip-permit',
        refPrefix: 'SKP',
        kind: 'application',
        channel: 'web',
        title: 'Ann’s skip permit',
        // Sent without signing in, with Ann's verified address: hers once claimed.
        contact: { email: ann.email },
        actor: { type: 'resident' },
      }),
    ];
    assert.equal((await annBrowser.get('/account')).statusCode, 200);
    for (const found of annCases)
      assert.equal(
        (await annBrowser.get(`/account/cases/${found.ref}`)).statusCode,
        200,
        'Ann sees her own',
      );

    await t.test('every account route is either tried here or part of the way in', () => {
      const account = [...routesOf(app.app)].filter((route) => / \/account(\/|$)/.test(route));
      assert.deepEqual(account.sort(), [...SIGNED_IN, ...WAY_IN].sort());
    });

    const urls = (route: string) => {
      const [method = '', path = ''] = route.split(' ');
      const paths = path.includes(':ref')
        ? annCases.flatMap((c) => [
            path.replace(':ref', c.ref),
            path.replace(':ref', c.ref.toLowerCase()),
          ])
        : path === '/account'
          ? ['/account', '/account?kind=application', '/account?status=open&page=1']
          : [path];
      return paths.map((url) => ({ method, url }));
    };

    await t.test('as nobody: sent to sign in, every time', async () => {
      const nobody = new Visitor(app.app);
      await nobody.get('/account/sign-in'); // A session with a CSRF token, as a browser would have.
      for (const route of SIGNED_IN)
        for (const { method, url } of urls(route)) {
          const res = method === 'GET' ? await nobody.get(url) : await nobody.post(url, {});
          assert.equal(res.statusCode, 303, `${route} ${url}`);
          assert.match(String(res.headers.location), /^\/account\/sign-in(\?|$)/, url);
          assert.doesNotMatch(res.body, /Ann/, url);
        }
      // And without a CSRF token, a POST is refused before it gets anywhere.
      for (const url of ['/account/sign-out', '/account/sign-out-everywhere']) {
        const res = await app.app.inject({ method: 'POST', url, payload: {} });
        assert.equal(res.statusCode, 403, url);
      }
    });

    await t.test(
      'as another resident: her cases are not found, her account untouched',
      async () => {
        const missing = await bobBrowser.get('/account/cases/PTH-0000-0000');
        assert.equal(missing.statusCode, 404);
        // Emailed links are tried with another resident's token in profile.test.ts.
        for (const route of SIGNED_IN.filter((r) => r.startsWith('GET') && !r.includes(':token')))
          for (const { url } of urls(route)) {
            const res = await bobBrowser.get(url);
            if (route === 'GET /account/cases/:ref') {
              assert.equal(res.statusCode, 404, url);
              assert.equal(
                screen(res.body).getByRole('heading', { level: 1 }).textContent,
                screen(missing.body).getByRole('heading', { level: 1 }).textContent,
                'someone else’s case looks exactly like one that does not exist',
              );
            } else assert.equal(res.statusCode, 200, url);
            for (const found of annCases) {
              assert.doesNotMatch(res.body, new RegExp(found.ref, 'i'), url);
              assert.doesNotMatch(res.body, new RegExp(found.title), url);
            }
            assert.doesNotMatch(res.body, new RegExp(ann.email), url);
          }

        // Bob's own sign-outs sign out Bob, never Ann.
        await bobBrowser.get('/account');
        assert.equal((await bobBrowser.post('/account/sign-out-everywhere', {})).statusCode, 303);
        assert.equal((await signIn(bobBrowser, bob)).statusCode, 303);
        await bobBrowser.get('/account');
        assert.equal((await bobBrowser.post('/account/sign-out', {})).statusCode, 303);
        assert.equal((await annBrowser.get('/account')).statusCode, 200, 'Ann is still signed in');
        for (const found of annCases)
          assert.equal(
            (await cases.getById(found.id))?.accountId,
            await idOf(ann.email),
            'her cases are still hers',
          );
      },
    );
  });
}
