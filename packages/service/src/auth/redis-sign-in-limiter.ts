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
 * The cluster's sign-in limiter, in Redis, which every node shares; emails are hashed in key names and
 * members. Two sorted sets scored by time: the failures of one email from one address, and per address
 * the emails it failed for (each email one member, at its latest failure; an attempt without an email,
 * a member of its own).
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
    const { maxFailures, windowMs, firstDelayMs } = this.#limits;
    const now = Date.now();
    const keys = [this.#addressKey(ip), ...(email === null ? [] : [this.#pairKey(email, ip)])];
    const transaction = this.#redis.multi();
    for (const key of keys)
      transaction.zremrangebyscore(key, '-inf', `(${now - windowMs}`).zrange(key, '0', '-1', 'WITHSCORES');
    const results = await this.#run(() => transaction.exec());
    const [guesses, pair] = keys.map((_, i) => {
      const [error, scored] = results?.[i * 2 + 1] ?? [];
      if (error) throw new SignInLimiterUnavailable(error);
      return (scored as string[]).filter((_, at) => at % 2 === 1).map(Number);
    });
    const waits: number[] = [];
    // The guess that must age out for the count to drop under the limit.
    if (guesses!.length >= maxFailures) waits.push(guesses![guesses!.length - maxFailures]! + windowMs - now);
    if (pair && pair.length >= maxFailures) {
      const delay = Math.min(windowMs, firstDelayMs * 2 ** (pair.length - maxFailures));
      waits.push(pair[pair.length - 1]! + delay - now);
    }
    const wait = Math.max(0, ...waits);
    return wait === 0 ? 0 : Math.max(1, Math.ceil(wait / 1000));
  }

  async recordFailure(email: string | null, ip: string): Promise<void> {
    const now = Date.now();
    const once = `${now}-${randomBytes(4).toString('hex')}`;
    const transaction = this.#redis.multi();
    transaction
      .zadd(this.#addressKey(ip), now, email === null ? once : hashed(email))
      .pexpire(this.#addressKey(ip), this.#limits.windowMs);
    if (email !== null)
      transaction
        .zadd(this.#pairKey(email, ip), now, once)
        .pexpire(this.#pairKey(email, ip), this.#limits.windowMs);
    await this.#run(() => transaction.exec());
  }

  #addressKey(ip: string): string {
    return `${this.#prefix}signin:ip:${ip}`;
  }

  #pairKey(email: string, ip: string): string {
    return `${this.#prefix}signin:email-ip:${hashed(email)}:${ip}`;
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
