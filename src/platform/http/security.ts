import Tokens from '@fastify/csrf';
import fastifyRateLimit from '@fastify/rate-limit';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { DomainError } from '../errors.js';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * false on the few routes a third party must be able to POST to without a session, whose
     * URL itself is the credential (RFC 8058 one-click unsubscribe, sealed in the link).
     */
    csrf?: boolean;
  }
  interface FastifyReply {
    /** This response's CSP nonce, for the layout's one inline script. */
    cspNonce: string;
    /** The CSRF token for this resident's session; starts a session if they have none. */
    generateCsrf(): string;
  }
}

/**
 * Nonces come from a pooled buffer of random bytes: one `randomBytes` call serves 256
 * responses, which matters at thousands of pages a second.
 */
const NONCE_BYTES = 16;
let noncePool = Buffer.alloc(0);
let nonceOffset = 0;
function nextNonce(): string {
  if (nonceOffset + NONCE_BYTES > noncePool.length) {
    noncePool = randomBytes(NONCE_BYTES * 256);
    nonceOffset = 0;
  }
  const nonce = noncePool.toString('base64url', nonceOffset, nonceOffset + NONCE_BYTES);
  nonceOffset += NONCE_BYTES;
  return nonce;
}

/**
 * Security headers on every response: a strict CSP with a fresh nonce for govuk-frontend's
 * inline script, no framing, forms posting only to us. Written here rather than with
 * helmet because helmet rebuilt its whole middleware on every request, a tenth of our
 * page time; the headers are the ones helmet would set, worked out once.
 */
export function securityHeaders(app: FastifyInstance, config: Config): void {
  const directives = [
    "default-src 'self'",
    "script-src 'self' 'nonce-{nonce}'",
    "style-src 'self'",
    // Map tiles come from the council's tile server.
    `img-src 'self' data: blob: ${new URL(config.council.map.tiles.replace(/\{\w\}/g, '0')).origin}`,
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    ...(config.secureCookies ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
  const [cspBefore, cspAfter] = directives.split('{nonce}') as [string, string];
  const fixed: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'x-dns-prefetch-control': 'off',
    'x-permitted-cross-domain-policies': 'none',
    'permissions-policy': 'camera=(self), geolocation=(self), microphone=(), payment=(), usb=()',
    ...(config.secureCookies
      ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' }
      : {}),
  };

  app.decorateReply('cspNonce', '');
  app.addHook('onRequest', (_request, reply, done) => {
    const nonce = nextNonce();
    reply.cspNonce = nonce;
    void reply.headers(fixed).header('content-security-policy', cspBefore + nonce + cspAfter);
    done();
  });
}

/** A form that was not sent from our own page in this session. */
export class CsrfError extends DomainError {
  constructor() {
    super(
      'This form has expired or was sent from another site. Go back, reload the page and try again.',
      403,
      'Sorry, you cannot do that',
    );
  }
}

/**
 * A CSRF token on every form: every unsafe request outside /api/ must carry, in `_csrf`
 * (or the X-CSRF-Token header), a token made from its session's secret. The JSON API
 * does not use cookies, so it is not exposed to CSRF.
 */
export function csrf(app: FastifyInstance): void {
  const tokens = Tokens();
  const SECRET_KEY = 'csrfSecret';

  app.decorateReply('generateCsrf', function generateCsrf(this: FastifyReply): string {
    const session = this.request.session;
    const stored = session.get(SECRET_KEY);
    const secret = typeof stored === 'string' ? stored : tokens.secretSync();
    if (secret !== stored) session.set(SECRET_KEY, secret);
    return tokens.create(secret);
  });

  app.addHook('preHandler', (request, _reply, done) => {
    // Unknown routes answer 404/405 without a check: there is nothing there to forge a request to.
    if (
      !UNSAFE_METHODS.has(request.method) ||
      request.url.startsWith('/api/') ||
      request.is404 ||
      request.routeOptions.config.csrf === false
    ) {
      done();
      return;
    }
    const body = request.body as Record<string, unknown> | undefined;
    const field = body?._csrf;
    // A multipart body (a form with a file) gives each field as { value }.
    const token =
      (field && typeof field === 'object' && 'value' in field ? field.value : field) ??
      request.headers['x-csrf-token'];
    const secret = request.session.get(SECRET_KEY);
    if (typeof token !== 'string' || typeof secret !== 'string' || !tokens.verify(secret, token)) {
      done(new CsrfError());
      return;
    }
    done();
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
