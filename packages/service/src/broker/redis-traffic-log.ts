import type { Redis } from 'ioredis';
import { TRAFFIC_LOG_SIZE, type TrafficEntry, type TrafficLog } from './traffic-log.ts';
import { viaRedis } from './redis-connection.ts';

/** A tunnel nobody calls for this long has its live view emptied, so deleted tunnels leave nothing behind. */
const IDLE_EXPIRY_MS = 7 * 24 * 60 * 60_000;

/** The cluster's traffic log: a capped list per tunnel (`traffic:<tunnel>`, newest first) every node writes. */
export class RedisTrafficLog implements TrafficLog {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, keyPrefix: string) {
    this.#redis = redis;
    this.#prefix = keyPrefix;
  }

  async record(tunnelId: string, entry: TrafficEntry): Promise<void> {
    const key = this.#key(tunnelId);
    await viaRedis(() =>
      this.#redis
        .multi()
        .lpush(key, JSON.stringify(entry))
        .ltrim(key, 0, TRAFFIC_LOG_SIZE - 1)
        .pexpire(key, IDLE_EXPIRY_MS)
        .exec(),
    );
  }

  async recent(tunnelId: string): Promise<TrafficEntry[]> {
    const entries = await viaRedis(() => this.#redis.lrange(this.#key(tunnelId), 0, -1));
    return entries.map((json) => JSON.parse(json) as TrafficEntry);
  }

  #key(tunnelId: string): string {
    return `${this.#prefix}traffic:${tunnelId}`;
  }
}
