import type { SignInAttemptRepository } from '../store/repositories/sign-in-attempts.ts';
import { nowIso } from '../store/ids.ts';
import { SIGN_IN_LIMITS, type SignInLimiter, type SignInLimits } from './sign-in-limiter.ts';

/** The embedded sign-in limiter: failures are rows of the store, so a restart does not forget them. */
export class StoreSignInLimiter implements SignInLimiter {
  readonly #attempts: SignInAttemptRepository;
  readonly #limits: SignInLimits;

  constructor(attempts: SignInAttemptRepository, limits = SIGN_IN_LIMITS) {
    this.#attempts = attempts;
    this.#limits = limits;
  }

  async retryAfter(email: string | null, ip: string): Promise<number> {
    const { maxFailures, windowMs } = this.#limits;
    const now = Date.now();
    const failures = await this.#attempts.failuresSince(email, ip, new Date(now - windowMs).toISOString());
    const waits = [
      failures.filter((f) => email !== null && f.email === email),
      failures.filter((f) => f.ip === ip),
    ]
      .filter((list) => list.length >= maxFailures)
      // The failure that must age out for the count to drop under the limit.
      .map((list) => Date.parse(list[list.length - maxFailures]!.at) + windowMs - now);
    return waits.length === 0 ? 0 : Math.max(1, Math.ceil(Math.max(...waits) / 1000));
  }

  async recordFailure(email: string | null, ip: string): Promise<void> {
    await this.#attempts.recordFailure({ email, ip, at: nowIso() });
  }
}
