/**
 * Another council system's Open311 API for tests, on a real local port: it takes POST
 * requests (answering with its own id, a token, or whatever error it is told to give next),
 * swaps tokens for ids, and lists the updates it is given in its servicerequestupdates feed.
 * Every call is recorded, as sent, so tests can check what Shire posted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface Call {
  method: string;
  /** The path after the server's base, e.g. requests.json. */
  path: string;
  query: URLSearchParams;
  form: URLSearchParams;
}

/** One scripted answer to the next POST requests. */
export type Answer =
  | { status: number; body: unknown }
  /** Take the report (the default): answer with the next id, RW-1, RW-2… */
  | 'accept'
  /** Take it, but answer with a token only; the id comes from tokens/{token}. */
  | 'token';

export interface FakeUpdate {
  update_id: string;
  service_request_id: string;
  status: string;
  updated_datetime: string;
  description?: string;
  media_url?: string;
}

export interface FakeOpen311 {
  /** The API's base: …/open311/v2. */
  url: string;
  calls: Call[];
  /** Answers for the next POST requests, in order; 'accept' once they run out. */
  next: Answer[];
  /** Reports it took, by its id. */
  accepted: Map<string, URLSearchParams>;
  updates: FakeUpdate[];
  /** What GET servicerequestupdates answers instead of the updates, once each. */
  nextFeed: { status: number; body: unknown }[];
}

export async function fakeOpen311(t: TestContext): Promise<FakeOpen311> {
  const fake: FakeOpen311 = {
    url: '',
    calls: [],
    next: [],
    accepted: new Map(),
    updates: [],
    nextFeed: [],
  };
  const tokens = new Map<string, string>();

  const handle = (req: IncomingMessage, body: string, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/open311\/v2\//, '');
    const form = new URLSearchParams(req.method === 'POST' ? body : '');
    fake.calls.push({ method: req.method ?? 'GET', path, query: url.searchParams, form });
    if (req.method === 'POST' && path === 'requests.json') {
      const answer = fake.next.shift() ?? 'accept';
      if (typeof answer === 'object') {
        send(res, answer.status, answer.body);
        return;
      }
      const id = `RW-${String(fake.accepted.size + 1)}`;
      fake.accepted.set(id, form);
      if (answer === 'accept') {
        send(res, 200, [{ service_request_id: id }]);
        return;
      }
      const token = `token-${id}`;
      tokens.set(token, id);
      send(res, 200, [{ token }]);
      return;
    }
    const token = /^tokens\/([^/]+)\.json$/.exec(path)?.[1];
    if (req.method === 'GET' && token) {
      send(res, 200, [{ service_request_id: tokens.get(token) ?? '', token }]);
      return;
    }
    if (req.method === 'GET' && path === 'servicerequestupdates.json') {
      const instead = fake.nextFeed.shift();
      if (instead) send(res, instead.status, instead.body);
      else send(res, 200, fake.updates);
      return;
    }
    send(res, 404, [{ code: 404, description: 'Not found' }]);
  };

  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      handle(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/open311/v2`;
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  return fake;
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
