import { randomBytes } from 'node:crypto';
import { isTerminalResponseType, type TunnelResponsePayload } from '@mcp-tunnel/protocol';
import type {
  Broker,
  BufferedEvent,
  ClientPresence,
  Replay,
  PollingClient,
  QueuedCommand,
  ResponseListener,
  TakeOptions,
  TrafficEntry,
} from './types.ts';

/** A tunnel counts as online while a poll is open and this long after the last one ended. */
export const PRESENCE_WINDOW_MS = 10_000;
/** How many recent calls per tunnel the live view keeps. */
export const TRAFFIC_RING_SIZE = 100;

interface Waiter {
  limit: number;
  channels?: ReadonlySet<string>;
  extensions: ReadonlySet<string>;
  resolve: (commands: QueuedCommand[]) => void;
}

interface ClientState {
  presence: ClientPresence;
  pollsInProgress: number;
  lastPollEndedAt: number;
}

interface Presence {
  pollsInProgress: number;
  lastPollEndedAt: number;
  clients: Map<string, ClientState>;
}

const isRecent = (polls: number, endedAt: number) => polls > 0 || Date.now() - endedAt <= PRESENCE_WINDOW_MS;

/** Whether a poller with these channels and extensions may be given `command`. */
const accepts = (
  channels: ReadonlySet<string> | undefined,
  extensions: ReadonlySet<string>,
  command: QueuedCommand,
) =>
  (!channels || channels.has(command.channel)) &&
  (command.extension === undefined || extensions.has(command.extension));

/** How many events, and bytes of them, each session's resumption buffer keeps, and for how long. */
export interface EventBufferLimits {
  events: number;
  bytes: number;
  ageMs: number;
}

export const DEFAULT_EVENT_BUFFER: EventBufferLimits = {
  events: 500,
  bytes: 8 * 1024 * 1024,
  ageMs: 5 * 60_000,
};

interface TimedEvent extends BufferedEvent {
  at: number;
}

/**
 * The embedded broker: queues, waiting pollers, pending callers, client presence and the sessions' event
 * buffers, all in this process.
 */
export class MemoryBroker implements Broker {
  readonly nodeId = `node-${randomBytes(6).toString('hex')}`;
  readonly #queues = new Map<string, QueuedCommand[]>();
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #pending = new Map<string, { tunnelId: string; listener: ResponseListener }>();
  readonly #presence = new Map<string, Presence>();
  readonly #events = new Map<string, TimedEvent[]>();
  readonly #bufferLimits: EventBufferLimits;
  readonly #sweeper: NodeJS.Timeout;
  readonly #traffic = new Map<string, TrafficEntry[]>();
  #closed = false;

  constructor(bufferLimits: EventBufferLimits = DEFAULT_EVENT_BUFFER) {
    this.#bufferLimits = bufferLimits;
    // Sessions that stop sending events still give their buffers back once the events age out.
    this.#sweeper = setInterval(() => {
      for (const key of [...this.#events.keys()]) this.#fresh(key);
    }, bufferLimits.ageMs);
    this.#sweeper.unref();
  }

  async recordEvent(tunnelId: string, sessionId: string, event: BufferedEvent): Promise<void> {
    const { events: maxEvents, bytes: maxBytes } = this.#bufferLimits;
    // An event larger than the whole buffer is not kept; its stream cannot be resumed past it.
    if ((event.data?.length ?? 0) > maxBytes) return;
    const key = `${tunnelId}\n${sessionId}`;
    const events = this.#fresh(key) ?? [];
    events.push({ ...event, at: Date.now() });
    let bytes = events.reduce((sum, e) => sum + (e.data?.length ?? 0), 0);
    while (events.length > maxEvents || bytes > maxBytes) bytes -= events.shift()!.data?.length ?? 0;
    this.#events.set(key, events);
  }

