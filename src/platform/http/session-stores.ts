import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { DB } from '../db/types.js';

export interface StoredSession {
  data: Record<string, unknown>;
  /** When it was last written, in ms since the epoch: the session refreshes its expiry from this. */
  savedAt: number;
}

/** Where sessions live between requests. Keys are already hashed by the session plugin. */
export interface SessionStore {
  get(key: string): Promise<StoredSession | null>;
  set(key: string, session: StoredSession & { expiresAt: Date }): Promise<void>;
  destroy(key: string): Promise<void>;
}

/** Sessions in the `sessions` table: the default, so a single machine needs nothing else. */
export class DatabaseSessionStore implements SessionStore {
  constructor(private readonly db: Kysely<DB>) {}

  async get(key: string): Promise<StoredSession | null> {
    const row = await this.db
      .selectFrom('sessions')
      .select(['data', 'expires_at'])
      .where('id', '=', key)
      .executeTakeFirst();
    if (!row || row.expires_at <= new Date().toISOString()) return null;
    return JSON.parse(row.data) as StoredSession;
  }

  async set(
    key: string,
    { data, savedAt, expiresAt }: StoredSession & { expiresAt: Date },
  ): Promise<void> {
    const row = {
      id: key,
      data: JSON.stringify({ data, savedAt }),
      expires_at: expiresAt.toISOString(),
    };
    await this.db
      .insertInto('sessions')
      .values(row)
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ data: row.data, expires_at: row.expires_at }),
      )
      .execute();
  }

  async destroy(key: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', key).execute();
  }

  /** Deletes expired sessions; the app sweeps hourly. */
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
    private readonly prefix = 'shire:session:',
  ) {}

  async get(key: string): Promise<StoredSession | null> {
    const data = await this.redis.get(this.prefix + key);
    return data ? (JSON.parse(data) as StoredSession) : null;
  }

  async set(
    key: string,
    { data, savedAt, expiresAt }: StoredSession & { expiresAt: Date },
  ): Promise<void> {
    const ttlMs = Math.max(1000, expiresAt.getTime() - Date.now());
    await this.redis.set(this.prefix + key, JSON.stringify({ data, savedAt }), 'PX', ttlMs);
  }

  async destroy(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}
