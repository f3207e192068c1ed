import { connect } from 'node:net';
import { Backoff, sleep } from '../base/backoff.ts';

/** Errors that mean the listener is not up yet; anything else (a reset, a timeout) ends the wait as Go's does. */
const NOT_YET = new Set(['ECONNREFUSED', 'ENOENT']);

function tryConnect(target: { path: string } | { host: string; port: number }): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(target);
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

/**
 * mcp.startup_wait_timeout: waits until the HTTP MCP server at `url` (or its Unix socket) accepts a
 * connection, retrying only while the connection is refused or the socket file is missing. Resolves
 * true when it did, false when the wait ran out or gave up.
 */
export async function waitForListener(
  url: string,
  unixSocket: string | undefined,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const parsed = new URL(url);
  const port = Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80);
  const target = unixSocket ? { path: unixSocket } : { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
  const deadline = performance.now() + timeoutMs;
  const backoff = new Backoff(50, 1000);
  while (!signal.aborted) {
    const failure = await tryConnect(target);
    if (failure === undefined) return true;
    const left = deadline - performance.now();
    if (!NOT_YET.has(failure) || left <= 0) return false;
    await sleep(Math.min(backoff.next(), left), signal);
  }
  return false;
}
