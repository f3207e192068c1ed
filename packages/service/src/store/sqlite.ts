import { closeSync, existsSync, openSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { loadMigrations, migrate, type Migration } from './migrations.ts';
import type { SqlRow, SqlRunner, SqlValue } from './runner.ts';
import { sqlStore } from './sql-store.ts';
import type { Store } from './types.ts';

/**
 * Prepared statements kept per SQL text. Preparing costs more than running the small lookups every call
 * makes (key, member, tunnel, session); the code's SQL texts are few, the bound only guards against
 * generated ones.
 */
const STATEMENT_CACHE_SIZE = 256;

/**
 * SQLite through Node's built-in `node:sqlite`: one connection, whose statements run at once. A transaction
 * holds the connection: statements from outside it wait until it ends instead of landing inside it.
 */
export class SqliteRunner implements SqlRunner {
  readonly #db: DatabaseSync;
  /** Settles when the open transaction ends; undefined when none is open. */
  #transaction: Promise<void> | undefined;
  /** Runs straight on the connection: the runner handed to a transaction's work. */
  readonly #direct: SqlRunner;

  constructor(file: string) {
    // Key hashes and the shard-token secret live here: the file (and its WAL, which inherits the mode) is the
    // owner's alone. SQLite treats an empty file as an empty database.
    if (file !== ':memory:' && !existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    const db = new DatabaseSync(file);
    // synchronous = NORMAL: with WAL, a commit no longer waits for the disk (an fsync per commit blocked the
    // event loop, tens of milliseconds under load); the file stays consistent, and only a power cut or an
    // operating-system crash (never the service's own) can lose the last commits before a checkpoint.
    db.exec(
      'PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;',
    );
    this.#db = db;
    const statements = new Map<string, StatementSync>();
    const prepared = (sql: string): StatementSync => {
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
        statements.set(sql, (statement = db.prepare(sql)));
      }
      return statement;
    };
    const direct: SqlRunner = {
      all: async (sql, params = []) => prepared(sql).all(...params) as SqlRow[],
      one: async (sql, params = []) => prepared(sql).get(...params) as SqlRow | undefined,
      run: async (sql, params = []) => Number(prepared(sql).run(...params).changes),
      exec: async (script) => db.exec(script),
      transaction: (work) => work(direct),
    };
    this.#direct = direct;
  }

  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]> {
    return this.#outside(() => this.#direct.all(sql, params));
  }

  one(sql: string, params?: readonly SqlValue[]): Promise<SqlRow | undefined> {
    return this.#outside(() => this.#direct.one(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.#outside(() => this.#direct.run(sql, params));
  }

  exec(script: string): Promise<void> {
    return this.#outside(() => this.#direct.exec(script));
  }

  async transaction<T>(work: (sql: SqlRunner) => Promise<T>): Promise<T> {
    while (this.#transaction) await this.#transaction;
    let ended!: () => void;
    this.#transaction = new Promise((resolve) => (ended = resolve));
    try {
      this.#db.exec('BEGIN');
      try {
        const result = await work(this.#direct);
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        this.#db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.#transaction = undefined;
      ended();
    }
  }

  async close(): Promise<void> {
    while (this.#transaction) await this.#transaction;
    if (this.#db.isOpen) this.#db.close();
  }

  /** Runs a statement now, or once the open transaction has ended. */
  async #outside<T>(statement: () => Promise<T>): Promise<T> {
    while (this.#transaction) await this.#transaction;
    return statement();
  }
}

const MIGRATIONS = fileURLToPath(new URL('./migrations/sqlite/', import.meta.url));

async function openMigrated(file: string): Promise<{ sql: SqliteRunner; applied: Migration[] }> {
  const sql = new SqliteRunner(file);
  try {
    return { sql, applied: await migrate(sql, loadMigrations(MIGRATIONS)) };
  } catch (error) {
    await sql.close();
    throw error;
  }
}

/** The embedded store: one SQLite file, migrated to the latest schema before it is handed out. */
export async function openSqliteStore(file: string): Promise<Store> {
  const { sql } = await openMigrated(file);
  return sqlStore(sql, () => sql.close());
}

/** Brings the file's schema to the latest version; returns the steps this applied. */
export async function migrateSqlite(file: string): Promise<Migration[]> {
  const { sql, applied } = await openMigrated(file);
  await sql.close();
  return applied;
}
