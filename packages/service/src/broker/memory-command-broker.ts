import { randomBytes } from 'node:crypto';
import { isTerminalResponseType, type TunnelResponsePayload } from '@mcp-tunnel/protocol';
import {
  DROPPED_POLL_GRACE_MS,
  PRESENCE_WINDOW_MS,
  type ClientPresence,
  type CommandBroker,
  type CommandFailure,
  type PollEnding,
  type PollingClient,
  type QueuedCommand,
  type ResponseListener,
  type TakeOptions,
} from './command-broker.ts';

interface Waiter {
  limit: number;
  channels?: ReadonlySet<string>;
  extensions: ReadonlySet<string>;
  instanceId: string;
  credential: string;
  resolve: (commands: QueuedCommand[]) => void;
}

interface Pending {
  command: QueuedCommand;
  tunnelId: string;
  shardToken: string;
  listener: ResponseListener;
  /** The client instance that took the command and has not answered it yet. */
  holder?: string;
}

interface ClientState {
  presence: ClientPresence;
  pollsInProgress: number;
  lastPollEndedAt: number;
  /** Set while its last poll was dropped and it has not polled again: it departs when this fires. */
  dropped?: NodeJS.Timeout;
}

/** The clients of one tunnel, by instance id. */
type Presence = Map<string, ClientState>;

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

  readonly #droppedPollGraceMs: number;
  #closed = false;

  constructor(options: { presenceWindowMs?: number; droppedPollGraceMs?: number } = {}) {
    this.#presenceWindowMs = options.presenceWindowMs ?? PRESENCE_WINDOW_MS;
    this.#droppedPollGraceMs = options.droppedPollGraceMs ?? DROPPED_POLL_GRACE_MS;
  }

  async enqueue(command: QueuedCommand, listener: ResponseListener): Promise<void> {
    if (this.#closed) return listener.onClosed();
    this.#pending.set(command.requestId, {
      tunnelId: command.tunnelId,
      shardToken: command.shardToken,
      listener,
      command,
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
    const ready = this.#drain(tunnelId, options);
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
        instanceId: options.instanceId,
        credential: options.credential,
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
      const pending = this.#pending.get(command.requestId);
      if (!pending || command.deadlineAt <= Date.now()) continue;
      delete pending.holder;
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
    const clients = this.#presenceOf(tunnelId);
    const state = clients.get(client.instanceId);
    clearTimeout(state?.dropped);
    clients.set(client.instanceId, {
      presence: { ...client, lastPollAt: new Date().toISOString() },
      pollsInProgress: (state?.pollsInProgress ?? 0) + 1,
      lastPollEndedAt: state?.lastPollEndedAt ?? 0,
    });
  }

  async pollEnded(tunnelId: string, client: PollingClient, ending: PollEnding): Promise<void> {
    const state = this.#presence.get(tunnelId)?.get(client.instanceId);
    if (!state) return;
    state.pollsInProgress = Math.max(0, state.pollsInProgress - 1);
    state.lastPollEndedAt = Date.now();
    if (ending === 'dropped' && state.pollsInProgress === 0) {
      clearTimeout(state.dropped);
      state.dropped = setTimeout(
        () => this.#depart(tunnelId, client.instanceId, 'client_gone'),
        this.#droppedPollGraceMs,
      );
      state.dropped.unref();
    }
  }

  async clientLeft(tunnelId: string, instanceId: string, released: readonly string[]): Promise<void> {
    const queue = this.#queue(tunnelId);
    for (const requestId of [...released].reverse()) {
      const pending = this.#pending.get(requestId);
      if (pending?.tunnelId !== tunnelId || pending.holder !== instanceId) continue;
      delete pending.holder;
      queue.unshift(pending.command);
    }
    if (queue.length === 0) this.#queues.delete(tunnelId);
    this.#depart(tunnelId, instanceId, 'client_gone');
    this.#wake(tunnelId);
  }

  async credentialRevoked(credential: string): Promise<void> {
    for (const [tunnelId, clients] of [...this.#presence])
      for (const [instanceId, state] of [...clients])
        if (state.presence.credential === credential)
          this.#depart(tunnelId, instanceId, 'credential_revoked');
  }

  async isOnline(tunnelId: string): Promise<boolean> {
    return (await this.clients(tunnelId)).length > 0;
  }

  async clients(tunnelId: string): Promise<ClientPresence[]> {
    const clients = this.#presence.get(tunnelId);
    if (!clients) return [];
    const current: ClientPresence[] = [];
    for (const [instanceId, state] of clients) {
      if (this.#isPresent(state)) current.push(state.presence);
      // A client absent for long (stopped, or restarted with a new instance id) is forgotten, so the map
      // stays small; what it holds stays pending, as it may still answer.
      else if (!state.dropped) clients.delete(instanceId);
    }
    if (clients.size === 0) this.#presence.delete(tunnelId);
    return current;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const clients of this.#presence.values())
      for (const state of clients.values()) clearTimeout(state.dropped);
    for (const waiters of [...this.#waiters.values()]) for (const waiter of [...waiters]) waiter.resolve([]);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#queues.clear();
    for (const { listener } of pending) listener.onClosed();
  }

  #isPresent(state: ClientState): boolean {
    return state.pollsInProgress > 0 || Date.now() - state.lastPollEndedAt <= this.#presenceWindowMs;
  }

  /** The client is gone: see TunnelPresence. */
  #depart(tunnelId: string, instanceId: string, reason: CommandFailure): void {
    const clients = this.#presence.get(tunnelId);
    clearTimeout(clients?.get(instanceId)?.dropped);
    clients?.delete(instanceId);
    for (const waiter of [...(this.#waiters.get(tunnelId) ?? [])])
      if (waiter.instanceId === instanceId) waiter.resolve([]);
    const failed: [Pending, CommandFailure][] = [];
    for (const [requestId, pending] of this.#pending)
      if (pending.tunnelId === tunnelId && pending.holder === instanceId) {
        this.#pending.delete(requestId);
        failed.push([pending, reason]);
      }
    const present = clients ? [...clients.values()].some((state) => this.#isPresent(state)) : false;
    if (!present) {
      for (const command of this.#queues.get(tunnelId) ?? []) {
        const pending = this.#pending.get(command.requestId);
        if (!pending) continue;
        this.#pending.delete(command.requestId);
        failed.push([pending, 'tunnel_offline']);
      }
      this.#queues.delete(tunnelId);
    }
    for (const [pending, why] of failed) pending.listener.onFailed(why);
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

  /** Removes and returns up to `limit` live commands the poller accepts, oldest first; the poller holds them. */
  #drain(
    tunnelId: string,
    {
      limit,
      channels,
      extensions,
      instanceId,
    }: Pick<TakeOptions, 'limit' | 'channels' | 'extensions' | 'instanceId'>,
  ): QueuedCommand[] {
    const queue = this.#queues.get(tunnelId);
    if (!queue) return [];
    const now = Date.now();
    const taken: QueuedCommand[] = [];
    const kept: QueuedCommand[] = [];
    for (const command of queue) {
      const pending = this.#pending.get(command.requestId);
      if (command.deadlineAt <= now || !pending) continue;
      if (taken.length < limit && accepts(channels, extensions, command)) {
        pending.holder = instanceId;
        taken.push(command);
      } else kept.push(command);
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
      const commands = this.#drain(tunnelId, waiter);
      if (commands.length > 0) waiter.resolve(commands);
      if (!this.#queues.has(tunnelId)) return;
    }
  }

  #presenceOf(tunnelId: string): Presence {
    let presence = this.#presence.get(tunnelId);
    if (!presence) this.#presence.set(tunnelId, (presence = new Map()));
    return presence;
  }
}
