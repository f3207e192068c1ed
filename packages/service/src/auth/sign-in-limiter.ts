/** After this many failed sign-ins for one email, or from one address, within the window: wait. */
export interface SignInLimits {
  maxFailures: number;
  windowMs: number;
}

export const SIGN_IN_LIMITS: SignInLimits = { maxFailures: 5, windowMs: 15 * 60 * 1000 };

/**
 * Slows down password guessing: counts failed sign-ins (and invitation tokens tried) per email and per
 * address over a sliding window. Every node of a cluster must see the same counts, and a restart must not
 * reset them: the embedded limiter keeps them in the store; a cluster may keep them in Redis.
 */
export interface SignInLimiter {
  /**
   * Seconds until another attempt for `email` from `ip` is allowed, or 0 when it is allowed now. `email`
   * is null when the attempt names none (accepting an invitation): only the address counts then.
   */
  retryAfter(email: string | null, ip: string): Promise<number>;
  /** Counts one failed attempt against the email, when there is one, and the address. */
  recordFailure(email: string | null, ip: string): Promise<void>;
}
