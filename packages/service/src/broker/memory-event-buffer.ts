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

/** The embedded event buffer: each session's events in an array of this process. */
export class MemoryEventBuffer implements EventBuffer {
  readonly #events = new Map<string, TimedEvent[]>();
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
    if ((event.data?.length ?? 0) > maxBytes) return;
    const key = `${tunnelId}\n${sessionId}`;
    const events = this.#fresh(key) ?? [];
    events.push({ ...event, at: Date.now() });
    let bytes = events.reduce((sum, e) => sum + (e.data?.length ?? 0), 0);
    while (events.length > maxEvents || bytes > maxBytes) bytes -= events.shift()!.data?.length ?? 0;
    this.#events.set(key, events);
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
    const stream = (this.#fresh(`${tunnelId}\n${sessionId}`) ?? [])
      .filter((e) => e.streamId === streamId)
      .map(({ at: _at, ...event }) => event);
    return replayAfter(stream, seq);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#events.clear();
  }

  /** The session's events younger than the age limit; an emptied buffer is forgotten. */
  #fresh(key: string): TimedEvent[] | undefined {
    const events = this.#events.get(key);
    if (!events) return undefined;
    const oldest = Date.now() - this.#limits.ageMs;
    const kept = events.filter((e) => e.at >= oldest);
    if (kept.length === 0) this.#events.delete(key);
    else this.#events.set(key, kept);
    return kept.length ? kept : undefined;
  }
}
