// What every SignInLimiter must do, wherever it counts failures: run with a factory for each
// implementation (embedded.test.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SignInLimiter, SignInLimits } from '../../src/auth/sign-in-limiter.ts';
import { delay, using, type Factory } from './factory.ts';

/** Unique per test, so implementations on a shared server never count another test's failures. */
const unique = () => crypto.randomUUID().slice(0, 8);

export function signInLimiterContract(
  implementation: string,
  factory: Factory<SignInLimiter, SignInLimits>,
): void {
  const limits: SignInLimits = { maxFailures: 3, windowMs: 60_000 };

  describe(`SignInLimiter: ${implementation}`, { timeout: 30_000 }, () => {
    test('failures for one email, from any address, lock that email only', () =>
      using(factory, limits, async (limiter) => {
        const email = `ada-${unique()}@example.com`;
        const ip = (n: number) => `10.${n}.0.1`;
        assert.equal(await limiter.retryAfter(email, ip(1)), 0);
        for (let n = 1; n <= 2; n++) await limiter.recordFailure(email, ip(n));
        assert.equal(await limiter.retryAfter(email, ip(9)), 0, 'under the limit');
        await limiter.recordFailure(email, ip(3));
        const wait = await limiter.retryAfter(email, ip(9));
        assert.ok(
          wait > 55 && wait <= 60,
          `Retry-After ${wait} s: until the oldest failure leaves the window`,
        );
        assert.equal(await limiter.retryAfter(`other-${unique()}@example.com`, ip(9)), 0);
      }));

    test('failures from one address, for any email, lock that address only', () =>
      using(factory, limits, async (limiter) => {
        const ip = `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
        for (let n = 0; n < 3; n++) await limiter.recordFailure(`guess${n}-${unique()}@example.com`, ip);
        assert.ok((await limiter.retryAfter(`fresh-${unique()}@example.com`, ip)) > 0);
        assert.ok((await limiter.retryAfter(null, ip)) > 0, 'an attempt without an email counts the address');
        assert.equal(await limiter.retryAfter(`fresh-${unique()}@example.com`, '192.0.2.7'), 0);
      }));

    test('failures without an email count against the address alone', () =>
      using(factory, limits, async (limiter) => {
        const ip = `172.16.${Math.floor(Math.random() * 250)}.1`;
        for (let n = 0; n < 3; n++) await limiter.recordFailure(null, ip);
        assert.ok((await limiter.retryAfter(null, ip)) > 0);
        assert.equal(await limiter.retryAfter(`someone-${unique()}@example.com`, '192.0.2.8'), 0);
      }));

    test('failures older than the window no longer count', () =>
      using(factory, { maxFailures: 2, windowMs: 300 }, async (limiter) => {
        const email = `late-${unique()}@example.com`;
        await limiter.recordFailure(email, '192.0.2.9');
        await limiter.recordFailure(email, '192.0.2.9');
        assert.equal(await limiter.retryAfter(email, '192.0.2.9'), 1, 'under a second left: wait 1 s');
        await delay(400);
        assert.equal(await limiter.retryAfter(email, '192.0.2.9'), 0);
      }));
  });
}
