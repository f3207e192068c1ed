import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SIGN_IN_LIMITS, type SignInLimiter, type SignInLimits } from './sign-in-limiter.ts';

/** Redis could not count or check sign-in failures: the attempt is refused (503) rather than let through. */
export class SignInLimiterUnavailable extends Error {
  constructor(cause: unknown) {
    super('The tunnel-service cannot reach Redis to check sign-in attempts just now; retry shortly.', {
      cause,
    });
  }
}

/**
 * The cluster's sign-in limiter: failures are members of a sorted set per email and per address (scored by
 * time) in Redis, which every node shares. Emails are hashed in the key names.
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
    const { maxFailures, windowMs } = this.#limits;
    const now = Date.now();
    const keys = this.#keys(email, ip);
    const transaction = this.#redis.multi();
    for (const key of keys)
      transaction.zremrangebyscore(key, '-inf', `(${now - windowMs}`).zrange(key, '0', '-1', 'WITHSCORES');
    const results = await this.#run(() => transaction.exec());
    const waits: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const [error, scored] = results?.[i * 2 + 1] ?? [];
      if (error) throw new SignInLimiterUnavailable(error);
      const times = (scored as string[]).filter((_, at) => at % 2 === 1).map(Number);
      // The failure that must age out for the count to drop under the limit.
      if (times.length >= maxFailures) waits.push(times[times.length - maxFailures]! + windowMs - now);
    }
    return waits.length === 0 ? 0 : Math.max(1, Math.ceil(Math.max(...waits) / 1000));
  }

  async recordFailure(email: string | null, ip: string): Promise<void> {
    const now = Date.now();
    const transaction = this.#redis.multi();
    for (const key of this.#keys(email, ip))
      transaction
        .zadd(key, now, `${now}-${randomBytes(4).toString('hex')}`)
        .pexpire(key, this.#limits.windowMs);
    await this.#run(() => transaction.exec());
  }

  #keys(email: string | null, ip: string): string[] {
    const keys = [`${this.#prefix}signin:ip:${ip}`];
    if (email !== null)
      keys.unshift(`${this.#prefix}signin:email:${createHash('sha256').update(email).digest('hex')}`);
    return keys;
  }

  async #run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new SignInLimiterUnavailable(error);
    }
  }
}
