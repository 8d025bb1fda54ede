import '@fastify/session';
import type { Session } from 'fastify';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { DB } from '../db/types.js';

type Callback = (err?: unknown) => void;
type GetCallback = (err: unknown, session?: Session | null) => void;

/** What @fastify/session needs from a store, with the expiry it should keep to. */
export interface SessionStore {
  set(id: string, session: Session, callback: Callback): void;
  get(id: string, callback: GetCallback): void;
  destroy(id: string, callback: Callback): void;
}

function expiryOf(session: Session, fallbackMs: number): Date {
  const expires = session.cookie.expires;
  return expires ? new Date(expires) : new Date(Date.now() + fallbackMs);
}

/** Sessions in the `sessions` table: the default, so a single machine needs nothing else. */
export class DatabaseSessionStore implements SessionStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly maxAgeMs: number,
  ) {}

  set(id: string, session: Session, callback: Callback): void {
    const row = {
      id,
      data: JSON.stringify(session),
      expires_at: expiryOf(session, this.maxAgeMs).toISOString(),
    };
    this.db
      .insertInto('sessions')
      .values(row)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ data: row.data, expires_at: row.expires_at }),
      )
      .execute()
      .then(() => {
        callback();
      }, callback);
  }

  get(id: string, callback: GetCallback): void {
    this.db
      .selectFrom('sessions')
      .select(['data', 'expires_at'])
      .where('id', '=', id)
      .executeTakeFirst()
      .then((row) => {
        const live = row && row.expires_at > new Date().toISOString();
        callback(null, live ? (JSON.parse(row.data) as Session) : null);
      }, callback);
  }

  destroy(id: string, callback: Callback): void {
    this.db
      .deleteFrom('sessions')
      .where('id', '=', id)
      .execute()
      .then(() => {
        callback();
      }, callback);
  }

  /** Deletes expired sessions; run now and then by the outbox's housekeeping. */
  async prune(now = new Date()): Promise<number> {
    const result = await this.db
      .deleteFrom('sessions')
      .where('expires_at', '<=', now.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** Sessions in Redis, when REDIS_URL is set: expiry is Redis's own TTL. */
export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly maxAgeMs: number,
    private readonly prefix = 'shire:session:',
  ) {}

  set(id: string, session: Session, callback: Callback): void {
    const ttlMs = Math.max(1000, expiryOf(session, this.maxAgeMs).getTime() - Date.now());
    this.redis.set(this.prefix + id, JSON.stringify(session), 'PX', ttlMs).then(() => {
      callback();
    }, callback);
  }

  get(id: string, callback: GetCallback): void {
    this.redis.get(this.prefix + id).then((data) => {
      callback(null, data ? (JSON.parse(data) as Session) : null);
    }, callback);
  }

  destroy(id: string, callback: Callback): void {
    this.redis.del(this.prefix + id).then(() => {
      callback();
    }, callback);
  }
}
