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
  const limits: SignInLimits = { maxFailures: 3, windowMs: 60_000, firstDelayMs: 1000 };

  describe(`SignInLimiter: ${implementation}`, { timeout: 30_000 }, () => {
    test('failures for one email from one address slow that pair down, doubling each time', () =>
      using(factory, limits, async (limiter) => {
        const email = `ada-${unique()}@example.com`;
        const ip = `10.1.${Math.floor(Math.random() * 250)}.1`;
        assert.equal(await limiter.retryAfter(email, ip), 0);
        for (let n = 1; n <= 2; n++) await limiter.recordFailure(email, ip);
        assert.equal(await limiter.retryAfter(email, ip), 0, 'under the limit');
        for (const expected of [1, 2, 4, 8]) {
          await limiter.recordFailure(email, ip);
          assert.equal(await limiter.retryAfter(email, ip), expected, `wait ${expected} s`);
        }
      }));

    test('failures for one email from many addresses never lock the email out elsewhere', () =>
      using(factory, limits, async (limiter) => {
        const email = `grace-${unique()}@example.com`;
        for (let n = 1; n <= 9; n++) await limiter.recordFailure(email, `10.2.${n}.1`);
        assert.equal(await limiter.retryAfter(email, '10.2.99.1'), 0);
      }));

    test('the wait never exceeds the window', () =>
      using(factory, { maxFailures: 1, windowMs: 5000, firstDelayMs: 1000 }, async (limiter) => {
        const email = `long-${unique()}@example.com`;
        const ip = `10.3.${Math.floor(Math.random() * 250)}.1`;
        for (let n = 0; n < 10; n++) await limiter.recordFailure(email, ip);
        const wait = await limiter.retryAfter(email, ip);
        assert.ok(wait >= 4 && wait <= 5, `Retry-After ${wait} s`);
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
      using(factory, { maxFailures: 2, windowMs: 300, firstDelayMs: 100 }, async (limiter) => {
        const ip = `192.0.2.${Math.floor(Math.random() * 250)}`;
        await limiter.recordFailure(`late-${unique()}@example.com`, ip);
        await limiter.recordFailure(`later-${unique()}@example.com`, ip);
        assert.equal(await limiter.retryAfter(null, ip), 1, 'under a second left: wait 1 s');
        await delay(400);
        assert.equal(await limiter.retryAfter(null, ip), 0);
      }));
  });
}
