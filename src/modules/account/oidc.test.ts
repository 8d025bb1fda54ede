/**
 * Signing in with an external identity provider, against a real OpenID Connect provider
 * (oidc-provider) listening on a local port: the app sends the browser there, the provider
 * signs in whichever test person it is told to, and sends the browser back to the callback.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import Provider from 'oidc-provider';
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

const PUBLIC_URL = 'http://localhost:3000';
const CALLBACK = '/account/sign-in/oidc/test/callback';
/** This site's key for the client that proves itself with private_key_jwt, as GOV.UK One Login needs. */
const SITE_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' });

interface Person {
  email: string;
  email_verified: boolean;
  name: string;
}

/**
 * An OpenID Connect provider with one client (this app). Its login page signs in
 * `provider.signingIn` at once, or, when that is 'cancel', reports that the person cancelled.
 */
async function startProvider(t: TestContext) {
  const people = new Map<string, Person>();
  const control: { signingIn: string } = { signingIn: '' };
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const issuer = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'shire',
        client_secret: 'a-client-secret-for-the-tests-only',
        redirect_uris: [`${PUBLIC_URL}${CALLBACK}`],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: 'shire-keyed',
        redirect_uris: [`${PUBLIC_URL}/account/sign-in/oidc/keyed/callback`],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...SITE_KEY.publicKey.export({ format: 'jwk' }), use: 'sig' }] },
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig' }] },
    cookies: { keys: ['cookie-key-for-the-tests-only'] },
    claims: { email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: (_ctx, sub) => {
      const person = people.get(sub);
      return person && { accountId: sub, claims: () => ({ sub, ...person }) };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    ttl: { Interaction: 600, Grant: 600, Session: 600, AccessToken: 600, IdToken: 600 },
  });
  const handle = provider.callback();

  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) {
      void handle(req, res);
      return;
    }
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (control.signingIn === 'cancel') {
        await provider.interactionFinished(req, res, {
          error: 'access_denied',
          error_description: 'The person cancelled',
        });
        return;
      }
      const accountId = control.signingIn;
      const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      grant.addOIDCScope('openid email profile');
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } });
    })();
  });

  return { issuer, people, control };
}
type TestProvider = Awaited<ReturnType<typeof startProvider>>;

/**
 * Clicks "Sign in with Test Login" and follows the redirects through the provider (a browser
 * of its own, keeping the provider's cookies) until it sends the visitor back to the app.
 * Returns the app's answer to the callback, and the callback's path.
 */
async function signInWithProvider(
  visitor: Visitor,
  options: { provider?: string; tamper?: (callback: URL) => void } = {},
) {
  const start = await visitor.get(`/account/sign-in/oidc/${options.provider ?? 'test'}`);
  assert.equal(start.statusCode, 303, start.body);
  let url = new URL(String(start.headers.location));
  const cookies = new Map<string, string>();
  for (let hops = 0; hops < 10; hops++) {
    if (url.origin === PUBLIC_URL) {
      options.tamper?.(url);
      return visitor.get(url.pathname + url.search);
    }
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const [name = '', value = ''] = pair.split(/=(.*)/s);
      if (value) cookies.set(name, value);
      else cookies.delete(name);
    }
    const location = res.headers.get('location');
    assert.ok(location, `${url.href} answered ${String(res.status)}: ${await res.text()}`);
    url = new URL(location, url);
  }
  assert.fail('too many redirects');
}

function appWith(t: TestContext, dialect: 'sqlite' | 'postgres', provider: TestProvider) {
  return buildTestApp(t, dialect, {
    PUBLIC_URL,
    OIDC_PROVIDERS: 'test,keyed,down',
    OIDC_TEST_NAME: 'Test Login',
    OIDC_TEST_ISSUER: provider.issuer,
    OIDC_TEST_CLIENT_ID: 'shire',
    OIDC_TEST_CLIENT_SECRET: 'a-client-secret-for-the-tests-only',
    OIDC_KEYED_NAME: 'Keyed Login',
    OIDC_KEYED_ISSUER: provider.issuer,
    OIDC_KEYED_CLIENT_ID: 'shire-keyed',
    OIDC_KEYED_PRIVATE_KEY: String(SITE_KEY.privateKey.export({ type: 'pkcs8', format: 'pem' })),
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
    const provider = await startProvider(t);
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
  assert.throws(
    () => testConfig(t, { OIDC_PROVIDERS: 'One Login' }),
    /environment variable OIDC_PROVIDERS: must be short lower-case names/,
  );
});
