import type { IncomingMessage } from 'node:http';

/** How much of a refused body is read and thrown away so the caller can read the refusal. */
const DISCARD_MIN_BYTES = 16 * 1024 * 1024;
const DISCARD_TIMEOUT_MS = 30_000;

/**
 * Reads and discards what is left of a request body the service refused for its size. Without this,
 * the 413 is sent while the caller is still writing and the connection is closed under it, so HTTP
 * clients report a broken pipe instead of the refusal. Bodies far past the limit (more than four times
 * it, and at least 16 MiB) or that take too long are not waited for: true means the body was read to
 * its end and the connection can stay open.
 */
export function discardRefusedBody(raw: IncomingMessage, limitBytes: number): Promise<boolean> {
  if (raw.complete) return Promise.resolve(true);
  const capBytes = Math.max(4 * limitBytes, DISCARD_MIN_BYTES);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onError);
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > capBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onError = () => finish(false);
    const timer = setTimeout(() => finish(false), DISCARD_TIMEOUT_MS);
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onError);
    raw.resume();
  });
}
