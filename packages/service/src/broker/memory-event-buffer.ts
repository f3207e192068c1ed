import {
  replayAfter,
  type BufferedEvent,
  type EventBuffer,
  type EventBufferLimits,
  type Replay,
} from './event-buffer.ts';

interface TimedEvent extends BufferedEvent {
  at: number;
}

/** One session's events, oldest first, with the sum of their data lengths kept as they come and go. */
interface SessionEvents {
  events: TimedEvent[];
  bytes: number;
}

const size = (event: BufferedEvent) => event.data?.length ?? 0;

/** The embedded event buffer: each session's events in an array of this process. */
export class MemoryEventBuffer implements EventBuffer {
  readonly #events = new Map<string, SessionEvents>();
  readonly #limits: EventBufferLimits;
  readonly #watchers = new Map<string, Set<() => void>>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(limits: EventBufferLimits) {
    this.#limits = limits;
    // Sessions that stop sending events still give their buffers back once the events age out.
    this.#sweeper = setInterval(() => {
      for (const key of [...this.#events.keys()]) this.#fresh(key);
    }, limits.ageMs);
    this.#sweeper.unref();
  }

  async record(tunnelId: string, sessionId: string, event: BufferedEvent): Promise<void> {
    const { events: maxEvents, bytes: maxBytes } = this.#limits;
    if (size(event) > maxBytes) return;
    const key = `${tunnelId}\n${sessionId}`;
    const buffer = this.#fresh(key) ?? { events: [], bytes: 0 };
    buffer.events.push({ ...event, at: Date.now() });
    buffer.bytes += size(event);
    let drop = 0;
    while (buffer.events.length - drop > maxEvents || buffer.bytes > maxBytes)
      buffer.bytes -= size(buffer.events[drop++]!);
    if (drop > 0) buffer.events.splice(0, drop);
    this.#events.set(key, buffer);
    for (const onRecorded of [...(this.#watchers.get(key) ?? [])]) onRecorded();
  }

  async watch(tunnelId: string, sessionId: string, onRecorded: () => void): Promise<() => void> {
    const key = `${tunnelId}\n${sessionId}`;
    const watchers = this.#watchers.get(key) ?? new Set();
    this.#watchers.set(key, watchers.add(onRecorded));
    return () => {
      watchers.delete(onRecorded);
      if (watchers.size === 0 && this.#watchers.get(key) === watchers) this.#watchers.delete(key);
    };
  }

  async eventsAfter(
    tunnelId: string,
    sessionId: string,
    streamId: string,
    seq: number,
  ): Promise<Replay | undefined> {
    const stream = (this.#fresh(`${tunnelId}\n${sessionId}`)?.events ?? [])
      .filter((e) => e.streamId === streamId)
      .map(({ at: _at, ...event }) => event);
    return replayAfter(stream, seq);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#events.clear();
  }

  /**
   * The session's events younger than the age limit; an emptied buffer is forgotten. Events are recorded
   * in time order, so the old ones are a prefix: a call costs what it drops, not the buffer's length.
   */
  #fresh(key: string): SessionEvents | undefined {
    const buffer = this.#events.get(key);
    if (!buffer) return undefined;
    const oldest = Date.now() - this.#limits.ageMs;
    let drop = 0;
    while (drop < buffer.events.length && buffer.events[drop]!.at < oldest)
      buffer.bytes -= size(buffer.events[drop++]!);
    if (drop === buffer.events.length) {
      this.#events.delete(key);
      return undefined;
    }
    if (drop > 0) buffer.events.splice(0, drop);
    return buffer;
  }
}
