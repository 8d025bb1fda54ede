import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ModuleOptions } from '../../app.js';
import type { OidcProvider } from '../../platform/config.js';
import { NotFoundError } from '../../platform/errors.js';
import type { SignInProof } from './current.js';
import { safeReturnPath } from './inputs.js';
import { ExternalSignInError, type ExternalSignInFailure, type PendingSignIn } from './oidc.js';
import type { LinkSignIn } from './service.js';

/** index.ts's sign-in completion, so every way in ends the same way. */
export type CompleteSignIn = (
  request: FastifyRequest,
  reply: FastifyReply,
  result: Pick<LinkSignIn, 'account' | 'signedInAt'> & SignInProof,
  returnTo: string | null | undefined,
) => FastifyReply | Promise<FastifyReply>;

/** The sign-in under way with a provider, kept in the session until the person comes back. */
const PENDING = 'accountOidcPending';

const PROVIDER_LIMIT = { rateLimit: { max: 30, timeWindow: 15 * 60_000 } };

const FAILURE_PAGES: Record<
  ExternalSignInFailure,
  { status: number; title: (name: string) => string; paragraphs: (name: string) => string[] }
> = {
  unreachable: {
    status: 503,
    title: (name) => `Sorry, you cannot sign in with ${name} at the moment`,
    paragraphs: (name) => [`We could not reach ${name}. Try again later, or sign in another way.`],
  },
  cancelled: {
    status: 400,
    title: (name) => `You did not finish signing in with ${name}`,
    paragraphs: () => ['You can try again, or sign in another way.'],
  },
  refused: {
    status: 400,
    title: (name) => `We could not sign you in with ${name}`,
    paragraphs: () => [
      'Something went wrong, or signing in took too long. Start again from the sign-in page.',
    ],
  },
  'email-not-verified': {
    status: 400,
    title: (name) => `We could not sign you in with ${name}`,
    paragraphs: (name) => [
      `${name} has not confirmed your email address to us, so we cannot tell which account is yours.`,
      'Sign in another way, or create an account with your email address.',
    ],
  },
};

function pendingSignIn(value: unknown): PendingSignIn | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { provider, state, nonce, codeVerifier, returnTo } = value as Record<string, unknown>;
  return typeof provider === 'string' &&
    typeof state === 'string' &&
    typeof nonce === 'string' &&
    typeof codeVerifier === 'string'
    ? { provider, state, nonce, codeVerifier, returnTo: safeReturnPath(returnTo) ?? null }
    : undefined;
}

/**
 * Sign in with an external identity provider (oidc.ts): a button on the sign-in page for each
 * configured provider starts here, and the provider sends the person back to the callback.
 */
export function externalSignInRoutes(
  app: FastifyInstance,
  options: ModuleOptions & { completeSignIn: CompleteSignIn },
  done: () => void,
): void {
  const { externalSignIn } = options.services;

  const providerOr404 = (id: string): OidcProvider => {
    const provider = externalSignIn.provider(id);
    if (!provider) throw new NotFoundError();
    return provider;
  };

  const failurePage = (
    request: FastifyRequest,
    reply: FastifyReply,
    provider: OidcProvider,
    err: unknown,
  ) => {
    if (!(err instanceof ExternalSignInError)) throw err;
    const cause = err.cause instanceof Error ? err.cause : undefined;
    request.log.warn(
      { provider: provider.id, failure: err.failure, cause: cause?.message },
      'sign-in with an identity provider failed',
    );
    const page = FAILURE_PAGES[err.failure];
    return reply.code(page.status).render('account/views/oidc-error.njk', {
      pageTitle: page.title(provider.name),
      paragraphs: page.paragraphs(provider.name),
    });
  };

  app.get<{ Params: { provider: string }; Querystring: { returnTo?: string } }>(
    '/account/sign-in/oidc/:provider',
    { config: PROVIDER_LIMIT },
    async (request, reply) => {
      const provider = providerOr404(request.params.provider);
      const returnTo = safeReturnPath(request.query.returnTo) ?? null;
      if (request.account) return reply.redirect(returnTo ?? '/account', 303);
      try {
        const { url, pending } = await externalSignIn.start(provider, returnTo);
        request.session.set(PENDING, pending);
        return await reply.redirect(url.href, 303);
      } catch (err) {
        return failurePage(request, reply, provider, err);
      }
    },
  );

  app.get<{ Params: { provider: string } }>(
    '/account/sign-in/oidc/:provider/callback',
    { config: PROVIDER_LIMIT },
    async (request, reply) => {
      const provider = providerOr404(request.params.provider);
      // One answer per sign-in started: a replayed callback finds nothing to check it against.
      const pending = pendingSignIn(request.session.get(PENDING));
      request.session.delete(PENDING);
      try {
        const result = await externalSignIn.finish(
          provider,
          new URL(request.url, externalSignIn.callbackUrl(provider)),
          pending,
        );
        if (provider.trustedForStaff && !result.multiFactor)
          request.log.info(
            { provider: provider.id },
            "not multi-factor by the identity provider's amr: staff need Shire's two-factor",
          );
        return await options.completeSignIn(request, reply, result, result.returnTo);
      } catch (err) {
        return failurePage(request, reply, provider, err);
      }
    },
  );
  done();
}
