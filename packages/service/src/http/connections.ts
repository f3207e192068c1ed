import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';

/** How long a caller may take over a request, and how many connections one address may hold. */
export interface ConnectionLimits {
  headersTimeoutMs: number;
  /** The whole request, headers and body. */
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** 0: no limit. */
  maxPerAddress: number;
}

/**
 * The options of Node's HTTP server that bound slow callers: a request whose headers or body arrive too
 * slowly gets 408 and is disconnected. Node checks them every `connectionsCheckingInterval`, so it is a
 * fraction of the shortest bound (else a 1 s bound could take Node's default 30 s to be enforced).
 */
export function serverTimeouts(limits: ConnectionLimits) {
  const shortest = Math.min(limits.headersTimeoutMs, limits.bodyTimeoutMs);
  return {
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.bodyTimeoutMs),
      requestTimeout: limits.bodyTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(shortest / 4))),
    },
    requestTimeout: limits.bodyTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  };
}

/**
 * Answers a connection past `max` open ones from the same address with 429 and closes it, before it can
 * hold a file descriptor for long: one address cannot use up the connections everyone else needs.
 */
export function limitConnectionsPerAddress(server: Server, max: number, log: FastifyBaseLogger): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  let warnedAt = -Infinity;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = open.get(address) ?? 0;
    if (count >= max) {
      // Once a minute at most: a flood must not flood the log as well.
      if (Date.now() - warnedAt > 60_000) {
        warnedAt = Date.now();
        log.warn(
          { address, max },
          'refused connections from an address holding too many (--max-connections-per-address)',
        );
      }
      const body = JSON.stringify({
        error: {
          type: 'rate_limit_error',
          code: 'too_many_connections',
          message: `This address already holds ${max} open connections to the service (--max-connections-per-address). Close some, or reuse them with keep-alive, and retry.`,
          param: null,
        },
      });
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${body}`,
      );
      socket.destroySoon();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
