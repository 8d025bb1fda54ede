import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ModuleOptions } from '../../app.js';
import type { Session } from '../../platform/http/session.js';
import { safeReturnPath } from './inputs.js';
import type { SignedInAccount } from './service.js';

export type { SignedInAccount } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The resident signed in on this request's session, or null. */
    account: SignedInAccount | null;
    /** How they signed in, whenever `account` is set; null when it is not. */
    signIn: SignInProof | null;
  }
}

/** How a person signed in: 'password', an emailed 'link', or an identity provider 'oidc:<id>'. */
export type SignInMethod = 'password' | 'link' | `oidc:${string}`;

/** How a session was signed in. */
export interface SignInProof {
  method: SignInMethod;
  /**
   * A second factor was checked too: Shire's own two-factor, or the council's identity
   * provider's multi-factor sign-in (oidc.ts). Either is what staff must sign in with.
   */
  multiFactor: boolean;
}

export function isSignInMethod(value: unknown): value is SignInMethod {
  return (
    value === 'password' ||
    value === 'link' ||
    (typeof value === 'string' && /^oidc:[a-z][a-z0-9]*$/.test(value))
  );
}

/** A signed-in session ends after this long without a request… */
export const IDLE_TIMEOUT_MS = 30 * 60_000;
/** …and this long after signing in, however busy. */
export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60_000;
/** Saving "last seen" on every request would write the session every time; a minute's slack is fine. */
const TOUCH_AFTER_MS = 60_000;

const SIGN_IN = 'signIn';
const SIGNED_OUT = 'signedOutBecause';

interface StoredSignIn extends SignInProof {
  accountId: number;
  signedInAt: number;
  lastSeenAt: number;
}

/** Why a resident who did not sign out is no longer signed in, to tell them on the sign-in page. */
export type SignedOutReason = 'idle' | 'too-long' | 'elsewhere';

function storedSignIn(value: unknown): StoredSignIn | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { accountId, signedInAt, lastSeenAt, method, multiFactor } = value as Record<
    string,
    unknown
  >;
  if (
    typeof accountId !== 'number' ||
    typeof signedInAt !== 'number' ||
    typeof lastSeenAt !== 'number'
  )
    return undefined;
  // A sign-in stored before the method was recorded stays signed in, vouched for by nothing more
  // than a password: the safe reading, as it grants nothing a second factor would.
  return isSignInMethod(method)
    ? { accountId, signedInAt, lastSeenAt, method, multiFactor: multiFactor === true }
    : { accountId, signedInAt, lastSeenAt, method: 'password', multiFactor: false };
}

/** Signs the resident in on this session, under a new session id so a planted one is worthless. */
export function signInSession(
  session: Session,
  accountId: number,
  at: Date,
  { method, multiFactor }: SignInProof,
): void {
  session.regenerate();
  session.delete(SIGNED_OUT);
  const signIn: StoredSignIn = {
    accountId,
    signedInAt: at.getTime(),
    lastSeenAt: at.getTime(),
    method,
    multiFactor,
  };
  session.set(SIGN_IN, signIn);
}

/** The reason the resident was signed out without asking, once: reading it forgets it. */
export function takeSignedOutReason(session: Session): SignedOutReason | undefined {
  const reason = session.get(SIGNED_OUT);
  if (reason === undefined) return undefined;
  session.delete(SIGNED_OUT);
  return reason === 'idle' || reason === 'too-long' || reason === 'elsewhere' ? reason : undefined;
}

/**
 * Sets `request.account` on every request from the session: null when nobody is signed in,
 * the sign-in has timed out (idle or absolute), or it was ended from elsewhere ("sign out of
 * all devices", a new password). Signed-out requests cost nothing: the database is asked only
 * when the session holds a sign-in. Wrapped with fastify-plugin so it applies app-wide.
 */
export const accountPlugin = fp(
  (app: FastifyInstance, { services }: ModuleOptions, done: () => void) => {
    const { accounts } = services;
    app.decorateRequest('account', null);
    app.decorateRequest('signIn', null);

    app.addHook('onRequest', async (request) => {
      const { session } = request;
      const signIn = storedSignIn(session.get(SIGN_IN));
      if (!signIn) return;
      const now = accounts.now().getTime();
      const signOut = (reason: SignedOutReason) => {
        session.delete(SIGN_IN);
        session.set(SIGNED_OUT, reason);
      };
      if (now - signIn.lastSeenAt > IDLE_TIMEOUT_MS) {
        signOut('idle');
        return;
      }
      if (now - signIn.signedInAt > ABSOLUTE_TIMEOUT_MS) {
        signOut('too-long');
        return;
      }
      const account = await accounts.forSession(signIn.accountId, new Date(signIn.signedInAt));
      if (!account) {
        signOut('elsewhere');
        return;
      }
      request.account = account;
      request.signIn = { method: signIn.method, multiFactor: signIn.multiFactor };
      if (now - signIn.lastSeenAt > TOUCH_AFTER_MS)
        session.set(SIGN_IN, { ...signIn, lastSeenAt: now });
    });
    done();
  },
  { name: 'shire-account', dependencies: ['shire-session'] },
);

/** Sends anyone not signed in to sign in, coming back here afterwards if it was a page. */
export async function signedInOnly(request: FastifyRequest, reply: FastifyReply) {
  if (request.account) return;
  const here = safeReturnPath(request.url);
  const returnTo = request.method === 'GET' && here && here !== '/account' ? here : undefined;
  return reply.redirect(
    returnTo ? `/account/sign-in?returnTo=${encodeURIComponent(returnTo)}` : '/account/sign-in',
    303,
  );
}

/** The resident signed in on this request, on routes behind `signedInOnly`. */
export function resident({ account }: FastifyRequest): SignedInAccount {
  if (!account) throw new Error('a signed-in route was reached without a signed-in resident');
  return account;
}

/** How the resident on this request signed in, on routes behind `signedInOnly`. */
export function signInProof({ signIn }: FastifyRequest): SignInProof {
  if (!signIn) throw new Error('a signed-in route was reached without a signed-in resident');
  return signIn;
}
