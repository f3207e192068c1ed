import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadMigrations, migrate, type Migration } from './migrations.ts';
import type { SqlRow, SqlRunner, SqlValue } from './runner.ts';
import { sqlStore } from './sql-store.ts';
import type { Store } from './types.ts';
import { StoreUnavailable } from './unavailable.ts';

/**
 * The database a URL names, for messages and logs: scheme, user, host, port and database, never the
 * password or the query (which may carry one). Throws saying what a URL must look like.
 */
export function postgresName(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // Said below without the text, which may hold a password.
  }
  if (!parsed || !['postgres:', 'postgresql:'].includes(parsed.protocol) || !parsed.hostname)
    throw new Error(
      'The database URL is not a PostgreSQL URL: give postgres://user@host:5432/database (the password in PGPASSWORD or ~/.pgpass).',
    );
  const user = parsed.username ? `${parsed.username}@` : '';
  return `postgres://${user}${parsed.host}${parsed.pathname}`;
}

/**
 * How long a statement waits for the database's answer while the service serves. A database whose network
 * drops packets (rather than refusing them) would otherwise hold each call for as long as TCP retries, many
 * minutes; the call fails as StoreUnavailable instead (a 503, or a remembered read on the hot path) and its
 * connection is dropped. Migrations, and a node waiting for another's, take as long as they need.
 */
export const STATEMENT_ANSWER_TIMEOUT_MS = 15_000;
/**
 * After a statement got no answer in time, how long every statement fails at once instead of waiting as
 * long again: a request makes several in turn, and each would otherwise wait the whole timeout.
 */
const SILENT_DATABASE_BACKOFF_MS = 5_000;

/** node-postgres's own words for its query_timeout (STATEMENT_ANSWER_TIMEOUT_MS) running out. */
const isAnswerTimeout = (error: unknown) => error instanceof Error && error.message === 'Query read timeout';

/** Errors of a server that is down, restarting or full, as opposed to a statement it refused. */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * The same error, or StoreUnavailable when the database could not be reached: the driver's own errors
 * (refused, reset, timed out, terminated) and the server's connection-class ones.
 */
function classified(database: string, error: unknown): unknown {
  if (error instanceof pg.DatabaseError)
    return error.code?.startsWith('08') || UNAVAILABLE_CODES.has(error.code ?? '')
      ? new StoreUnavailable(database, error)
      : error;
  if (error instanceof TypeError || error instanceof StoreUnavailable) return error;
  if (isAnswerTimeout(error))
    return new StoreUnavailable(
      database,
      new Error(`no answer within ${STATEMENT_ANSWER_TIMEOUT_MS / 1000} s`, { cause: error }),
    );
  return new StoreUnavailable(database, error);
}

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
 * run beside it and never inside it. A database that cannot be reached fails each call with
 * StoreUnavailable; the pool opens new connections once it is back.
 */
export class PostgresRunner implements SqlRunner {
  readonly #pool: pg.Pool;
  readonly #database: string;
  /** Until when statements fail at once: the database left one unanswered (SILENT_DATABASE_BACKOFF_MS). */
  #silentUntil = 0;
  readonly #statements: Omit<SqlRunner, 'transaction'>;

  constructor(pool: pg.Pool, database: string) {
    this.#pool = pool;
    this.#database = database;
    this.#statements = statements(pool);
  }

  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]> {
    return this.#classify(() => this.#statements.all(sql, params));
  }

  one(sql: string, params?: readonly SqlValue[]): Promise<SqlRow | undefined> {
    return this.#classify(() => this.#statements.one(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.#classify(() => this.#statements.run(sql, params));
  }

  exec(script: string): Promise<void> {
    return this.#classify(() => this.#statements.exec(script));
  }

  transaction<T>(work: (sql: SqlRunner) => Promise<T>): Promise<T> {
    return this.#onOneConnection((client) => inTransaction(client, work));
  }

  /**
   * Runs `work` on one connection that holds the session-level advisory lock `key` meanwhile: what every
   * node takes before migrating, so that one migrates and the others then find every step recorded.
   */
  withLock<T>(key: number, work: (sql: SqlRunner) => Promise<T>): Promise<T> {
    return this.#onOneConnection(async (client) => {
      await client.query('SELECT pg_advisory_lock($1)', [key]);
      try {
        return await work({ ...statements(client), transaction: (steps) => inTransaction(client, steps) });
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key]);
      }
    });
  }

  close(): Promise<void> {
    return this.#pool.end();
  }

  async #onOneConnection<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#classify(async () => {
      const client = await this.#pool.connect();
      let broken: Error | undefined;
      try {
        return await work(client);
      } catch (error) {
        // A connection the server dropped must not go back to the pool; one whose statement was refused may.
        if (!(error instanceof pg.DatabaseError)) broken = error as Error;
        throw error;
      } finally {
        client.release(broken);
      }
    });
  }

  async #classify<T>(work: () => Promise<T>): Promise<T> {
    if (performance.now() < this.#silentUntil)
      throw new StoreUnavailable(
        this.#database,
        new Error(
          `it left a statement unanswered for ${STATEMENT_ANSWER_TIMEOUT_MS / 1000} s; trying again within ${SILENT_DATABASE_BACKOFF_MS / 1000} s`,
        ),
      );
    try {
      return await work();
    } catch (error) {
      if (isAnswerTimeout(error)) this.#silentUntil = performance.now() + SILENT_DATABASE_BACKOFF_MS;
      throw classified(this.#database, error);
    }
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

/** A pool on the database; `answerTimeoutMs` bounds each statement's wait for its answer. */
function openPool(options: PostgresOptions, answerTimeoutMs?: number): PostgresRunner {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    // An unreachable database fails the call that waits for a connection instead of holding it forever.
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    ...(answerTimeoutMs ? { query_timeout: answerTimeoutMs } : {}),
  });
  // A pooled connection the server drops while idle is an 'error' event: the pool discards it and the next
  // statement opens a new one. Without a listener the event would end the process.
  pool.on('error', () => {});
  return new PostgresRunner(pool, `PostgreSQL ${postgresName(options.url)}`);
}

/**
 * Brings the database's schema to the latest version under the migration lock, on a pool of its own whose
 * statements may take as long as they need; returns the steps this node applied.
 */
async function migrated(options: PostgresOptions): Promise<Migration[]> {
  const sql = openPool(options);
  try {
    return await sql.withLock(MIGRATION_LOCK, (session) => migrate(session, loadMigrations(MIGRATIONS)));
  } finally {
    await sql.close();
  }
}

/** The cluster store: a PostgreSQL database that every node shares, migrated first. */
export async function openPostgresStore(options: PostgresOptions): Promise<Store> {
  await migrated(options);
  const sql = openPool(options, STATEMENT_ANSWER_TIMEOUT_MS);
  return sqlStore(sql, () => sql.close());
}

/** Brings the database's schema to the latest version; returns the steps this node applied. */
export function migratePostgres(options: PostgresOptions): Promise<Migration[]> {
  return migrated(options);
}
