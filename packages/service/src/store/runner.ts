/**
 * The one seam between the repositories and a database: every repository is written against this, so the
 * same repository code runs on SQLite today and on PostgreSQL with a runner of its own.
 *
 * SQL handed to a runner marks parameters with `?`, in order; a runner whose database numbers them
 * (PostgreSQL's `$1`) rewrites the marks, so repository SQL never contains a literal question mark.
 */
export type SqlValue = string | number | null;

/** A result row as the driver returns it: column name to loosely typed value (see columns.ts). */
export type SqlRow = Record<string, unknown>;

export interface SqlRunner {
  /** Every row of a query. */
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** The first row of a query, or undefined when it has none. */
  one(sql: string, params?: readonly SqlValue[]): Promise<SqlRow | undefined>;
  /** Runs a statement that returns no rows; resolves to how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs a script of statements without parameters (a migration). */
  exec(script: string): Promise<void>;
  /**
   * Runs `work` in one transaction on a runner of its own: committed when `work` resolves, rolled back when
   * it throws. Statements made meanwhile through any other runner are not part of it. A transaction begun
   * on the runner handed to `work` joins the one already open.
   */
  transaction<T>(work: (sql: SqlRunner) => Promise<T>): Promise<T>;
}
