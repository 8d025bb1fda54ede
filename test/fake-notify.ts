/**
 * A stand-in for GOV.UK Notify's API on a local port: POST /v2/notifications/email and /sms
 * as documented at https://docs.notifications.service.gov.uk/rest-api.html, with the same
 * JWT check, validation messages and response bodies, so the real notifications-node-client
 * can be tested against it.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface ReceivedNotification {
  type: 'email' | 'sms';
  to: string;
  personalisation: Record<string, unknown>;
  reference: string | undefined;
  templateId: string;
  unsubscribeUrl?: string;
}

export interface FakeNotifyState {
  /** Answer the next request with this status (500, 503…) and Notify's error body for it. */
  failNext?: number;
  /** Answer every request with 429 while set. */
  rateLimit?: boolean;
  /** Accept the request but never answer it, to test timeouts. */
  hang?: boolean;
  /** As with a team-only key: recipients outside this list are refused. */
  team?: string[];
}

interface Template {
  type: 'email' | 'sms';
  subject?: string;
  body: string;
}

const SERVICE_ID = 'd6aa2c68-a2d0-4a2f-9f4b-3b4e1c2a9f10';
const SECRET = '2f1b5e3a-7c4d-4e8f-9a0b-1c2d3e4f5a6b';

const UNAUTHORISED = 'Invalid token: signature, api token not found';

const ERROR_NAMES: Record<number, string> = {
  400: 'BadRequestError',
  403: 'AuthError',
  429: 'RateLimitError',
  500: 'Exception',
  503: 'Exception',
};

class NotifyError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly error = ERROR_NAMES[status] ?? 'Exception',
  ) {
    super(message);
  }
}

function base64urlJson(part: string): unknown {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** Notify's check of the Bearer token: HS256 with the key's secret, iss the service id, a fresh iat. */
function authenticate(header: string | undefined, now: number): void {
  if (!header?.startsWith('Bearer '))
    throw new NotifyError(401, 'Unauthorized: authentication token must be provided', 'AuthError');
  const [h = '', p = '', s = ''] = header.slice('Bearer '.length).split('.');
  const expected = createHmac('sha256', SECRET).update(`${h}.${p}`).digest();
  const signature = Buffer.from(s, 'base64url');
  let claims: { iss?: unknown; iat?: unknown };
  let joseHeader: { typ?: unknown; alg?: unknown };
  try {
    joseHeader = base64urlJson(h) as typeof joseHeader;
    claims = base64urlJson(p) as typeof claims;
  } catch {
    throw new NotifyError(403, 'Invalid token: signature, api token not found');
  }
  if (
    joseHeader.alg !== 'HS256' ||
    joseHeader.typ !== 'JWT' ||
    signature.length !== expected.length ||
    !timingSafeEqual(signature, expected)
  )
    throw new NotifyError(403, UNAUTHORISED);
  if (claims.iss !== SERVICE_ID) throw new NotifyError(403, 'Invalid token: service not found');
  if (typeof claims.iat !== 'number' || Math.abs(now / 1000 - claims.iat) > 30)
    throw new NotifyError(403, 'Error: Your system clock must be accurate to within 30 seconds');
}

function isUkMobile(number: string): boolean {
  return /^(?:\+44|0044|44|0)7\d{9}$/.test(number.replace(/[\s()-]/g, ''));
}

function isEmailAddress(address: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@.]+$/.test(address);
}

