import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import { ValidationError } from '../../platform/errors.js';
import {
  signInSession,
  takeSignedOutReason,
  type SignedOutReason,
  type SignInProof,
} from './current.js';
import { dashboardRoutes, FLASH } from './dashboard.js';
import {
  emailInput,
  errorSummary,
  nameInput,
  passwordInput,
  readEmail,
  readName,
  readPassword,
  safeReturnPath,
} from './inputs.js';
import { myDataRoutes } from './my-data-routes.js';
import { externalSignInRoutes } from './oidc-routes.js';
import { MIN_PASSWORD_LENGTH } from './passwords.js';
import { EMAIL_BOUNCED_PATH, profileRoutes } from './profile-routes.js';
import { LINK_PATHS, SIGN_IN_THROTTLE, type LinkSignIn } from './service.js';
import {
  holdForSecondFactor,
  SECOND_FACTOR_PATH,
  twoFactorGate,
  twoFactorRoutes,
} from './two-factor-routes.js';

export { accountPlugin } from './current.js';

type Body = Record<string, unknown>;

/** What the "Check your email" page says, kept in the session so the address is not in a URL. */
const CHECK_EMAIL = 'accountCheckEmail';

const TOKEN = /^[\w-]{43}$/;

/** Signing in with Shire's own first factors: Shire's two-factor, if on, follows (two-factor-routes.ts). */
const BY_PASSWORD: SignInProof = { method: 'password', multiFactor: false };
const BY_LINK: SignInProof = { method: 'link', multiFactor: false };

const SIGNED_OUT_WORDS: Record<SignedOutReason, string> = {
  idle: 'You were signed out because you had not done anything for 30 minutes. Sign in again to carry on.',
  'too-long':
    'You were signed out because you had been signed in for 12 hours. Sign in again to carry on.',
  elsewhere:
    'You were signed out, because you signed out of all devices or changed your password. Sign in again to carry on.',
};

const CHECK_EMAIL_WORDS = {
  'sign-up': {
    paragraphs: [
      'Use the link in the email to confirm your email address and finish creating your account. The link works for 7 days.',
      'If you already have an account, the email tells you how to sign in instead.',
    ],
    again: '/account/sign-up',
  },
  'sign-in': {
    paragraphs: [
      'If you have an account, the email has a link to sign in. It works once, within 15 minutes.',
    ],
    again: '/account/sign-in/email',
  },
  'reset-password': {
    paragraphs: [
      'If you have an account, the email has a link to reset your password. It works once, within 1 hour.',
    ],
    again: '/account/password/forgot',
  },
} as const;
type CheckEmailFor = keyof typeof CHECK_EMAIL_WORDS;

/** Tight limits on the routes that check passwords or send emails, per client address. */
const SIGN_IN_LIMIT = { rateLimit: { max: 30, timeWindow: 15 * 60_000 } };
const EMAIL_LIMIT = { rateLimit: { max: 10, timeWindow: 15 * 60_000 } };
const LINK_LIMIT = { rateLimit: { max: 30, timeWindow: 15 * 60_000 } };

/**
 * My Account: creating an account (name and email, then a password or none from the emailed
 * link), signing in with a password or an emailed link, forgotten passwords, and — behind
 * sign-in — the dashboard of the resident's cases (dashboard.ts).
 */
