import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ModuleOptions } from '../../app.js';
import type { Session } from '../../platform/http/session.js';
import { isSignInMethod, type SignInMethod, type SignInProof } from './current.js';
import { errorSummary, passwordInput, readPassword, safeReturnPath } from './inputs.js';
import { SIGN_IN_THROTTLE, type LinkSignIn, type SignedInAccount } from './service.js';

type Body = Record<string, unknown>;
type SignIn = Pick<LinkSignIn, 'account' | 'signedInAt'> & SignInProof;

/** Where a sign-in waiting for its second factor goes. */
export const SECOND_FACTOR_PATH = '/account/sign-in/two-factor';
const SET_UP_PATH = '/account/two-factor/set-up';

/** A sign-in that has passed its first factor and waits for the second. */
const PENDING = 'twoFactorPending';
/** The secret being set up, sealed, until the resident confirms it with a code. */
const SETTING_UP = 'twoFactorSettingUp';
/** New recovery codes, held only until the page after set-up shows them. */
const NEW_CODES = 'twoFactorNewCodes';
/** After this long, the second factor has to follow a fresh first one. */
const PENDING_LIFETIME_MS = 10 * 60_000;

const LIMIT = { rateLimit: { max: 30, timeWindow: 15 * 60_000 } };

const ERRORS = {
  empty: 'Enter the 6-digit code from your authenticator app',
  wrong: 'The code is not right. Enter the code your app shows now',
  throttled: `You have entered too many wrong codes. Wait ${SIGN_IN_THROTTLE.windowMs / 60_000} minutes, then try again.`,
  emptyForSignIn: 'Enter the 6-digit code from your authenticator app, or a recovery code',
  emptyForTurnOff: 'Enter the 6-digit code from your authenticator app, or your password',
  wrongPassword: 'The password is not right',
  required: 'Staff accounts must keep two-factor authentication on',
};

interface PendingSignIn {
  account: SignedInAccount;
  signedInAt: number;
  method: SignInMethod;
  startedAt: number;
  returnTo: string | null;
  flash: string | null;
}

function pendingSignIn(value: unknown, now: number): PendingSignIn | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const pending = value as Partial<PendingSignIn>;
  const { account } = pending;
  if (
    typeof account?.id !== 'number' ||
    typeof pending.signedInAt !== 'number' ||
    typeof pending.startedAt !== 'number' ||
    !isSignInMethod(pending.method) ||
    now - pending.startedAt > PENDING_LIFETIME_MS
  )
    return undefined;
  return {
    account,
    signedInAt: pending.signedInAt,
    method: pending.method,
    startedAt: pending.startedAt,
    returnTo: typeof pending.returnTo === 'string' ? pending.returnTo : null,
    flash: typeof pending.flash === 'string' ? pending.flash : null,
  };
}

/**
 * Called where a sign-in would complete: when the account has two-factor on, the session is
 * not signed in but holds the sign-in until the second factor is given, and this returns true.
 * Staff who signed in multi-factor with the council's identity provider have given it already;
 * a resident who turned two-factor on is asked for it however they signed in.
 */
export async function holdForSecondFactor(
  { services }: ModuleOptions,
  session: Session,
  result: SignIn,
  returnTo: string | null | undefined,
  flash: string | undefined,
): Promise<boolean> {
  if (result.multiFactor && result.account.role !== 'resident') return false;
  if (!(await services.twoFactor.status(result.account.id)).on) return false;
  // A new id now too: the half-signed-in session must not be one someone planted.
  session.regenerate();
  const pending: PendingSignIn = {
    account: result.account,
    signedInAt: result.signedInAt.getTime(),
    method: result.method,
    startedAt: services.twoFactor.now().getTime(),
    returnTo: returnTo ?? null,
    flash: flash ?? null,
  };
  session.set(PENDING, pending);
  return true;
}

/**
 * Staff sign in with a second factor: Shire's two-factor, or the council's identity provider's
 * multi-factor sign-in. A member of staff signed in with neither, who has not set up Shire's,
 * is sent to set it up. For preHandler hooks: the account module's gate below, the back office.
 */
