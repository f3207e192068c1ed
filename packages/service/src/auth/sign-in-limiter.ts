/**
 * How failed sign-ins slow down. One email from one address: the first `maxFailures` failures within the
 * window are free, then each try waits `firstDelayMs`, doubling with every further failure (never more
 * than the window). One address: once its failures within the window name `maxFailures` different
 * emails (or tried as many invitation tokens), it waits until the oldest of them leaves the window.
 */
export interface SignInLimits {
  maxFailures: number;
  windowMs: number;
  firstDelayMs: number;
}

export const SIGN_IN_LIMITS: SignInLimits = { maxFailures: 5, windowMs: 15 * 60 * 1000, firstDelayMs: 1000 };

/**
 * Slows down password guessing: counts failed sign-ins (and invitation tokens tried) per email and
 * address, and per address, over a sliding window. An email is never locked from every address: failures
 * from one address cannot keep its owner out elsewhere. Every node of a cluster must see the same counts,
 * and a restart must not reset them: the embedded limiter keeps them in the store; a cluster may keep
 * them in Redis.
 */
export interface SignInLimiter {
  /**
   * Seconds until another attempt for `email` from `ip` is allowed, or 0 when it is allowed now. `email`
   * is null when the attempt names none (accepting an invitation): only the address counts then.
   */
  retryAfter(email: string | null, ip: string): Promise<number>;
  /** Counts one failed attempt for the email, when there is one, from the address. */
  recordFailure(email: string | null, ip: string): Promise<void>;
}
