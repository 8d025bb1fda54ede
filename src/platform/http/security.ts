import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySession from '@fastify/session';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { SessionStore } from './session-stores.js';

export const SESSION_COOKIE = 'shire_session';
export const SESSION_MAX_AGE_MS = 12 * 60 * 60 * 1000;
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Strict CSP with a nonce per response for govuk-frontend's inline script; no framing; forms post only to us. */
export async function securityHeaders(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(fastifyHelmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:', 'blob:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'manifest-src': ["'self'"],
        'worker-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'frame-ancestors': ["'none'"],
        'form-action': ["'self'"],
        ...(config.secureCookies ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    strictTransportSecurity: config.secureCookies
      ? { maxAge: 31_536_000, includeSubDomains: true }
      : false,
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  });
}

/** Server-side sessions (database or Redis) in an HttpOnly, SameSite=Lax cookie, Secure over https. */
export async function sessions(
  app: FastifyInstance,
  config: Config,
  store: SessionStore,
): Promise<void> {
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    cookieName: SESSION_COOKIE,
    secret: config.sessionSecret,
    store,
    // Nobody gets a session (or a database write) until a page needs one, e.g. to hold a CSRF secret.
    saveUninitialized: false,
    rolling: true,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.secureCookies,
      path: '/',
      maxAge: SESSION_MAX_AGE_MS,
    },
  });
}

/**
 * A CSRF token on every form: every unsafe request outside /api/ must carry the session's
 * token in `_csrf`. The JSON API does not use cookies, so it is not exposed to CSRF.
 */
export async function csrf(app: FastifyInstance): Promise<void> {
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/session',
    getToken: (request) => {
      const body = request.body as Record<string, unknown> | undefined;
      const token = body?._csrf ?? request.headers['x-csrf-token'];
      return typeof token === 'string' ? token : undefined;
    },
  });
  app.addHook('preHandler', (request, reply, done) => {
    // Unknown routes answer 404/405 without a check: there is nothing there to forge a request to.
    if (!UNSAFE_METHODS.has(request.method) || request.url.startsWith('/api/') || request.is404) {
      done();
      return;
    }
    app.csrfProtection(request, reply, done);
  });
}

/** A per-client request budget; routes such as sign-in set tighter limits in their own config. */
export async function rateLimits(
  app: FastifyInstance,
  config: Config,
  redis: Redis | undefined,
): Promise<void> {
  await app.register(fastifyRateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    ...(redis ? { redis, nameSpace: 'shire:rate:' } : {}),
    allowList: (request) =>
      request.url.startsWith('/assets/') || request.url.startsWith('/health/'),
    errorResponseBuilder: (_request, context) => {
      const error = new Error(
        `Too many requests: wait ${context.after} and try again.`,
      ) as Error & {
        statusCode: number;
      };
      error.statusCode = 429;
      return error;
    },
  });
}