export async function sendStaffToSetUpTwoFactor(
  { services }: Pick<ModuleOptions, 'services'>,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  if (!request.account || request.signIn?.multiFactor) return undefined;
  if (await services.twoFactor.mustSetUp(request.account.id))
    return reply.redirect(SET_UP_PATH, 303);
  return undefined;
}

/**
 * Staff accounts must use two-factor: until it is set up, every account page sends them to
 * set it up. Wrapped with fastify-plugin so the hook covers the whole account module; register
 * it before the module's other routes.
 */
export const twoFactorGate = fp(
  (app: FastifyInstance, options: ModuleOptions, done: () => void) => {
    app.addHook('preHandler', async (request, reply) => {
      const path = request.url.split('?')[0] ?? '';
      if (/^\/account\/(two-factor|sign-out|signed-out)(\/|-|$)/.test(path)) return;
      return sendStaffToSetUpTwoFactor(options, request, reply);
    });
    done();
  },
  { name: 'shire-account-two-factor-gate' },
);

export interface TwoFactorRouteOptions extends ModuleOptions {
  /** Signs the session in and moves on, as a sign-in without two-factor does. */
  finishSignIn: (
    request: FastifyRequest,
    reply: FastifyReply,
    result: SignIn,
    returnTo: string | null | undefined,
    flash?: string,
  ) => Promise<FastifyReply>;
}

/**
 * Two-factor pages: the second step of signing in, and — signed in — setting it up (secret as
 * text and QR code, confirmed with a code, then recovery codes shown once) and turning it off.
 */
