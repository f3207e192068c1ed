import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadMigrations, migrate } from './migrations.ts';
import type { SqlRow, SqlRunner, SqlValue } from './runner.ts';
import { sqlStore } from './sql-store.ts';
import type { Store } from './types.ts';

/** Repository SQL marks parameters with `?` (runner.ts); PostgreSQL numbers them. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** What both a pool and one of its connections can do: run a query. */
type Queryable = Pick<pg.Pool, 'query'>;

/** all, one, run and exec over whatever runs the query; transactions are the caller's. */
function statements(db: Queryable): Omit<SqlRunner, 'transaction'> {
  const query = (sql: string, params: readonly SqlValue[] = []) =>
    db.query<SqlRow>(numbered(sql), params as SqlValue[]);
  return {
    all: async (sql, params) => (await query(sql, params)).rows,
    one: async (sql, params) => (await query(sql, params)).rows[0],
    run: async (sql, params) => (await query(sql, params)).rowCount ?? 0,
    // Without parameters, node-postgres uses the simple protocol, which runs a script of many statements.
    exec: async (script) => {
      await db.query(script);
    },
  };
}

/** Runs `work` between BEGIN and COMMIT on one connection, which the runner handed to `work` stays on. */
async function inTransaction<T>(client: pg.ClientBase, work: (sql: SqlRunner) => Promise<T>): Promise<T> {
  const joined: SqlRunner = { ...statements(client), transaction: (nested) => nested(joined) };
  await client.query('BEGIN');
  try {
    const result = await work(joined);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection that broke mid-transaction cannot roll back; the server has already done so.
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * PostgreSQL through a node-postgres pool: each statement outside a transaction takes any free connection;
 * a transaction holds one connection from BEGIN to COMMIT, so statements made meanwhile through the pool
 * run beside it and never inside it.
 */
export class PostgresRunner implements SqlRunner {
  readonly #pool: pg.Pool;
  readonly all: SqlRunner['all'];
  readonly one: SqlRunner['one'];
  readonly run: SqlRunner['run'];
  readonly exec: SqlRunner['exec'];

  constructor(pool: pg.Pool) {
    this.#pool = pool;
    ({ all: this.all, one: this.one, run: this.run, exec: this.exec } = statements(pool));
  }

  async transaction<T>(work: (sql: SqlRunner) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      return await inTransaction(client, work);
    } catch (error) {
      // A connection the server dropped must not go back to the pool; a refused statement's may.
      if (!(error instanceof pg.DatabaseError)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Runs `work` on one connection that holds the session-level advisory lock `key` meanwhile: what every
   * node takes before migrating, so that one migrates and the others then find every step recorded.
   */
  async withLock<T>(key: number, work: (sql: SqlRunner) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('SELECT pg_advisory_lock($1)', [key]);
      try {
        const session: SqlRunner = {
          ...statements(client),
          transaction: (steps) => inTransaction(client, steps),
        };
        return await work(session);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key]);
      }
    } catch (error) {
      if (!(error instanceof pg.DatabaseError)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}

const MIGRATIONS = fileURLToPath(new URL('./migrations/postgres/', import.meta.url));

/** The advisory lock every tunnel-service node migrates under: any fixed number, the same on every node. */
const MIGRATION_LOCK = 0x6d637074; // "mcpt"

export interface PostgresOptions {
  /** A postgres:// URL; a password may also come from PGPASSWORD or ~/.pgpass instead of the URL. */
  url: string;
  /** The most connections this process holds open. */
  poolSize: number;
}

/** Opens a pool on the database and brings its schema to the latest version, under the migration lock. */
export async function openPostgresRunner(options: PostgresOptions): Promise<PostgresRunner> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    // An unreachable database fails the call that waits for a connection instead of holding it forever.
    connectionTimeoutMillis: 5_000,
  });
  // A pooled connection the server drops while idle is an 'error' event: the pool discards it and the next
  // statement opens a new one. Without a listener the event would end the process.
  pool.on('error', () => {});
  const sql = new PostgresRunner(pool);
  try {
    await sql.withLock(MIGRATION_LOCK, (session) => migrate(session, loadMigrations(MIGRATIONS)));
  } catch (error) {
    await sql.close();
    throw error;
  }
  return sql;
}

/** The cluster store: a PostgreSQL database that every node shares. */
export async function openPostgresStore(options: PostgresOptions): Promise<Store> {
  const sql = await openPostgresRunner(options);
  return sqlStore(sql, () => sql.close());
}
