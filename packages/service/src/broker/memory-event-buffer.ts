import type { BufferedEvent, EventBuffer, EventBufferLimits, Replay } from './event-buffer.ts';

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
  }

  async eventsAfter(
    tunnelId: string,
    sessionId: string,
    streamId: string,
    seq: number,
  ): Promise<Replay | undefined> {
    const stream = (this.#fresh(`${tunnelId}\n${sessionId}`)?.events ?? []).filter(
      (e) => e.streamId === streamId,
    );
    if (stream.length === 0) return undefined;
    const events = stream.filter((e) => e.seq > seq).map(({ at: _at, ...event }) => event);
    // Resumable only when no event after the caller's last one is missing.
    if (events.some((event, i) => event.seq !== seq + 1 + i)) return undefined;
    if (events.length === 0 && stream.at(-1)!.seq < seq) return undefined;
    return { events, ended: stream.some((e) => e.last) };
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
