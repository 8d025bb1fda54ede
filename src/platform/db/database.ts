import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  /** A postgres:// URL; without one, Shire uses SQLite. */
  url?: string | undefined;
  /** SQLite file; ':memory:' for a throwaway database. */
  file?: string;
  /** PostgreSQL schema to use instead of `public` (tests get one each). */
  schema?: string;
}

// COUNT(*) and bigserial ids come back from pg as strings; our ids and counts fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** How many SQL statements stay prepared; the app has a few hundred distinct ones. */
const STATEMENT_CACHE = 1000;

/**
 * better-sqlite3 as Kysely sees it, with each statement prepared once and kept: Kysely
 * prepares again on every query, which was a fifth of a chat message's cost. A statement
 * still being read (a streamed export) is not handed out twice: a fresh one is prepared.
 */
function preparedOnce(connection: SQLite.Database) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      connection.close();
    },
    prepare(sql: string): SQLite.Statement {
      const kept = cache.get(sql);
      if (kept && !kept.busy) return kept;
      const statement = connection.prepare(sql);
      if (!kept) {
        cache.set(sql, statement);
        // The oldest out first; a Map keeps insertion order.
        if (cache.size > STATEMENT_CACHE) cache.delete(cache.keys().next().value ?? '');
      }
      return statement;
    },
  };
}

/** The database port: one Kysely instance and the dialect behind it. */
export class Database<T> {
  private constructor(
    readonly db: Kysely<T>,
    readonly dialect: Dialect,
    /** The PostgreSQL schema in use, when it is not the default. */
    readonly schema?: string,
  ) {}

  static sqlite<T>(file: string): Database<T> {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    const connection = new SQLite(file);
    // WAL lets readers carry on while the worker writes; foreign keys are off by default in SQLite.
    connection.pragma('journal_mode = WAL');
    connection.pragma('foreign_keys = ON');
    connection.pragma('busy_timeout = 5000');
    connection.pragma('synchronous = NORMAL');
    return new Database<T>(
      new Kysely<T>({ dialect: new SqliteDialect({ database: preparedOnce(connection) }) }),
      'sqlite',
    );
  }

  static postgres<T>(url: string, schema?: string): Database<T> {
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      connectionTimeoutMillis: 5000,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    return new Database<T>(
      new Kysely<T>({ dialect: new PostgresDialect({ pool }) }),
      'postgres',
      schema,
    );
  }

  static open<T>(options: DatabaseOptions): Database<T> {
    return options.url
      ? Database.postgres<T>(options.url, options.schema)
      : Database.sqlite<T>(options.file ?? ':memory:');
  }

  /** True when the database answers a trivial query; used by /health/ready. */
  async ping(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
