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
      new Kysely<T>({ dialect: new SqliteDialect({ database: connection }) }),
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