  async eventsAfter(
    tunnelId: string,
    sessionId: string,
    streamId: string,
    seq: number,
  ): Promise<Replay | undefined> {
    const stream = (this.#fresh(`${tunnelId}\n${sessionId}`) ?? []).filter((e) => e.streamId === streamId);
    if (stream.length === 0) return undefined;
    const events = stream.filter((e) => e.seq > seq).map(({ at: _at, ...event }) => event);
    // Resumable only when no event after the caller's last one is missing.
    if (events.some((event, i) => event.seq !== seq + 1 + i)) return undefined;
    if (events.length === 0 && stream.at(-1)!.seq < seq) return undefined;
    return { events, ended: stream.some((e) => e.last) };
  }

  /** The session's events younger than the age limit; an emptied buffer is forgotten. */
  #fresh(key: string): TimedEvent[] | undefined {
    const events = this.#events.get(key);
    if (!events) return undefined;
    const oldest = Date.now() - this.#bufferLimits.ageMs;
    const kept = events.filter((e) => e.at >= oldest);
    if (kept.length === 0) this.#events.delete(key);
    else this.#events.set(key, kept);
    return kept.length ? kept : undefined;
  }

  async enqueue(command: QueuedCommand, listener: ResponseListener): Promise<void> {
    if (this.#closed) return listener.onClosed();
    this.#pending.set(command.requestId, { tunnelId: command.tunnelId, listener });
    this.#queue(command.tunnelId).push(command);
    this.#wake(command.tunnelId);
  }

  async abandon(requestId: string): Promise<void> {
    const pending = this.#pending.get(requestId);
    if (!pending) return;
    this.#pending.delete(requestId);
    this.#unqueue(pending.tunnelId, requestId);
  }

  async take(tunnelId: string, options: TakeOptions): Promise<QueuedCommand[]> {
    const ready = this.#drain(tunnelId, options.limit, options.channels, options.extensions);
    if (ready.length > 0 || this.#closed || options.signal.aborted || options.waitMs <= 0) return ready;
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(tunnelId) ?? [];
      this.#waiters.set(tunnelId, waiters);
      const finish = (commands: QueuedCommand[]) => {
        clearTimeout(timer);
        options.signal.removeEventListener('abort', onAbort);
        const at = waiters.indexOf(waiter);
        if (at >= 0) waiters.splice(at, 1);
        if (waiters.length === 0) this.#waiters.delete(tunnelId);
        resolve(commands);
      };
      const waiter: Waiter = {
        limit: options.limit,
        channels: options.channels,
        extensions: options.extensions,
        resolve: finish,
      };
      const onAbort = () => finish([]);
      const timer = setTimeout(() => finish([]), options.waitMs);
      options.signal.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
    });
  }

