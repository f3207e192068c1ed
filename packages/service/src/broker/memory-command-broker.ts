import { randomBytes } from 'node:crypto';
import { isTerminalResponseType, type TunnelResponsePayload } from '@mcp-tunnel/protocol';
import {
  PRESENCE_WINDOW_MS,
  type ClientPresence,
  type CommandBroker,
  type PollingClient,
  type QueuedCommand,
  type ResponseListener,
  type TakeOptions,
} from './command-broker.ts';

interface Waiter {
  limit: number;
  channels?: ReadonlySet<string>;
  extensions: ReadonlySet<string>;
  resolve: (commands: QueuedCommand[]) => void;
}

interface Pending {
  tunnelId: string;
  shardToken: string;
  listener: ResponseListener;
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

/** Whether a poller with these channels and extensions may be given `command`. */
const accepts = (
  channels: ReadonlySet<string> | undefined,
  extensions: ReadonlySet<string>,
  command: QueuedCommand,
) =>
  (!channels || channels.has(command.channel)) &&
  (command.extension === undefined || extensions.has(command.extension));

/** The embedded command broker: queues, waiting pollers, pending callers and presence, in this process. */
export class MemoryCommandBroker implements CommandBroker {
  readonly nodeId = `node-${randomBytes(6).toString('hex')}`;
  readonly #queues = new Map<string, QueuedCommand[]>();
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #pending = new Map<string, Pending>();
  readonly #presence = new Map<string, Presence>();
  readonly #presenceWindowMs: number;
  #closed = false;

  constructor(options: { presenceWindowMs?: number } = {}) {
    this.#presenceWindowMs = options.presenceWindowMs ?? PRESENCE_WINDOW_MS;
  }

  async enqueue(command: QueuedCommand, listener: ResponseListener): Promise<void> {
    if (this.#closed) return listener.onClosed();
    this.#pending.set(command.requestId, {
      tunnelId: command.tunnelId,
      shardToken: command.shardToken,
      listener,
    });
    this.#queue(command.tunnelId).push(command);
    this.#wake(command.tunnelId);
  }

  async abandon(tunnelId: string, requestId: string): Promise<void> {
    if (this.#pending.get(requestId)?.tunnelId !== tunnelId) return;
    this.#pending.delete(requestId);
    this.#unqueue(tunnelId, requestId);
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

  async deliver(tunnelId: string, shardToken: string, payload: TunnelResponsePayload): Promise<boolean> {
    const pending = this.#pending.get(payload.request_id);
    if (!pending || pending.tunnelId !== tunnelId || pending.shardToken !== shardToken) return false;
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
    return this.#isRecent(presence.pollsInProgress, presence.lastPollEndedAt);
  }

  async clients(tunnelId: string): Promise<ClientPresence[]> {
    const clients = this.#presence.get(tunnelId)?.clients;
    if (!clients) return [];
    const current: ClientPresence[] = [];
    for (const [instanceId, state] of clients) {
      if (this.#isRecent(state.pollsInProgress, state.lastPollEndedAt)) current.push(state.presence);
      // A client gone for good (restarted with a new instance id) is forgotten, so the map stays small.
      else clients.delete(instanceId);
    }
    return current;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const waiters of [...this.#waiters.values()]) for (const waiter of [...waiters]) waiter.resolve([]);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#queues.clear();
    for (const { listener } of pending) listener.onClosed();
  }

  #isRecent(polls: number, endedAt: number): boolean {
    return polls > 0 || Date.now() - endedAt <= this.#presenceWindowMs;
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