export function twoFactorRoutes(
  app: FastifyInstance,
  options: TwoFactorRouteOptions,
  done: () => void,
): void {
  const { twoFactor } = options.services;

  const signedIn = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.account) return;
    const here = request.method === 'GET' ? safeReturnPath(request.url) : undefined;
    return reply.redirect(
      here ? `/account/sign-in?returnTo=${encodeURIComponent(here)}` : '/account/sign-in',
      303,
    );
  };
  const resident = ({ account }: FastifyRequest): SignedInAccount => {
    if (!account) throw new Error('two-factor page reached without a signed-in resident');
    return account;
  };
  /** A code box; only numbers unless a recovery code (letters and numbers) is allowed too. */
  const codeInput = (label: string, error?: string, hint?: string) => ({
    id: 'code',
    name: 'code',
    label: { text: label, classes: 'govuk-label--s' },
    classes: 'govuk-input--width-10',
    autocomplete: 'one-time-code',
    spellcheck: false,
    ...(hint ? {} : { inputmode: 'numeric' }),
    ...(hint ? { hint: { text: hint } } : {}),
    ...(error ? { errorMessage: { text: error } } : {}),
  });
  const readCode = (body: Body) => (typeof body.code === 'string' ? body.code.trim() : '');

  // ---- The second step of signing in -------------------------------------------------------

  const secondFactorPage = (reply: FastifyReply, error?: string, status = error ? 400 : 200) =>
    reply.code(status).render('account/views/two-factor-sign-in.njk', {
      pageTitle: 'Enter the code from your authenticator app',
      code: codeInput(
        'Code',
        error,
        'If you cannot use your app, enter one of your recovery codes instead. Each one works once.',
      ),
      errorSummary: errorSummary({ code: error }),
    });

  app.get(SECOND_FACTOR_PATH, (request, reply) => {
    if (!pendingSignIn(request.session.get(PENDING), twoFactor.now().getTime()))
      return reply.redirect('/account/sign-in', 303);
    return secondFactorPage(reply);
  });

  app.post<{ Body: Body }>(SECOND_FACTOR_PATH, { config: LIMIT }, async (request, reply) => {
    const pending = pendingSignIn(request.session.get(PENDING), twoFactor.now().getTime());
    if (!pending) return reply.redirect('/account/sign-in', 303);
    const code = readCode(request.body);
    if (!code) return secondFactorPage(reply, ERRORS.emptyForSignIn);
    const checked = await twoFactor.check(pending.account.id, code);
    if (checked === 'throttled') return secondFactorPage(reply, ERRORS.throttled, 429);
    if (checked === 'wrong') return secondFactorPage(reply, ERRORS.wrong);
    request.session.delete(PENDING);
    return options.finishSignIn(
      request,
      reply,
      {
        account: pending.account,
        signedInAt: new Date(pending.signedInAt),
        method: pending.method,
        multiFactor: true,
      },
      pending.returnTo,
      pending.flash ?? undefined,
    );
  });

  // ---- Setting it up, and turning it off ------------------------------------------------------

  const statusPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    errors: { code?: string; password?: string } = {},
    status = Object.keys(errors).length ? 400 : 200,
  ) => {
    const account = resident(request);
    const newCodes = request.session.get(NEW_CODES);
    if (newCodes !== undefined) request.session.delete(NEW_CODES);
    return reply.code(status).render('account/views/two-factor-status.njk', {
      pageTitle: 'Two-factor authentication',
      status: await twoFactor.status(account.id),
      newCodes: Array.isArray(newCodes) ? newCodes : undefined,
      code: codeInput('Code from your authenticator app', errors.code),
      hasPassword: await twoFactor.hasPassword(account.id),
      password: passwordInput({
        label: 'Or your password',
        autocomplete: 'current-password',
        error: errors.password,
      }),
      errorSummary: errorSummary(errors),
    });
  };

  app.get('/account/two-factor', { preHandler: signedIn }, (request, reply) =>
    statusPage(request, reply),
  );

  const setUpPage = async (request: FastifyRequest, reply: FastifyReply, error?: string) => {
    const account = resident(request);
    const setUp = await twoFactor.startSetUp(account.email, request.session.get(SETTING_UP));
    request.session.set(SETTING_UP, setUp.sealed);
    return reply.code(error ? 400 : 200).render('account/views/two-factor-set-up.njk', {
      pageTitle: 'Set up two-factor authentication',
      setUp,
      // Staff signed in multi-factor by the council's identity provider may, but need not yet.
      required: (await twoFactor.status(account.id)).required && !request.signIn?.multiFactor,
      code: codeInput('Enter the 6-digit code from your app', error),
      errorSummary: errorSummary({ code: error }),
    });
  };

  app.get(SET_UP_PATH, { preHandler: signedIn }, async (request, reply) => {
    if ((await twoFactor.status(resident(request).id)).on)
      return reply.redirect('/account/two-factor', 303);
    return setUpPage(request, reply);
  });

  app.post<{ Body: Body }>(
    SET_UP_PATH,
    { preHandler: signedIn, config: LIMIT },
    async (request, reply) => {
      const account = resident(request);
      if ((await twoFactor.status(account.id)).on)
        return reply.redirect('/account/two-factor', 303);
      const code = readCode(request.body);
      if (!code) return setUpPage(request, reply, ERRORS.empty);
      const codes = await twoFactor.turnOn(account.id, request.session.get(SETTING_UP), code);
      if (!codes) return setUpPage(request, reply, ERRORS.wrong);
      request.session.delete(SETTING_UP);
      request.session.set(NEW_CODES, codes);
      return reply.redirect('/account/two-factor', 303);
    },
  );

  app.post<{ Body: Body }>(
    '/account/two-factor/turn-off',
    { preHandler: signedIn, config: LIMIT },
    async (request, reply) => {
      const account = resident(request);
      const code = readCode(request.body);
      const password = readPassword(request.body);
      if (!code && !password) return statusPage(request, reply, { code: ERRORS.emptyForTurnOff });
      const result = await twoFactor.turnOff(account.id, code ? { code } : { password });
      if (result === 'required') return statusPage(request, reply, { code: ERRORS.required });
      if (result === 'throttled')
        return statusPage(request, reply, { code: ERRORS.throttled }, 429);
      if (result === 'wrong')
        return statusPage(
          request,
          reply,
          code ? { code: ERRORS.wrong } : { password: ERRORS.wrongPassword },
        );
      return reply.redirect('/account/two-factor', 303);
    },
  );
  done();
}
