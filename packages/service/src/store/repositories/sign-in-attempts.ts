import { nullable, Table, text } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/** A failed sign-in: an unknown email, a wrong password or an unknown invitation token (no email). */
export interface FailedSignIn {
  email: string | null;
  ip: string;
  at: string;
}

/** Failed sign-ins, kept only as long as the sign-in limiter's window looks back. */
export interface SignInAttemptRepository {
  recordFailure(attempt: FailedSignIn): Promise<void>;
  /** Failures since `since` for this email or from this ip, oldest first; older ones are dropped. */
  failuresSince(email: string | null, ip: string, since: string): Promise<FailedSignIn[]>;
}

const SIGN_IN_ATTEMPTS = new Table<FailedSignIn>('sign_in_attempts', {
  email: nullable(text),
  ip: text,
  at: text,
});

export class SqlSignInAttemptRepository implements SignInAttemptRepository {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async recordFailure(attempt: FailedSignIn): Promise<void> {
    await SIGN_IN_ATTEMPTS.insert(this.#sql, attempt);
  }

  async failuresSince(email: string | null, ip: string, since: string): Promise<FailedSignIn[]> {
    // Old attempts only matter inside the window; dropping them here keeps the table small.
    await this.#sql.run('DELETE FROM sign_in_attempts WHERE at < ?', [since]);
    return SIGN_IN_ATTEMPTS.all(this.#sql, 'WHERE (email = ? OR ip = ?) AND at >= ? ORDER BY at', [
      email,
      ip,
      since,
    ]);
  }
}
