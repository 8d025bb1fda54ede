import { createPrivateKey, webcrypto } from 'node:crypto';
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import type { OidcProvider } from '../../platform/config.js';
import type { DB } from '../../platform/db/types.js';
import type { SignInProof } from './current.js';
import * as identities from './oidc-queries.js';
import * as q from './queries.js';
import { toSignedIn, type LinkSignIn } from './service.js';

/** Why signing in with a provider did not work, each with its own page (oidc-routes.ts). */
export type ExternalSignInFailure =
  /** The provider could not be reached, or answered nonsense. */
  | 'unreachable'
  /** The person chose not to sign in, or not to share what we asked for. */
  | 'cancelled'
  /** The answer did not check out: a wrong or missing state, an expired or replayed code. */
  | 'refused'
  /** A person new to us whose provider has not confirmed their email address. */
  | 'email-not-verified';

export class ExternalSignInError extends Error {
  constructor(
    readonly failure: ExternalSignInFailure,
    options?: { cause?: unknown },
  ) {
    super(`external sign-in failed: ${failure}`, options);
    this.name = 'ExternalSignInError';
  }
}

/** What a sign-in started with a provider must be checked against when the person comes back. */
export interface PendingSignIn {
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string | null;
}

/** The person a provider vouches for. */
interface ExternalPerson {
  issuer: string;
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  name: string | undefined;
  /** The ID token's `amr` claim (RFC 8176), when it has one: how the provider checked them. */
  amr: unknown;
}

/** How long to wait for a provider before telling the person it cannot be reached, in seconds. */
const PROVIDER_TIMEOUT_S = 10;
const SCOPE = 'openid email profile';

/**
 * Signing in with an external identity provider by OpenID Connect (authorization code flow
 * with PKCE, state and nonce): GOV.UK One Login for residents, the council's Entra ID for
 * staff, or any other. openid-client does the checking; this decides which account the
 * person is — the one they signed in as before, else the account with the email address the
 * provider has verified, else a new one. No HTTP here beyond talking to the providers.
 */
export class ExternalSignIn {
  /** Discovery documents, fetched at first use; a failure is forgotten so the next try asks again. */
  private readonly discovered = new Map<string, Promise<client.Configuration>>();

