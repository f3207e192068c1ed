import type { Store } from '../store/types.ts';

/** After this many failed sign-ins for one email, or from one address, within the window: wait. */
export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;

/**
 * Seconds until another attempt is allowed for this email and address, or 0 when it is allowed now. The
 * count lives in the store, so every node of a cluster shares it and a restart does not reset it.
 */
export async function signInRetryAfter(store: Store, email: string | null, ip: string): Promise<number> {
  const now = Date.now();
  const failures = await store.signInAttempts.failuresSince(
    email,
    ip,
    new Date(now - FAILURE_WINDOW_MS).toISOString(),
  );
  const waits = [
    failures.filter((f) => email !== null && f.email === email),
    failures.filter((f) => f.ip === ip),
  ]
    .filter((list) => list.length >= MAX_FAILURES)
    // The failure that must age out for the count to drop under the limit.
    .map((list) => Date.parse(list[list.length - MAX_FAILURES]!.at) + FAILURE_WINDOW_MS - now);
  return waits.length === 0 ? 0 : Math.max(1, Math.ceil(Math.max(...waits) / 1000));
}
