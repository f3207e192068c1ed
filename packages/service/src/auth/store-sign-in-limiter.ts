import type { SignInAttemptRepository } from '../store/repositories/sign-in-attempts.ts';
import { nowIso } from '../store/ids.ts';
import { SIGN_IN_LIMITS, signInWait, type SignInLimiter, type SignInLimits } from './sign-in-limiter.ts';

/** The embedded sign-in limiter: failures are rows of the store, so a restart does not forget them. */
export class StoreSignInLimiter implements SignInLimiter {
  readonly #attempts: SignInAttemptRepository;
  readonly #limits: SignInLimits;

  constructor(attempts: SignInAttemptRepository, limits = SIGN_IN_LIMITS) {
    this.#attempts = attempts;
    this.#limits = limits;
  }

  async retryAfter(email: string | null, ip: string): Promise<number> {
    const now = Date.now();
    const since = new Date(now - this.#limits.windowMs).toISOString();
    const fromIp = await this.#attempts.failuresSince(ip, since);
    return signInWait(
      fromIp.map((f) => ({ email: f.email, at: Date.parse(f.at) })),
      email,
      this.#limits,
      now,
    );
  }

  async recordFailure(email: string | null, ip: string): Promise<void> {
    await this.#attempts.recordFailure({ email, ip, at: nowIso() });
  }
}