  constructor(
    private readonly db: Kysely<DB>,
    readonly providers: readonly OidcProvider[],
    private readonly publicUrl: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  provider(id: string): OidcProvider | undefined {
    return this.providers.find((provider) => provider.id === id);
  }

  /** The address the provider sends people back to; register it with the provider. */
  callbackUrl(provider: OidcProvider): string {
    return `${this.publicUrl}/account/sign-in/oidc/${provider.id}/callback`;
  }

  /** Where to send the person to sign in, and what to keep in their session until they return. */
  async start(
    provider: OidcProvider,
    returnTo: string | null,
  ): Promise<{ url: URL; pending: PendingSignIn }> {
    const config = await this.configuration(provider);
    const pending: PendingSignIn = {
      provider: provider.id,
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
      returnTo,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.callbackUrl(provider),
      scope: SCOPE,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, pending };
  }

  /**
   * Checks the provider's answer at `callbackUrl` (state, issuer, code with the PKCE verifier,
   * the ID token's signature, audience and nonce) and signs in the account that person is,
   * linking or creating it if need be, saying whether the sign-in was multi-factor by the
   * council's identity provider. Throws ExternalSignInError when it does not work.
   */
  async finish(
    provider: OidcProvider,
    callbackUrl: URL,
    pending: PendingSignIn | undefined,
  ): Promise<Pick<LinkSignIn, 'account' | 'signedInAt' | 'returnTo'> & SignInProof> {
    if (pending?.provider !== provider.id) throw new ExternalSignInError('refused');
    const config = await this.configuration(provider);
    let person: ExternalPerson;
    try {
      const tokens = await client.authorizationCodeGrant(
        config,
        callbackUrl,
        {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        },
        { redirect_uri: this.callbackUrl(provider) },
      );
      const idToken = tokens.claims();
      if (!idToken) throw new ExternalSignInError('refused');
      // Providers put email and name in the ID token, the userinfo endpoint, or both.
      const userinfo = config.serverMetadata().userinfo_endpoint
        ? await client.fetchUserInfo(config, tokens.access_token, idToken.sub)
        : {};
      const claims: Record<string, unknown> = { ...idToken, ...userinfo };
      person = {
        issuer: idToken.iss,
        subject: idToken.sub,
        email: typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : undefined,
        emailVerified: claims.email_verified === true,
        name: nameFrom(claims),
        // From the signed ID token alone: userinfo is not where a provider vouches for a sign-in.
        amr: idToken.amr,
      };
    } catch (err) {
      throw toFailure(err);
    }
    return {
      ...(await this.signIn(person)),
      returnTo: pending.returnTo,
      method: `oidc:${provider.id}`,
      multiFactor: provider.trustedForStaff && multiFactorPerAmr(person.amr),
    };
  }

  /**
   * The account for the person, found, linked or created, signed in. Two first sign-ins by the
   * same new person at once (a double click): one makes the account, the other hits the unique
   * index, and a second look finds what the first made.
   */
  private async signIn(person: ExternalPerson) {
    try {
      return await this.signInOnce(person);
    } catch (err) {
      if (err instanceof ExternalSignInError) throw err;
      if (await identities.findIdentity(this.db, person.issuer, person.subject))
        return this.signInOnce(person);
      throw err;
    }
  }

  /** Finds, links or creates the account in one transaction. */
  private async signInOnce(person: ExternalPerson) {
    const now = this.clock();
    const at = now.toISOString();
    const account = await this.db.transaction().execute(async (trx) => {
      const known = await identities.findIdentity(trx, person.issuer, person.subject);
      if (known) {
        await identities.touchIdentity(trx, known.id, at);
        return q.updateAccount(trx, known.account_id, { last_signed_in_at: at, updated_at: at });
      }
      // Only an address the provider has checked may join someone to an account, or name a new one.
      if (!person.email || !person.emailVerified)
        throw new ExternalSignInError('email-not-verified');
      const existing = await q.findAccountByEmail(trx, person.email);
      const row = existing
        ? await q.updateAccount(trx, existing.id, {
            email_verified_at: existing.email_verified_at ?? at,
            // An unconfirmed sign-up is named by whoever asked last; the provider knows better.
            ...(!existing.email_verified_at && person.name ? { name: person.name } : {}),
            last_signed_in_at: at,
            updated_at: at,
          })
        : await q.insertAccount(trx, {
            email: person.email,
            name: person.name ?? null,
            email_verified_at: at,
            password_hash: null,
            totp_secret: null,
            sessions_valid_after: at,
            last_signed_in_at: at,
            created_at: at,
            updated_at: at,
          });
      await identities.insertIdentity(trx, {
        account_id: row.id,
        issuer: person.issuer,
        subject: person.subject,
        at,
      });
      await q.claimCases(trx, row.id, row.email);
      return row;
    });
    return { account: toSignedIn(account), signedInAt: now };
  }

  private configuration(provider: OidcProvider): Promise<client.Configuration> {
    let config = this.discovered.get(provider.id);
    if (!config) {
      const issuer = new URL(provider.issuer);
      config = clientAuthentication(provider)
        .then((auth) =>
          client.discovery(issuer, provider.clientId, undefined, auth, {
            timeout: PROVIDER_TIMEOUT_S,
            // Config allows plain http only for a provider on this machine (a test or a dev stand-in).
            // eslint-disable-next-line @typescript-eslint/no-deprecated -- deprecated only to stand out
            ...(issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
          }),
        )
        .catch((err: unknown) => {
          this.discovered.delete(provider.id);
          throw new ExternalSignInError('unreachable', { cause: err });
        });
      this.discovered.set(provider.id, config);
    }
    return config;
  }
}

/** A client secret, or a client assertion signed with our private key (RS256 or ES256). */
async function clientAuthentication(provider: OidcProvider): Promise<client.ClientAuth> {
  if ('clientSecret' in provider.credential)
    return client.ClientSecretPost(provider.credential.clientSecret);
  const key = createPrivateKey(provider.credential.privateKeyPem);
  const algorithm =
    key.asymmetricKeyType === 'ec'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    key.export({ type: 'pkcs8', format: 'der' }),
    algorithm,
    false,
    ['sign'],
  );
  return client.PrivateKeyJwt(signingKey);
}

/**
 * Whether a sign-in with the council's identity provider counts as multi-factor. That provider
 * is trusted to enforce its own policy (Entra ID's conditional access, say), so an ID token
 * that does not say how the person signed in is taken at the provider's word. One that does say,
 * with `amr`, must include 'mfa' (RFC 8176: "multiple-factor authentication"): ['pwd'] alone is
 * a sign-in the provider let through on a password, which Shire's own two-factor must then make
 * up for. Lists of other methods ('otp', 'hwk', 'sms'…) without 'mfa' are not added up here:
 * a provider that counts them as multi-factor says so with 'mfa', and guessing could only weaken
 * the rule.
 */
function multiFactorPerAmr(amr: unknown): boolean {
  if (amr === undefined) return true;
  return Array.isArray(amr) && amr.includes('mfa');
}

function nameFrom(claims: Record<string, unknown>): string | undefined {
  const text = (value: unknown) =>
    typeof value === 'string' && value.trim() ? value.trim() : undefined;
  const given = text(claims.given_name);
  const family = text(claims.family_name);
  return text(claims.name) ?? (given && family ? `${given} ${family}` : (given ?? family));
}

/** What went wrong, in the terms the pages use. */
function toFailure(err: unknown): ExternalSignInError {
  if (err instanceof ExternalSignInError) return err;
  if (err instanceof client.AuthorizationResponseError)
    return new ExternalSignInError(
      err.error === 'access_denied' || err.error === 'consent_required' ? 'cancelled' : 'refused',
      { cause: err },
    );
  // openid-client's own checks (state, issuer, nonce, signature) and the provider's refusals.
  if (err instanceof client.ClientError || err instanceof client.ResponseBodyError)
    return new ExternalSignInError('refused', { cause: err });
  return new ExternalSignInError('unreachable', { cause: err });
}