export async function accountModule(app: FastifyInstance, options: ModuleOptions): Promise<void> {
  const { accounts } = options.services;

  // Account pages are personal, and these forms carry tokens: never kept by a browser or proxy cache.
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('cache-control', 'no-store');
    return payload;
  });

  // Before every other account route: staff without two-factor can only set it up.
  await app.register(twoFactorGate, options);
  await app.register(dashboardRoutes, options);
  await app.register(profileRoutes, options);
  await app.register(myDataRoutes, options);

  /** Signs the resident in on this session and sends them where they were going. */
  const finishSignIn = async (
    request: FastifyRequest,
    reply: FastifyReply,
    result: Pick<LinkSignIn, 'account' | 'signedInAt'> & SignInProof,
    returnTo: string | null | undefined,
    flash?: string,
  ) => {
    signInSession(request.session, result.account.id, result.signedInAt, result);
    if (flash) request.session.set(FLASH, flash);
    const where = safeReturnPath(returnTo) ?? '/account';
    // Email to them bounced: ask them to check the address before anything else.
    const profile = await options.services.accounts.profile().get(result.account.id);
    if (profile?.emailBouncedAt)
      return reply.redirect(`${EMAIL_BOUNCED_PATH}?returnTo=${encodeURIComponent(where)}`, 303);
    return reply.redirect(where, 303);
  };
  /** …unless the account has two-factor on: then the session waits for the code first. */
  const completeSignIn = async (
    request: FastifyRequest,
    reply: FastifyReply,
    result: Pick<LinkSignIn, 'account' | 'signedInAt'> & SignInProof,
    returnTo: string | null | undefined,
    flash?: string,
  ) =>
    (await holdForSecondFactor(options, request.session, result, returnTo, flash))
      ? reply.redirect(SECOND_FACTOR_PATH, 303)
      : finishSignIn(request, reply, result, returnTo, flash);
  await app.register(twoFactorRoutes, { ...options, finishSignIn });
  await app.register(externalSignInRoutes, { ...options, completeSignIn });

  const checkEmail = (
    request: FastifyRequest,
    reply: FastifyReply,
    what: CheckEmailFor,
    email: string,
  ) => {
    request.session.set(CHECK_EMAIL, { for: what, email });
    return reply.redirect('/account/check-email', 303);
  };

  const linkGone = (reply: FastifyReply, again: { href: string; text: string }) =>
    reply.code(404).render('account/views/link-gone.njk', {
      pageTitle: 'This link has expired or has already been used',
      again,
    });
  const GONE = {
    verify_email: { href: '/account/sign-up', text: 'Ask for a new link' },
    sign_in: { href: '/account/sign-in/email', text: 'Ask for a new link to sign in' },
    reset_password: {
      href: '/account/password/forgot',
      text: 'Ask for a new link to reset your password',
    },
  } as const;

  // ---- Sign in with a password -----------------------------------------------------------

  const signInPage = (
    reply: FastifyReply,
    values: { email: string; returnTo: string | undefined },
    errors: { email?: string; password?: string } = {},
    notice?: string,
    status = Object.keys(errors).length ? 400 : 200,
  ) =>
    reply.code(status).render('account/views/sign-in.njk', {
      pageTitle: 'Sign in to your account',
      email: emailInput(values.email, errors.email),
      password: passwordInput({
        label: 'Password',
        autocomplete: 'current-password',
        error: errors.password,
      }),
      returnTo: values.returnTo,
      notice,
      errorSummary: errorSummary(errors),
      providers: options.services.externalSignIn.providers.map(({ id, name }) => ({ id, name })),
    });

  app.get<{ Querystring: { returnTo?: string } }>('/account/sign-in', (request, reply) => {
    const returnTo = safeReturnPath(request.query.returnTo);
    if (request.account) return reply.redirect(returnTo ?? '/account', 303);
    const reason = takeSignedOutReason(request.session);
    return signInPage(
      reply,
      { email: '', returnTo },
      {},
      reason ? SIGNED_OUT_WORDS[reason] : undefined,
    );
  });

  app.post<{ Body: Body }>(
    '/account/sign-in',
    { config: SIGN_IN_LIMIT },
    async (request, reply) => {
      const returnTo = safeReturnPath(request.body.returnTo);
      const email = readEmail(request.body);
      const password = readPassword(request.body);
      const errors = {
        email: email.error,
        password: password ? undefined : 'Enter your password',
      };
      if (errors.email || errors.password)
        return signInPage(reply, { email: email.raw, returnTo }, errors);
      const result = await accounts.signInWithPassword(email.value, password, request.ip);
      if (result.outcome === 'throttled')
        return signInPage(
          reply,
          { email: email.raw, returnTo },
          {
            email: `You have tried to sign in too many times. Wait ${SIGN_IN_THROTTLE.windowMs / 60_000} minutes, then try again.`,
          },
          undefined,
          429,
        );
      if (result.outcome === 'wrong')
        return signInPage(
          reply,
          { email: email.raw, returnTo },
          { email: 'Enter a correct email address and password' },
        );
      return completeSignIn(request, reply, { ...result, ...BY_PASSWORD }, returnTo);
    },
  );

  // ---- Create an account --------------------------------------------------------------------

  const signUpPage = (
    reply: FastifyReply,
    values: { name: string; email: string },
    errors: { name?: string | undefined; email?: string | undefined } = {},
  ) =>
    reply.code(errorSummary(errors).length ? 400 : 200).render('account/views/sign-up.njk', {
      pageTitle: 'Create an account',
      name: nameInput(values.name, errors.name),
      email: emailInput(
        values.email,
        errors.email,
        'We will email you a link to confirm it. We will also use it to tell you about your reports and applications.',
      ),
      errorSummary: errorSummary(errors),
    });

  app.get('/account/sign-up', (request, reply) => {
    if (request.account) return reply.redirect('/account', 303);
    return signUpPage(reply, { name: '', email: '' });
  });

  app.post<{ Body: Body }>('/account/sign-up', { config: EMAIL_LIMIT }, async (request, reply) => {
    const name = readName(request.body);
    const email = readEmail(request.body);
    if (name.error || email.error)
      return signUpPage(
        reply,
        { name: name.raw, email: email.raw },
        { name: name.error, email: email.error },
      );
    await accounts.startSignUp({ name: name.value, email: email.value });
    return checkEmail(request, reply, 'sign-up', email.value);
  });

  app.get('/account/check-email', (request, reply) => {
    const stored = request.session.get(CHECK_EMAIL) as
      { for?: unknown; email?: unknown } | undefined;
    const what =
      typeof stored?.for === 'string' && Object.hasOwn(CHECK_EMAIL_WORDS, stored.for)
        ? (stored.for as CheckEmailFor)
        : undefined;
    if (!what || typeof stored?.email !== 'string') return reply.redirect('/account/sign-in', 303);
    return reply.render('account/views/check-email.njk', {
      pageTitle: 'Check your email',
      email: stored.email,
      ...CHECK_EMAIL_WORDS[what],
    });
  });

  // ---- The link that finishes sign-up: choose a password, or none ---------------------------

  const createPasswordPage = (reply: FastifyReply, token: string, error?: string) =>
    reply.code(error ? 400 : 200).render('account/views/create-password.njk', {
      pageTitle: 'Create a password',
      action: `${LINK_PATHS.verify_email}/${token}`,
      password: passwordInput({
        label: 'Create a password',
        autocomplete: 'new-password',
        hint: `Your password must be at least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words together make a strong password that is easy to remember.`,
        error,
      }),
      errorSummary: errorSummary({ password: error }),
    });

  app.get<{ Params: { token: string } }>('/account/verify/:token', async (request, reply) => {
    const { token } = request.params;
    if (!TOKEN.test(token) || !(await accounts.linkIsUsable(token, 'verify_email')))
      return linkGone(reply, GONE.verify_email);
    return createPasswordPage(reply, token);
  });

  app.post<{ Params: { token: string }; Body: Body }>(
    '/account/verify/:token',
    { config: LINK_LIMIT },
    async (request, reply) => {
      const { token } = request.params;
      if (!TOKEN.test(token)) return linkGone(reply, GONE.verify_email);
      const withoutPassword = request.body.choice === 'link';
      let result;
      try {
        result = await accounts.completeSignUp(
          token,
          withoutPassword ? null : readPassword(request.body),
        );
      } catch (err) {
        if (err instanceof ValidationError) return createPasswordPage(reply, token, err.message);
        throw err;
      }
      if (!result) return linkGone(reply, GONE.verify_email);
      return completeSignIn(
        request,
        reply,
        { ...result, ...BY_LINK },
        result.returnTo,
        withoutPassword
          ? 'Your account has been created. To sign in next time, ask us to email you a link.'
          : 'Your account has been created.',
      );
    },
  );

  // ---- Sign in with an emailed link ---------------------------------------------------------

  const emailFormPage = (
    reply: FastifyReply,
    page: 'sign-in-email' | 'forgot-password',
    values: { email: string; returnTo?: string | undefined },
    error?: string,
  ) =>
    reply.code(error ? 400 : 200).render(`account/views/${page}.njk`, {
      pageTitle: page === 'sign-in-email' ? 'Sign in with an email link' : 'Reset your password',
      email: emailInput(values.email, error),
      returnTo: values.returnTo,
      errorSummary: errorSummary({ email: error }),
    });

  app.get<{ Querystring: { returnTo?: string } }>('/account/sign-in/email', (request, reply) =>
    emailFormPage(reply, 'sign-in-email', {
      email: '',
      returnTo: safeReturnPath(request.query.returnTo),
    }),
  );

  app.post<{ Body: Body }>(
    '/account/sign-in/email',
    { config: EMAIL_LIMIT },
    async (request, reply) => {
      const returnTo = safeReturnPath(request.body.returnTo);
      const email = readEmail(request.body);
      if (email.error)
        return emailFormPage(reply, 'sign-in-email', { email: email.raw, returnTo }, email.error);
      await accounts.requestSignInLink(email.value, returnTo ?? null);
      return checkEmail(request, reply, 'sign-in', email.value);
    },
  );

  app.get<{ Params: { token: string } }>(
    '/account/sign-in/email/:token',
    async (request, reply) => {
      const { token } = request.params;
      if (!TOKEN.test(token) || !(await accounts.linkIsUsable(token, 'sign_in')))
        return linkGone(reply, GONE.sign_in);
      // A button, not the link itself: email scanners that open links would use it up.
      return reply.render('account/views/sign-in-link.njk', {
        pageTitle: 'Sign in',
        action: `${LINK_PATHS.sign_in}/${token}`,
      });
    },
  );

  app.post<{ Params: { token: string } }>(
    '/account/sign-in/email/:token',
    { config: LINK_LIMIT },
    async (request, reply) => {
      const { token } = request.params;
      const result = TOKEN.test(token) ? await accounts.signInWithLink(token) : undefined;
      if (!result) return linkGone(reply, GONE.sign_in);
      return completeSignIn(request, reply, { ...result, ...BY_LINK }, result.returnTo);
    },
  );

  // ---- Forgotten password -------------------------------------------------------------------

  app.get('/account/password/forgot', (_request, reply) =>
    emailFormPage(reply, 'forgot-password', { email: '' }),
  );

  app.post<{ Body: Body }>(
    '/account/password/forgot',
    { config: EMAIL_LIMIT },
    async (request, reply) => {
      const email = readEmail(request.body);
      if (email.error)
        return emailFormPage(reply, 'forgot-password', { email: email.raw }, email.error);
      await accounts.requestPasswordReset(email.value);
      return checkEmail(request, reply, 'reset-password', email.value);
    },
  );

  const resetPage = (reply: FastifyReply, token: string, error?: string) =>
    reply.code(error ? 400 : 200).render('account/views/reset-password.njk', {
      pageTitle: 'Choose a new password',
      action: `${LINK_PATHS.reset_password}/${token}`,
      password: passwordInput({
        label: 'New password',
        autocomplete: 'new-password',
        hint: `Your password must be at least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words together make a strong password that is easy to remember.`,
        error,
      }),
      errorSummary: errorSummary({ password: error }),
    });

  app.get<{ Params: { token: string } }>(
    '/account/password/reset/:token',
    async (request, reply) => {
      const { token } = request.params;
      if (!TOKEN.test(token) || !(await accounts.linkIsUsable(token, 'reset_password')))
        return linkGone(reply, GONE.reset_password);
      return resetPage(reply, token);
    },
  );

  app.post<{ Params: { token: string }; Body: Body }>(
    '/account/password/reset/:token',
    { config: LINK_LIMIT },
    async (request, reply) => {
      const { token } = request.params;
      if (!TOKEN.test(token)) return linkGone(reply, GONE.reset_password);
      let result;
      try {
        result = await accounts.resetPassword(token, readPassword(request.body));
      } catch (err) {
        if (err instanceof ValidationError) return resetPage(reply, token, err.message);
        throw err;
      }
      if (!result) return linkGone(reply, GONE.reset_password);
      return completeSignIn(
        request,
        reply,
        { ...result, ...BY_LINK },
        null,
        'Your password has been changed. You have been signed out on every other device.',
      );
    },
  );

  // ---- Signed out ---------------------------------------------------------------------------

  app.get<{ Querystring: { everywhere?: string } }>('/account/signed-out', (request, reply) =>
    reply.render('account/views/signed-out.njk', {
      pageTitle: 'You have signed out',
      everywhere: request.query.everywhere === 'yes',
    }),
  );
}