function render(text: string, personalisation: Record<string, unknown>): string {
  return text.replace(/\(\(([^)]+)\)\)/g, (_, name: string) => String(personalisation[name]));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (body && typeof body === 'object') return body as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new NotifyError(400, 'Invalid JSON supplied in POST data', 'BadRequestError');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function fakeNotify(t: TestContext) {
  const received: ReceivedNotification[] = [];
  const state: FakeNotifyState = {};
  const emailTemplateId = randomUUID();
  const smsTemplateId = randomUUID();
  const templates = new Map<string, Template>([
    [emailTemplateId, { type: 'email', subject: '((subject))', body: '((body))' }],
    [smsTemplateId, { type: 'sms', body: '((body))' }],
  ]);
  let url = '';

  async function notify(req: IncomingMessage, type: 'email' | 'sms') {
    authenticate(req.headers.authorization, Date.now());
    if (state.rateLimit)
      throw new NotifyError(
        429,
        'Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds',
      );
    if (state.failNext) {
      const status = state.failNext;
      delete state.failNext;
      throw new NotifyError(status, 'Internal server error');
    }
    const body = await readJson(req);
    const templateId = String(body.template_id);
    const template = templates.get(templateId);
    if (!template) throw new NotifyError(400, 'Template not found');
    if (template.type !== type)
      throw new NotifyError(
        400,
        `${template.type} template is not suitable for ${type} notification`,
      );

    const field = type === 'email' ? 'email_address' : 'phone_number';
    const to = body[field];
    if (typeof to !== 'string')
      throw new NotifyError(400, `${field} is a required property`, 'ValidationError');
    if (type === 'email' && !isEmailAddress(to))
      throw new NotifyError(400, 'email_address Not a valid email address', 'ValidationError');
    if (type === 'sms' && !isUkMobile(to))
      throw new NotifyError(400, 'phone_number Not a UK mobile number', 'ValidationError');
    if (state.team && !state.team.includes(to))
      throw new NotifyError(400, 'Can’t send to this recipient using a team-only API key');

    const personalisation = (body.personalisation ?? {}) as Record<string, unknown>;
    const needed = [template.subject ?? '', template.body].flatMap((text) =>
      [...text.matchAll(/\(\(([^)]+)\)\)/g)].map((m) => m[1] ?? ''),
    );
    const missing = needed.filter((name) => !(name in personalisation));
    if (missing.length)
      throw new NotifyError(400, `Missing personalisation: ${missing.join(', ')}`);

    const reference = typeof body.reference === 'string' ? body.reference : undefined;
    const unsubscribeUrl =
      typeof body.one_click_unsubscribe_url === 'string'
        ? body.one_click_unsubscribe_url
        : undefined;
    received.push({
      type,
      to,
      personalisation,
      reference,
      templateId,
      ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
    });

    const id = randomUUID();
    const content =
      type === 'email'
        ? {
            subject: render(template.subject ?? '', personalisation),
            body: render(template.body, personalisation),
            from_email: 'westmoor.council@notifications.service.gov.uk',
            ...(unsubscribeUrl ? { one_click_unsubscribe_url: unsubscribeUrl } : {}),
          }
        : { body: render(template.body, personalisation), from_number: 'Westmoor' };
    return {
      id,
      reference: reference ?? null,
      content,
      uri: `${url}/v2/notifications/${id}`,
      template: {
        id: templateId,
        version: 1,
        uri: `${url}/services/${SERVICE_ID}/templates/${templateId}`,
      },
    };
  }

  const server = createServer((req, res) => {
    const type =
      req.method === 'POST' && req.url === '/v2/notifications/email'
        ? 'email'
        : req.method === 'POST' && req.url === '/v2/notifications/sms'
          ? 'sms'
          : undefined;
    if (!type) {
      send(res, 404, {
        status_code: 404,
        errors: [{ error: 'NotFound', message: 'Not Found' }],
      });
      return;
    }
    if (state.hang) return;
    notify(req, type).then(
      (body) => {
        send(res, 201, body);
      },
      (err: unknown) => {
        const e = err instanceof NotifyError ? err : new NotifyError(500, 'Internal server error');
        send(res, e.status, {
          status_code: e.status,
          errors: [{ error: e.error, message: e.message }],
        });
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );

  return {
    url,
    /** In Notify's format: `{key name}-{service id}-{secret}`. */
    apiKey: `shire_test-${SERVICE_ID}-${SECRET}`,
    emailTemplateId,
    smsTemplateId,
    received,
    state,
  };
}
