/**
 * A real OpenID Connect provider (oidc-provider) on a local port, for signing in with an
 * identity provider: the app sends the browser there, the provider signs in whichever test
 * person it is told to, and sends the browser back to the callback.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import Provider from 'oidc-provider';
import type { Visitor } from './helper.js';

/** The app's PUBLIC_URL in these tests: the callbacks the provider knows are under it. */
export const FAKE_OIDC_PUBLIC_URL = 'http://localhost:3000';
/** This site's key for the client that proves itself with private_key_jwt, as GOV.UK One Login needs. */
export const FAKE_OIDC_SITE_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' });

export interface FakeOidcPerson {
  email: string;
  email_verified: boolean;
  name: string;
}

/** Who the provider's login page signs in next, and how it says they signed in. */
export interface FakeOidcControl {
  /** A person's subject in `people`, or 'cancel': the person cancels instead. */
  signingIn: string;
  /** The ID token's `amr` claim (RFC 8176), e.g. ['pwd', 'mfa']; none when undefined. */
  amr?: string[] | undefined;
}

/**
 * An OpenID Connect provider with two clients: 'shire' (a client secret) whose callbacks are
 * those of each of `providerIds` as this app names its providers, and 'shire-keyed'
 * (private_key_jwt) for the provider the app calls 'keyed'. Its login page signs in
 * `control.signingIn` at once, or, when that is 'cancel', reports that the person cancelled.
 */
export async function startFakeOidcProvider(
  t: TestContext,
  { providerIds = ['test'] }: { providerIds?: string[] } = {},
) {
  const people = new Map<string, FakeOidcPerson>();
  const control: FakeOidcControl = { signingIn: '' };
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const issuer = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  const callback = (id: string) => `${FAKE_OIDC_PUBLIC_URL}/account/sign-in/oidc/${id}/callback`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'shire',
        client_secret: 'a-client-secret-for-the-tests-only',
        redirect_uris: providerIds.map(callback),
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: 'shire-keyed',
        redirect_uris: [callback('keyed')],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...FAKE_OIDC_SITE_KEY.publicKey.export({ format: 'jwk' }), use: 'sig' }] },
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig' }] },
    cookies: { keys: ['cookie-key-for-the-tests-only'] },
    // With the openid scope, so the ID token carries amr whenever the login gave one.
    claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'], profile: ['name'] },
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
      await provider.interactionFinished(req, res, {
        login: { accountId, ...(control.amr ? { amr: control.amr } : {}) },
        consent: { grantId },
      });
    })();
  });

  return { issuer, people, control };
}
export type FakeOidcProvider = Awaited<ReturnType<typeof startFakeOidcProvider>>;

/**
 * Clicks "Sign in with …" for `provider` (the app's name for it, 'test' unless given) and
 * follows the redirects through the provider (a browser of its own, keeping the provider's
 * cookies) until it sends the visitor back to the app. Returns the app's answer to the callback.
 */
export async function signInWithProvider(
  visitor: Visitor,
  options: { provider?: string; returnTo?: string; tamper?: (callback: URL) => void } = {},
) {
  const query = options.returnTo ? `?returnTo=${encodeURIComponent(options.returnTo)}` : '';
  const start = await visitor.get(`/account/sign-in/oidc/${options.provider ?? 'test'}${query}`);
  assert.equal(start.statusCode, 303, start.body);
  let url = new URL(String(start.headers.location));
  const cookies = new Map<string, string>();
  for (let hops = 0; hops < 10; hops++) {
    if (url.origin === FAKE_OIDC_PUBLIC_URL) {
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
