// Tests wait on a condition, checked again and again until it holds or time runs out, never on a fixed
// pause: a pause long enough for a loaded machine is a waste everywhere else, and still not sure.

/**
 * Resolves once `check` holds; fails after `timeoutMs`, naming `what` (a function is asked at that moment,
 * so the message can say what was last seen). `intervalMs` spaces the checks: raise it when one check is
 * costly, such as running a CLI or a query that loads a service other checks share.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what: string | (() => string) = 'condition',
  intervalMs = 25,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
}
