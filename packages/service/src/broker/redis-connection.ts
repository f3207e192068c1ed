import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * Redis could not be reached, or did not answer in time. Callers are told to retry (503); the connection
 * comes back by itself once Redis does.
 */
export class BrokerUnavailable extends Error {
  constructor(cause: unknown) {
    // What went wrong in the client is for the service's log (the cause), not for callers.
    super('The tunnel-service cannot reach its broker (Redis) just now; retry shortly.', { cause });
  }
}

/** Runs a Redis operation, turning any failure of the connection into BrokerUnavailable. */
export async function viaRedis<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw error instanceof BrokerUnavailable ? error : new BrokerUnavailable(error);
  }
}

/** Where a Redis URL points, without its password: what logs and error messages may show. */
export function redisLocation(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'the configured Redis URL';
  }
}

/** How long one command may take before it fails: a Redis that stops answering must not hold a caller. */
const COMMAND_TIMEOUT_MS = 5000;

export interface RedisEvents {
  /** The connection was lost (once per outage). */
  onDown?: (error: Error | undefined) => void;
  /** The connection is ready again after being lost. */
  onUp?: () => void;
}

/**
 * Opens a connection to `url` and waits until it is ready. Commands fail at once while the connection is
 * down (no offline queue, no retries of a command), and the client reconnects every second at most, so a
 * Redis restart costs callers a clear error rather than a hang, and the service is back within a second
 * of Redis.
 */
export async function openRedis(url: string, events: RedisEvents = {}): Promise<Redis> {
  if (!/^rediss?:\/\//.test(url))
    throw new Error(
      `--redis-url must be a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379/0), not ${JSON.stringify(redisLocation(url))}`,
    );
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
  // 'connecting' until the first ready: only a connection that was up can go down and come back.
  let state: 'connecting' | 'up' | 'down' = 'connecting';
  const lost = (error: Error | undefined) => {
    if (state !== 'up') return;
    state = 'down';
    events.onDown?.(error);
  };
  // Without a listener ioredis prints every failed reconnection; an outage is reported once, by onDown.
  redis.on('error', (error: Error) => lost(error));
  redis.on('close', () => lost(undefined));
  redis.on('ready', () => {
    const back = state === 'down';
    state = 'up';
    if (back) events.onUp?.();
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(
      `could not connect to Redis at ${redisLocation(url)}: ${(error as Error).message}. Check --redis-url (TUNNEL_SERVICE_REDIS_URL) and that Redis is running.`,
      { cause: error },
    );
  }
  return redis;
}

/** A Lua script run by its SHA, sent in full only when Redis does not know it (after a restart). */
export class RedisScript {
  readonly #lua: string;
  readonly #sha: string;

  constructor(lua: string) {
    this.#lua = lua;
    this.#sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.#lua, keys.length, ...keys, ...args);
    }
  }
}
