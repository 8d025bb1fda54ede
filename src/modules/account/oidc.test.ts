/**
 * Signing in with an external identity provider, against a real OpenID Connect provider
 * (oidc-provider, test/fake-oidc.ts) listening on a local port.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import {
  FAKE_OIDC_PUBLIC_URL,
  FAKE_OIDC_SITE_KEY,
  signInWithProvider,
  startFakeOidcProvider,
  type FakeOidcProvider,
} from '../../../test/fake-oidc.js';
import {
  buildTestApp,
  dialects,
  screen,
  testConfig,
  Visitor,
  type TestApp,
} from '../../../test/helper.js';
import { CaseService } from '../cases/service.js';
import { newResident, signUp } from './testing.js';

const CALLBACK = '/account/sign-in/oidc/test/callback';

function appWith(t: TestContext, dialect: 'sqlite' | 'postgres', provider: FakeOidcProvider) {
  return buildTestApp(t, dialect, {
    PUBLIC_URL: FAKE_OIDC_PUBLIC_URL,
    OIDC_PROVIDERS: 'test,keyed,down',
    OIDC_TEST_NAME: 'Test Login',
    OIDC_TEST_ISSUER: provider.issuer,
    OIDC_TEST_CLIENT_ID: 'shire',
    OIDC_TEST_CLIENT_SECRET: 'a-client-secret-for-the-tests-only',
    OIDC_KEYED_NAME: 'Keyed Login',
    OIDC_KEYED_ISSUER: provider.issuer,
    OIDC_KEYED_CLIENT_ID: 'shire-keyed',
    OIDC_KEYED_PRIVATE_KEY: String(
      FAKE_OIDC_SITE_KEY.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    ),
    // Nothing listens on port 9 (discard): a provider that cannot be reached.
    OIDC_DOWN_NAME: 'Down Login',
    OIDC_DOWN_ISSUER: 'http://127.0.0.1:9',
    OIDC_DOWN_CLIENT_ID: 'shire',
    OIDC_DOWN_CLIENT_SECRET: 'never-used',
  });
}

async function accountsWith(app: TestApp, email: string) {
  return app.database.db.selectFrom('accounts').selectAll().where('email', '=', email).execute();
}

async function identitiesOf(app: TestApp, accountId: number) {
  return app.database.db
    .selectFrom('account_identities')
    .selectAll()
    .where('account_id', '=', accountId)
    .execute();
}

for (const dialect of dialects()) {
  await test(`sign in with an identity provider on ${dialect}`, async (t) => {
    const provider = await startFakeOidcProvider(t);
    const app = await appWith(t, dialect, provider);

    await t.test('the sign-in page has a button for each provider', async () => {
      const signIn = await new Visitor(app.app).get('/account/sign-in?returnTo=/account/cases');
      const page = screen(signIn.body);
      assert.equal(
        page.getByRole('button', { name: 'Sign in with Test Login' }).getAttribute('href'),
        '/account/sign-in/oidc/test?returnTo=%2Faccount%2Fcases',
      );
      page.getByRole('button', { name: 'Sign in with Down Login' });
    });

    await t.test('a new person gets an account, signed in, with their cases', async () => {
      provider.people.set('sub-ann', {
        email: 'Ann.New@example.org',
        email_verified: true,
        name: 'Ann New',
      });
      provider.control.signingIn = 'sub-ann';
      const reported = await new CaseService(app.database.db).openCase({
        serviceCode: 'report-a-pothole',
        refPrefix: 'PTH',
        kind: 'report',
        channel: 'web',
        title: 'A pothole',
        contact: { email: 'ann.new@example.org' },
        actor: { type: 'resident' },
      });

      const visitor = new Visitor(app.app);
      const back = await signInWithProvider(visitor);
      assert.equal(back.statusCode, 303, back.body);
      assert.equal(back.headers.location, '/account');
      const dashboard = await visitor.get('/account');
      assert.equal(dashboard.statusCode, 200);
      assert.match(dashboard.body, /Ann New/);

      const [account, ...others] = await accountsWith(app, 'ann.new@example.org');
      assert.ok(account);
      assert.equal(others.length, 0);
      assert.equal(account.name, 'Ann New');
      assert.notEqual(account.email_verified_at, null);
      assert.equal(account.password_hash, null);
      const identities = await identitiesOf(app, account.id);
      assert.deepEqual(
        identities.map(({ issuer, subject }) => ({ issuer, subject })),
        [{ issuer: provider.issuer, subject: 'sub-ann' }],
      );
      const claimed = await new CaseService(app.database.db).getById(reported.id);
      assert.equal(claimed?.accountId, account.id);
    });

    await t.test('signing in again finds the same account', async () => {
      // The provider now says a different address: the subject, not the email, says who it is.
      provider.people.set('sub-ann', {
        email: 'ann.moved@example.org',
        email_verified: true,
        name: 'Ann New',
      });
      provider.control.signingIn = 'sub-ann';
      const visitor = new Visitor(app.app);
      const back = await signInWithProvider(visitor);
      assert.equal(back.statusCode, 303, back.body);
      const [account] = await accountsWith(app, 'ann.new@example.org');
      assert.ok(account);
      assert.equal((await identitiesOf(app, account.id)).length, 1);
      assert.equal((await accountsWith(app, 'ann.moved@example.org')).length, 0);
      assert.match((await visitor.get('/account')).body, /Ann New/);
    });

    await t.test('an account with the same verified address is linked', async () => {
      const bob = newResident('Bob Password');
      await signUp(app, new Visitor(app.app), bob);
      const [existing] = await accountsWith(app, bob.email);
      assert.ok(existing);
      provider.people.set('sub-bob', { email: bob.email, email_verified: true, name: 'Robert' });
      provider.control.signingIn = 'sub-bob';

      const visitor = new Visitor(app.app);
      const back = await signInWithProvider(visitor);
      assert.equal(back.statusCode, 303, back.body);
      assert.equal((await accountsWith(app, bob.email)).length, 1);
      const [identity] = await identitiesOf(app, existing.id);
      assert.equal(identity?.subject, 'sub-bob');
      // Their own name for themselves stays.
      assert.match((await visitor.get('/account')).body, /Bob Password/);
    });

    await t.test('a provider can need a signed client assertion, not a secret', async () => {
      provider.people.set('sub-kit', {
        email: 'kit@example.org',
        email_verified: true,
        name: 'Kit Keyed',
      });
      provider.control.signingIn = 'sub-kit';
      const visitor = new Visitor(app.app);
      const back = await signInWithProvider(visitor, { provider: 'keyed' });
      assert.equal(back.statusCode, 303, back.body);
      assert.match((await visitor.get('/account')).body, /Kit Keyed/);
    });

    await t.test('an address the provider has not verified links nothing', async () => {
      provider.people.set('sub-eve', {
        email: 'eve@example.org',
        email_verified: false,
        name: 'Eve',
      });
      provider.control.signingIn = 'sub-eve';
      const visitor = new Visitor(app.app);
      const back = await signInWithProvider(visitor);
      assert.equal(back.statusCode, 400);
      const page = screen(back.body);
      page.getByRole('heading', { name: 'We could not sign you in with Test Login' });
      assert.equal((await accountsWith(app, 'eve@example.org')).length, 0);
    });

    await t.test('a tampered state is refused', async () => {
      provider.control.signingIn = 'sub-ann';
      const visitor = new Visitor(app.app);
      const back = await signInWithProvider(visitor, {
        tamper: (callback) => {
          callback.searchParams.set('state', 'not-the-state-we-sent');
        },
      });
      assert.equal(back.statusCode, 400);
      const page = screen(back.body);
      page.getByRole('heading', { name: 'We could not sign you in with Test Login' });
      assert.equal(
        page.getByRole('link', { name: 'Go back to sign in' }).getAttribute('href'),
        '/account/sign-in',
      );
      assert.equal((await visitor.get('/account')).statusCode, 303);
    });

    await t.test('a callback with no sign-in started is refused', async () => {
      const visitor = new Visitor(app.app);
      const back = await visitor.get(`${CALLBACK}?code=made-up&state=made-up`);
      assert.equal(back.statusCode, 400);
    });

    await t.test('a person who cancels is told so', async () => {
      provider.control.signingIn = 'cancel';
      const back = await signInWithProvider(new Visitor(app.app));
      assert.equal(back.statusCode, 400);
      screen(back.body).getByRole('heading', {
        name: 'You did not finish signing in with Test Login',
      });
    });

    await t.test('a provider that cannot be reached gets a page, not a crash', async () => {
      const started = await new Visitor(app.app).get('/account/sign-in/oidc/down');
      assert.equal(started.statusCode, 503);
      screen(started.body).getByRole('heading', {
        name: 'Sorry, you cannot sign in with Down Login at the moment',
      });
    });

    await t.test('an unknown provider is not found', async () => {
      const visitor = new Visitor(app.app);
      assert.equal((await visitor.get('/account/sign-in/oidc/nobody')).statusCode, 404);
      assert.equal((await visitor.get('/account/sign-in/oidc/nobody/callback')).statusCode, 404);
    });
  });
}

await test('provider settings are checked at start, naming the variable', (t) => {
  assert.throws(
    () => testConfig(t, { OIDC_PROVIDERS: 'onelogin' }),
    /^ConfigError: environment variable OIDC_ONELOGIN_NAME: must be set/,
  );
  assert.throws(
    () =>
      testConfig(t, {
        OIDC_PROVIDERS: 'onelogin',
        OIDC_ONELOGIN_NAME: 'GOV.UK One Login',
        OIDC_ONELOGIN_ISSUER: 'http://oidc.account.gov.uk/',
        OIDC_ONELOGIN_CLIENT_ID: 'id',
        OIDC_ONELOGIN_CLIENT_SECRET: 'secret',
      }),
    /OIDC_ONELOGIN_ISSUER: must be https:\/\//,
  );
  assert.throws(
    () =>
      testConfig(t, {
        OIDC_PROVIDERS: 'onelogin',
        OIDC_ONELOGIN_NAME: 'GOV.UK One Login',
        OIDC_ONELOGIN_ISSUER: 'https://oidc.account.gov.uk/',
        OIDC_ONELOGIN_CLIENT_ID: 'id',
        OIDC_ONELOGIN_PRIVATE_KEY: 'not a key',
      }),
    /OIDC_ONELOGIN_PRIVATE_KEY: must be a PEM private key/,
  );
  const entra = {
    OIDC_PROVIDERS: 'entra',
    OIDC_ENTRA_NAME: 'Westmoor staff sign-in',
    OIDC_ENTRA_ISSUER: 'https://login.microsoftonline.com/tenant/v2.0',
    OIDC_ENTRA_CLIENT_ID: 'id',
    OIDC_ENTRA_CLIENT_SECRET: 'secret',
  };
  assert.throws(
    () => testConfig(t, { ...entra, OIDC_ENTRA_STAFF: 'maybe' }),
    /^ConfigError: environment variable OIDC_ENTRA_STAFF: must be true or false/,
  );
  assert.equal(testConfig(t, entra).oidcProviders[0]?.trustedForStaff, false);
  assert.equal(
    testConfig(t, { ...entra, OIDC_ENTRA_STAFF: 'true' }).oidcProviders[0]?.trustedForStaff,
    true,
  );
  assert.throws(
    () => testConfig(t, { OIDC_PROVIDERS: 'One Login' }),
    /environment variable OIDC_PROVIDERS: must be short lower-case names/,
  );
});
