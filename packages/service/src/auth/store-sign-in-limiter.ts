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
    const { maxFailures, windowMs, firstDelayMs } = this.#limits;
    const now = Date.now();
    const fromIp = await this.#attempts.failuresSince(ip, new Date(now - windowMs).toISOString());
    const waits: number[] = [];

    const pair = email === null ? [] : fromIp.filter((f) => f.email === email);
    if (pair.length >= maxFailures) {
      const delay = Math.min(windowMs, firstDelayMs * 2 ** (pair.length - maxFailures));
      waits.push(Date.parse(pair[pair.length - 1]!.at) + delay - now);
    }

    // Each email guessed counts once, at its latest failure; each invitation token tried counts alone.
    const latest = new Map<string, number>();
    fromIp.forEach((f, index) => latest.set(f.email ?? `#${index}`, Date.parse(f.at)));
    const guesses = [...latest.values()].sort((a, b) => a - b);
    // The guess that must age out for the count to drop under the limit.
    if (guesses.length >= maxFailures) waits.push(guesses[guesses.length - maxFailures]! + windowMs - now);

    const wait = Math.max(0, ...waits);
    return wait === 0 ? 0 : Math.max(1, Math.ceil(wait / 1000));
  }

  async recordFailure(email: string | null, ip: string): Promise<void> {
    await this.#attempts.recordFailure({ email, ip, at: nowIso() });
  }
}