  async requeue(commands: QueuedCommand[]): Promise<void> {
    for (const command of [...commands].reverse()) {
      if (!this.#pending.has(command.requestId) || command.deadlineAt <= Date.now()) continue;
      this.#queue(command.tunnelId).unshift(command);
      this.#wake(command.tunnelId);
    }
  }

  async deliver(tunnelId: string, payload: TunnelResponsePayload): Promise<boolean> {
    const pending = this.#pending.get(payload.request_id);
    if (!pending || pending.tunnelId !== tunnelId) return false;
    if (isTerminalResponseType(payload.resp_type)) {
      this.#pending.delete(payload.request_id);
      this.#unqueue(tunnelId, payload.request_id);
    }
    pending.listener.onResponse(payload);
    return true;
  }

  async pollStarted(tunnelId: string, client: PollingClient): Promise<void> {
    const presence = this.#presenceOf(tunnelId);
    presence.pollsInProgress += 1;
    const state = presence.clients.get(client.instanceId);
    presence.clients.set(client.instanceId, {
      presence: { ...client, lastPollAt: new Date().toISOString() },
      pollsInProgress: (state?.pollsInProgress ?? 0) + 1,
      lastPollEndedAt: state?.lastPollEndedAt ?? 0,
    });
  }

  async pollEnded(tunnelId: string, client: PollingClient): Promise<void> {
    const presence = this.#presenceOf(tunnelId);
    const now = Date.now();
    presence.pollsInProgress = Math.max(0, presence.pollsInProgress - 1);
    presence.lastPollEndedAt = now;
    const state = presence.clients.get(client.instanceId);
    if (state) {
      state.pollsInProgress = Math.max(0, state.pollsInProgress - 1);
      state.lastPollEndedAt = now;
    }
  }

  async isOnline(tunnelId: string): Promise<boolean> {
    const presence = this.#presence.get(tunnelId);
    if (!presence) return false;
    return isRecent(presence.pollsInProgress, presence.lastPollEndedAt);
  }

  async clients(tunnelId: string): Promise<ClientPresence[]> {
    const clients = this.#presence.get(tunnelId)?.clients;
    if (!clients) return [];
    const current: ClientPresence[] = [];
    for (const [instanceId, state] of clients) {
      if (isRecent(state.pollsInProgress, state.lastPollEndedAt)) current.push(state.presence);
      // A client gone for good (restarted with a new instance id) is forgotten, so the map stays small.
      else clients.delete(instanceId);
    }
    return current;
  }

  async recordTraffic(tunnelId: string, entry: TrafficEntry): Promise<void> {
    let ring = this.#traffic.get(tunnelId);
    if (!ring) this.#traffic.set(tunnelId, (ring = []));
    ring.push(entry);
    if (ring.length > TRAFFIC_RING_SIZE) ring.splice(0, ring.length - TRAFFIC_RING_SIZE);
  }

  async recentTraffic(tunnelId: string): Promise<TrafficEntry[]> {
    return [...(this.#traffic.get(tunnelId) ?? [])].reverse();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#events.clear();
    for (const waiters of [...this.#waiters.values()]) for (const waiter of [...waiters]) waiter.resolve([]);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#queues.clear();
    for (const { listener } of pending) listener.onClosed();
  }

  #queue(tunnelId: string): QueuedCommand[] {
    let queue = this.#queues.get(tunnelId);
    if (!queue) this.#queues.set(tunnelId, (queue = []));
    return queue;
  }

  #unqueue(tunnelId: string, requestId: string): void {
    const queue = this.#queues.get(tunnelId);
    if (!queue) return;
    const at = queue.findIndex((c) => c.requestId === requestId);
    if (at >= 0) queue.splice(at, 1);
    if (queue.length === 0) this.#queues.delete(tunnelId);
  }

  /** Removes and returns up to `limit` live commands the poller accepts, oldest first. */
  #drain(
    tunnelId: string,
    limit: number,
    channels: ReadonlySet<string> | undefined,
    extensions: ReadonlySet<string>,
  ): QueuedCommand[] {
    const queue = this.#queues.get(tunnelId);
    if (!queue) return [];
    const now = Date.now();
    const taken: QueuedCommand[] = [];
    const kept: QueuedCommand[] = [];
    for (const command of queue) {
      if (command.deadlineAt <= now || !this.#pending.has(command.requestId)) continue;
      if (taken.length < limit && accepts(channels, extensions, command)) taken.push(command);
      else kept.push(command);
    }
    if (kept.length > 0) this.#queues.set(tunnelId, kept);
    else this.#queues.delete(tunnelId);
    return taken;
  }

  /** Gives newly queued work to waiting pollers, first come first served. */
  #wake(tunnelId: string): void {
    const waiters = this.#waiters.get(tunnelId);
    if (!waiters) return;
    for (const waiter of [...waiters]) {
      const commands = this.#drain(tunnelId, waiter.limit, waiter.channels, waiter.extensions);
      if (commands.length > 0) waiter.resolve(commands);
      if (!this.#queues.has(tunnelId)) return;
    }
  }

  #presenceOf(tunnelId: string): Presence {
    let presence = this.#presence.get(tunnelId);
    if (!presence)
      this.#presence.set(
        tunnelId,
        (presence = { pollsInProgress: 0, lastPollEndedAt: 0, clients: new Map() }),
      );
    return presence;
  }
}
