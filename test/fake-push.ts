/**
 * A browser push service on a local port, strict in the ways real ones are: it wants a TTL,
 * an aes128gcm-encrypted body (RFC 8291) it can decrypt with the subscription's keys, and a
 * valid VAPID token (RFC 8292) for its own origin. It also makes the subscriptions, holding
 * the private halves as a browser would.
 *
 * Web Push is HTTPS only (web-push always uses node:https), so the service runs on TLS with
 * the self-signed certificate below; a sender trusts it through `agent`.
 */
import {
  createECDH,
  createPublicKey,
  randomBytes,
  randomUUID,
  verify,
  type ECDH,
} from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { decrypt } from 'http_ece';
import type { PushTarget } from '../src/platform/outbox/senders.js';

// For 127.0.0.1 only, valid until 2126. Made with:
// openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 \
//   -subj "/CN=fake push service" -addext "subjectAltName=IP:127.0.0.1"
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgYu4n7Nas7Ajz42vs
Yib1YHDifYFdFtk2BVhx09t4yU2hRANCAAQgzspnib+iqdMvMdW41MqXZjcZaNXm
7oInxNobp/Zd2KgzRD1bvyT7B0mXMFXtJ4gZWGSvBD9dpBTpDMpYWdD7
-----END PRIVATE KEY-----
`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBoDCCAUagAwIBAgIUEFrG1mNv5Ufj3rGD+cj1lNrF6IYwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRZmFrZSBwdXNoIHNlcnZpY2UwIBcNMjYxMTI5MTIxNDM4WhgP
MjEyNjExMDUxMjE0MzhaMBwxGjAYBgNVBAMMEWZha2UgcHVzaCBzZXJ2aWNlMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIM7KZ4m/oqnTLzHVuNTKl2Y3GWjV5u6C
J8TaG6f2XdioM0Q9W78k+wdJlzBV7SeIGVhkrwQ/XaQU6QzKWFnQ+6NkMGIwHQYD
VR0OBBYEFDuTtLzD/24wFvViJOXeGpfGlEEJMB8GA1UdIwQYMBaAFDuTtLzD/24w
FvViJOXeGpfGlEEJMA8GA1UdEwEB/wQFMAMBAf8wDwYDVR0RBAgwBocEfwAAATAK
BggqhkjOPQQDAgNIADBFAiATvX5EAO065X4hM47APFpXk/XaxoU+EWrrm2UYSG0h
nwIhAOVXyFQgGr2RqN0s8Q5sAQtceLH9bOOOlJFlyCqIg17R
-----END CERTIFICATE-----
`;

/** What the push service would hand the browser's service worker. */
export interface ReceivedPush {
  subscriptionId: string;
  payload: unknown;
  headers: IncomingHttpHeaders;
}

interface Subscription {
  ecdh: ECDH;
  authSecret: Buffer;
  /** The VAPID public key the browser subscribed with, when the test gave one. */
  applicationServerKey?: string;
  expired: boolean;
}

/** RFC 8030 §8.4: at least 4096 bytes of payload; the aes128gcm header and tag come on top. */
const MAX_BODY = 4096 + 86 + 16 + 1;

class PushError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** RFC 8292: `vapid t=<ES256 JWT>, k=<raw P-256 public key>`, for this service's origin. */
function checkVapid(authorization: string | undefined, origin: string, now: number): string {
  const match = /^vapid\s+t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)\s*$/.exec(authorization ?? '');
  if (!match?.[1] || !match[2])
    throw new PushError(401, 'Missing or malformed VAPID authorization');
  const [token, k] = [match[1], match[2]];
  const [h = '', p = '', s = ''] = token.split('.');
  const raw = Buffer.from(k, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new PushError(401, 'k is not a P-256 public key');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  let header: { alg?: unknown };
  let claims: { aud?: unknown; exp?: unknown; sub?: unknown };
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header;
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    throw new PushError(401, 'The VAPID token is not a JWT');
  }
  const signed = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url'),
  );
  if (header.alg !== 'ES256' || !signed) throw new PushError(401, 'Bad VAPID signature');
  if (claims.aud !== origin) throw new PushError(401, `aud must be ${origin}`);
  const seconds = now / 1000;
  if (typeof claims.exp !== 'number' || claims.exp <= seconds || claims.exp > seconds + 86_400)
    throw new PushError(401, 'exp must be in the next 24 hours');
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub))
    throw new PushError(401, 'sub must be a mailto: or https: URL');
  return k;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new PushError(413, 'Payload too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function fakePushService(t: TestContext) {
  const subscriptions = new Map<string, Subscription>();
  const received: ReceivedPush[] = [];
  let url = '';

  async function deliver(req: IncomingMessage, res: ServerResponse) {
    const id = /^\/push\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    const subscription = id === undefined ? undefined : subscriptions.get(id);
    if (req.method !== 'POST' || id === undefined || !subscription)
      throw new PushError(404, 'No such subscription');
    if (subscription.expired) throw new PushError(410, 'Subscription expired');
    const ttl = req.headers.ttl;
    if (typeof ttl !== 'string' || !/^\d+$/.test(ttl))
      throw new PushError(400, 'TTL header required');
    const k = checkVapid(req.headers.authorization, url, Date.now());
    if (subscription.applicationServerKey && k !== subscription.applicationServerKey)
      throw new PushError(403, 'VAPID key does not match the subscription');
    if (req.headers['content-encoding'] !== 'aes128gcm')
      throw new PushError(415, 'Content-Encoding must be aes128gcm');
    const body = await readBody(req);
    let payload: unknown;
    try {
      const plaintext = decrypt(body, {
        version: 'aes128gcm',
        privateKey: subscription.ecdh,
        authSecret: subscription.authSecret,
      });
      payload = JSON.parse(plaintext.toString('utf8'));
    } catch {
      throw new PushError(400, 'Cannot decrypt the payload');
    }
    received.push({ subscriptionId: id, payload, headers: req.headers });
    res.writeHead(201, { location: `${url}/message/${randomUUID()}` });
    res.end();
  }

  const server = createServer({ key: KEY, cert: CERT }, (req, res) => {
    deliver(req, res).catch((err: unknown) => {
      const e = err instanceof PushError ? err : new PushError(500, String(err));
      res.writeHead(e.status, { 'content-type': 'text/plain' });
      res.end(e.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ ca: CERT });
  t.after(
    () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );

  return {
    url,
    /** Trusts this service's certificate; give it to the sender. */
    agent,
    received,
    /** A browser subscribing: its own key pair and auth secret, and an endpoint here. */
    subscription(options: { applicationServerKey?: string } = {}): PushTarget {
      const id = randomUUID();
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const authSecret = randomBytes(16);
      subscriptions.set(id, { ecdh, authSecret, expired: false, ...options });
      return {
        endpoint: `${url}/push/${id}`,
        keys: {
          p256dh: ecdh.getPublicKey().toString('base64url'),
          auth: authSecret.toString('base64url'),
        },
      };
    },
    /** The browser unsubscribed or the service dropped it: the endpoint answers 410 Gone. */
    expire(target: PushTarget) {
      const subscription = subscriptions.get(target.endpoint.split('/').pop() ?? '');
      if (!subscription) throw new Error(`Not a subscription here: ${target.endpoint}`);
      subscription.expired = true;
    },
  };
}
