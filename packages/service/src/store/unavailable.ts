/**
 * The store's database cannot be reached (refused, dropped or timed out), as opposed to a statement it
 * refused. Callers answer it as "try again later" (503) rather than as a fault of the service (500).
 */
export class StoreUnavailable extends Error {
  /** The database in words, without any password: `PostgreSQL postgres://db.internal:5432/tunnels`. */
  readonly database: string;

  constructor(database: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${database} is unreachable: ${reason}`, { cause });
    this.name = 'StoreUnavailable';
    this.database = database;
  }
}
