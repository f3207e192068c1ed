import { nullable, Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/** A failed sign-in: an unknown email, a wrong password or an unknown invitation token (no email). */
const SIGN_IN_ATTEMPTS = new Table('sign_in_attempts', { email: nullable(text), ip: text, at: text });
export type FailedSignIn = RowOf<typeof SIGN_IN_ATTEMPTS>;

/** Failed sign-ins, kept only as long as the sign-in limiter's window looks back. */
export interface SignInAttemptRepository {
  recordFailure(attempt: FailedSignIn): Promise<void>;
  /** Failures from this ip since `since`, oldest first; older ones are dropped. */
  failuresSince(ip: string, since: string): Promise<FailedSignIn[]>;
}

export function sqlSignInAttempts(sql: SqlRunner): SignInAttemptRepository {
  return {
    recordFailure: (attempt) => SIGN_IN_ATTEMPTS.insert(sql, attempt),
    failuresSince: async (ip, since) => {
      // Old attempts only matter inside the window; dropping them here keeps the table small.
      await sql.run('DELETE FROM sign_in_attempts WHERE at < ?', [since]);
      return SIGN_IN_ATTEMPTS.all(sql, 'WHERE ip = ? AND at >= ? ORDER BY at', [ip, since]);
    },
  };
}
