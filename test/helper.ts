import { within } from '@testing-library/dom';
import { JSDOM } from 'jsdom';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp, type AppDependencies } from '../src/app.js';
import { loadConfig, type Config } from '../src/platform/config.js';
import { Database, type Dialect } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrations/index.js';
import type { DB } from '../src/platform/db/types.js';
import { createLogger } from '../src/platform/logger.js';

/** Built assets are shared by every test in the run: building them takes seconds, reading the cache milliseconds. */
export const ASSET_CACHE_DIR = path.resolve('.cache/assets');

/**
 * The databases every database test runs on: SQLite always, PostgreSQL when DATABASE_URL
 * is set. Under CI=true PostgreSQL is required, so a missing one fails the run, never skips it.
 */
export function dialects(): Dialect[] {
  if (process.env.CI === 'true' && !process.env.DATABASE_URL)
    throw new Error(
      'CI=true but DATABASE_URL is not set: the PostgreSQL tests cannot be skipped in CI',
    );
  return process.env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/**
 * A fresh, migrated database for one test: an in-memory SQLite, or a new schema on the
 * PostgreSQL server at DATABASE_URL, dropped when the test ends.
 */
export async function testDatabase(t: TestContext, dialect: Dialect): Promise<Database<DB>> {
  if (dialect === 'sqlite') {
    const database = Database.sqlite<DB>(':memory:');
    await migrateToLatest(database);
    t.after(() => database.close());
    return database;
  }
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is needed for PostgreSQL tests');
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = Database.postgres<DB>(url);
  await sql`create schema ${sql.id(schema)}`.execute(admin.db);
  const database = Database.postgres<DB>(url, schema);
  await migrateToLatest(database);
  t.after(async () => {
    await database.close();
    await sql`drop schema ${sql.id(schema)} cascade`.execute(admin.db);
    await admin.close();
  });
  return database;
}

/** Config for tests: the demo council, a throwaway data folder, quiet logs, no background worker. */
export function testConfig(t: TestContext, env: Record<string, string> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shire-test-'));
  t.after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });
  return loadConfig({
    SHIRE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    IN_PROCESS_WORKER: 'false',
    ...env,
  });
}

export interface TestApp {
  app: FastifyInstance;
  database: Database<DB>;
  config: Config;
}

/** The whole app on a fresh database of the given dialect, closed when the test ends. */
export async function buildTestApp(
  t: TestContext,
  dialect: Dialect = 'sqlite',
  env: Record<string, string> = {},
  deps: Pick<AppDependencies, 'chatHoursClock'> = {},
): Promise<TestApp> {
  const config = testConfig(t, env);
  const database = await testDatabase(t, dialect);
  const app = await buildApp(config, {
    ...deps,
    database,
    logger: createLogger('silent'),
    assetCacheDir: ASSET_CACHE_DIR,
  });
  t.after(() => app.close());
  return { app, database, config };
}

/** The CSRF token and session cookie a browser would have after loading a page with a form. */
export async function formSession(
  app: FastifyInstance,
  url: string,
): Promise<{ cookie: string; csrf: string }> {
  const page = await app.inject({ method: 'GET', url });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  const setCookie = page.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0];
  if (!csrf || !cookie) throw new Error(`${url} has no form with a CSRF token`);
  return { cookie, csrf };
}

/** A page's HTML as a document, queried the way a person finds things: by role and name. */
export function screen(html: string) {
  const { window } = new JSDOM(html);
  return { ...within(window.document.body), document: window.document };
}

/** The messages in a page's GOV.UK error summary, in order. */
export function errorsOn(html: string): string[] {
  const summary = screen(html).document.querySelector('.govuk-error-summary__list');
  // Each item's text: most link to their field, one about no field in particular does not.
  return [...(summary?.querySelectorAll('li') ?? [])].map((li) => li.textContent.trim());
}

/**
 * The Redis server for adapter tests: REDIS_URL, or none (those tests skip) — except
 * under CI=true, where Redis is required and a missing one fails the run.
 */
export function testRedisUrl(): string | undefined {
  if (process.env.CI === 'true' && !process.env.REDIS_URL)
    throw new Error('CI=true but REDIS_URL is not set: the Redis tests cannot be skipped in CI');
  return process.env.REDIS_URL;
}

/**
 * A resident's browser without the browser: keeps the session cookie, picks up the CSRF
 * token from each page it loads, and sends forms url-encoded or, with files, as multipart.
 */
export class Visitor {
  cookie = '';
  csrf = '';

  constructor(
    private readonly app: FastifyInstance,
    private readonly headers: Record<string, string> = {},
  ) {}

  async get(url: string) {
    const res = await this.app.inject({ method: 'GET', url, headers: this.sent() });
    this.remember(res.headers['set-cookie'], res.body);
    return res;
  }

  async post(
    url: string,
    fields: Record<string, string | string[]>,
    files: { name: string; filename: string; content: Buffer; type?: string }[] = [],
  ) {
    const withToken: Record<string, string | string[]> = { _csrf: this.csrf, ...fields };
    let payload: string | Buffer;
    let contentType: string;
    if (files.length === 0) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(withToken))
        for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
      payload = params.toString();
      contentType = 'application/x-www-form-urlencoded';
    } else {
      const form = new FormData();
      for (const [name, value] of Object.entries(withToken))
        for (const v of Array.isArray(value) ? value : [value]) form.append(name, v);
      for (const file of files)
        form.append(
          file.name,
          new Blob([new Uint8Array(file.content)], {
            type: file.type ?? 'application/octet-stream',
          }),
          file.filename,
        );
      const encoded = new Response(form);
      payload = Buffer.from(await encoded.arrayBuffer());
      contentType = encoded.headers.get('content-type') ?? '';
    }
    const res = await this.app.inject({
      method: 'POST',
      url,
      payload,
      headers: { ...this.sent(), 'content-type': contentType },
    });
    this.remember(res.headers['set-cookie'], res.body);
    return res;
  }

  private sent(): Record<string, string> {
    return { ...this.headers, ...(this.cookie ? { cookie: this.cookie } : {}) };
  }

  private remember(setCookie: string | string[] | undefined, body: string): void {
    const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    if (first) this.cookie = first.split(';')[0] ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
    if (csrf) this.csrf = csrf;
  }
}

/** Every route of the app as "METHOD /path", read from Fastify's own route tree. */
export function routesOf(app: FastifyInstance): Set<string> {
  const routes = new Set<string>();
  const parents: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:[│ ] {3}|\s{4})*)(?:[├└]── )(\S+) \(([^)]+)\)/.exec(line);
    if (!match) continue;
    const [, indent = '', segment = '', methods = ''] = match;
    const depth = indent.length / 4;
    parents.length = depth;
    const path = parents.join('') + segment;
    parents.push(segment);
    for (const method of methods.split(', '))
      if (method !== 'HEAD') routes.add(`${method} ${path.replace(/^\/\//, '/')}`);
  }
  return routes;
}
