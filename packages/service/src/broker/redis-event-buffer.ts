import type { Redis } from 'ioredis';
import {
  replayAfter,
  type BufferedEvent,
  type EventBuffer,
  type EventBufferLimits,
  type Replay,
} from './event-buffer.ts';
import { RedisScript, viaRedis } from './redis-connection.ts';

/**
 * Each session's events are a list `ev:<tunnel>:<session>` of `<recorded at ms> <size> <event JSON>`, with
 * the sum of their sizes in `evb:<tunnel>:<session>`; both expire once the newest event is too old. Each
 * event recorded is announced on the channel `evn:<tunnel>:<session>`.
 */
// KEYS: list, bytes. ARGV: entry, size, max events, max bytes, oldest kept (ms), age (ms), channel.
const RECORD = new RedisScript(`
redis.call('RPUSH', KEYS[1], ARGV[1])
local bytes = redis.call('INCRBY', KEYS[2], ARGV[2])
local count = redis.call('LLEN', KEYS[1])
local maxEvents, maxBytes, oldest = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
while count > 0 do
  local at, size = string.match(redis.call('LINDEX', KEYS[1], 0), '^(%d+) (%d+) ')
  if count <= maxEvents and bytes <= maxBytes and tonumber(at) >= oldest then break end
  redis.call('LPOP', KEYS[1])
  bytes = redis.call('DECRBY', KEYS[2], size)
  count = count - 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('PUBLISH', ARGV[7], '')
`);

/** The cluster's SSE resumption buffer: a capped list per session in Redis, so a caller can resume on any node. */
export class RedisEventBuffer implements EventBuffer {
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #limits: EventBufferLimits;
  /** Who watches each session's channel on this node, and the subscription to it. */
  readonly #watches = new Map<string, { watchers: Set<() => void>; subscribed: Promise<unknown> }>();

  /** `subscriber` is a connection of the buffer's own for watching; close() closes it. */
  constructor(redis: Redis, subscriber: Redis, keyPrefix: string, limits: EventBufferLimits) {
    this.#redis = redis;
    this.#subscriber = subscriber;
    this.#prefix = keyPrefix;
    this.#limits = limits;
    subscriber.on('message', (channel: string) => this.#tell(this.#watches.get(channel)?.watchers));
    // Announcements are lost while the subscription is down: watchers look for themselves.
    subscriber.on('ready', () => {
      for (const { watchers } of this.#watches.values()) this.#tell(watchers);
    });
  }

  async record(tunnelId: string, sessionId: string, event: BufferedEvent): Promise<void> {
    const { events, bytes, ageMs } = this.#limits;
    const size = event.data?.length ?? 0;
    if (size > bytes) return;
    const now = Date.now();
    await viaRedis(() =>
      RECORD.run(this.#redis, this.#keys(tunnelId, sessionId), [
        `${now} ${size} ${JSON.stringify(event)}`,
        size,
        events,
        bytes,
        now - ageMs,
        ageMs,
        this.#channel(tunnelId, sessionId),
      ]),
    );
  }

  async eventsAfter(
    tunnelId: string,
    sessionId: string,
    streamId: string,
    seq: number,
  ): Promise<Replay | undefined> {
    const [list] = this.#keys(tunnelId, sessionId);
    const entries = await viaRedis(() => this.#redis.lrange(list!, 0, -1));
    const oldest = Date.now() - this.#limits.ageMs;
    const stream: BufferedEvent[] = [];
    for (const entry of entries) {
      const at = entry.indexOf(' ');
      const json = entry.indexOf(' ', at + 1) + 1;
      if (Number(entry.slice(0, at)) < oldest) continue;
      const event = JSON.parse(entry.slice(json)) as BufferedEvent;
      if (event.streamId === streamId) stream.push(event);
    }
    return replayAfter(stream, seq);
  }

  async watch(tunnelId: string, sessionId: string, onRecorded: () => void): Promise<() => void> {
    const channel = this.#channel(tunnelId, sessionId);
    let watch = this.#watches.get(channel);
    if (!watch) {
      const subscribed = viaRedis(() => this.#subscriber.subscribe(channel));
      this.#watches.set(channel, (watch = { watchers: new Set(), subscribed }));
      subscribed.catch(() => {
        if (this.#watches.get(channel) === watch) this.#watches.delete(channel);
      });
    }
    const own = watch;
    own.watchers.add(onRecorded);
    const stop = () => {
      own.watchers.delete(onRecorded);
      if (own.watchers.size > 0 || this.#watches.get(channel) !== own) return;
      this.#watches.delete(channel);
      this.#subscriber.unsubscribe(channel).catch(() => {});
    };
    try {
      await own.subscribed;
    } catch (error) {
      stop();
      throw error;
    }
    return stop;
  }

  /** What it holds expires by itself; the command connection is the service's to close. */
  async close(): Promise<void> {
    this.#watches.clear();
    this.#subscriber.disconnect();
  }

  #tell(watchers: Set<() => void> | undefined): void {
    for (const onRecorded of [...(watchers ?? [])]) onRecorded();
  }

  #channel(tunnelId: string, sessionId: string): string {
    return `${this.#prefix}evn:${tunnelId}:${sessionId}`;
  }

  #keys(tunnelId: string, sessionId: string): string[] {
    return [`${this.#prefix}ev:${tunnelId}:${sessionId}`, `${this.#prefix}evb:${tunnelId}:${sessionId}`];
  }
}
