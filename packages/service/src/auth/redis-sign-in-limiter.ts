import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  SIGN_IN_LIMITS,
  signInWait,
  type SignInFailure,
  type SignInLimiter,
  type SignInLimits,
} from './sign-in-limiter.ts';

/** Redis could not count or check sign-in failures: the attempt is refused (503) rather than let through. */
export class SignInLimiterUnavailable extends Error {
  constructor(cause: unknown) {
    super('The tunnel-service cannot reach Redis to check sign-in attempts just now; retry shortly.', {
      cause,
    });
  }
}

/**
 * The cluster's sign-in limiter: each address's failures are members of a sorted set (`signin:<address>`,
 * scored by time, naming the email hashed) in Redis, which every node shares.
 */
export class RedisSignInLimiter implements SignInLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #limits: SignInLimits;

  constructor(redis: Redis, keyPrefix: string, limits = SIGN_IN_LIMITS) {
    this.#redis = redis;
    this.#prefix = keyPrefix;
    this.#limits = limits;
  }

  async retryAfter(email: string | null, ip: string): Promise<number> {
    const now = Date.now();
    const key = this.#key(ip);
    const results = await this.#run(() =>
      this.#redis
        .multi()
        .zremrangebyscore(key, '-inf', `(${now - this.#limits.windowMs}`)
        .zrange(key, '0', '-1', 'WITHSCORES')
        .exec(),
    );
    const [error, scored] = results?.[1] ?? [];
    if (error) throw new SignInLimiterUnavailable(error);
    const fromIp: SignInFailure[] = [];
    const entries = scored as string[];
    for (let i = 0; i < entries.length; i += 2) {
      const named = entries[i]!.slice(entries[i]!.indexOf(' ') + 1);
      fromIp.push({ email: named === '' ? null : named, at: Number(entries[i + 1]) });
    }
    return signInWait(fromIp, email === null ? null : hashed(email), this.#limits, now);
  }

  async recordFailure(email: string | null, ip: string): Promise<void> {
    const now = Date.now();
    const key = this.#key(ip);
    // A unique member per failure: `<random> <hashed email, or nothing>`.
    const member = `${randomBytes(6).toString('hex')} ${email === null ? '' : hashed(email)}`;
    await this.#run(() =>
      this.#redis.multi().zadd(key, now, member).pexpire(key, this.#limits.windowMs).exec(),
    );
  }

  #key(ip: string): string {
    return `${this.#prefix}signin:${ip}`;
  }

  async #run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new SignInLimiterUnavailable(error);
    }
  }
}

const hashed = (email: string) => createHash('sha256').update(email).digest('hex');
