import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
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
import { BrokerUnavailable, RedisScript, viaRedis } from './redis-connection.ts';
import { shardTokenNode } from './shard-token.ts';

/**
 * Keys (all under the key prefix):
 *   cmd:<request id>        hash: a pending command (json, tunnel, channel, token, seq, deadline, ext);
 *                           it exists exactly while the command is pending
 *   q:<tunnel>:<channel>    sorted set: request ids waiting for a poller, by enqueue order (seq)
 *   qc:<tunnel>             set: the channels of the tunnel with a queue
 *   seq                     the enqueue counter
 *   pres:<tunnel>           sorted set: `<node>|<client instance>` scored by the time it stops counting
 *   clients:<tunnel>        hash: client instance → its ClientPresence (JSON)
 * Channels: wake:<tunnel> (a command was queued; the message is its channel), node:<node id> (responses
 * for the callers that node holds).
 */

/** Sets `key` to expire at `at` (ms) unless it already lives longer. */
const EXTEND = `
local function extend(key, at)
  local current = redis.call('PEXPIRETIME', key)
  if current >= 0 and current < at then redis.call('PEXPIREAT', key, at)
  elseif current == -1 then redis.call('PEXPIREAT', key, at) end
end
`;

// KEYS: cmd, queue, channels, seq. ARGV: json, request id, tunnel, channel, token, deadline, ext,
// expire at, wake channel.
const ENQUEUE = new RedisScript(`${EXTEND}
local seq = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'tunnel', ARGV[3], 'channel', ARGV[4], 'token', ARGV[5],
  'seq', seq, 'deadline', ARGV[6], 'ext', ARGV[7])
local at = tonumber(ARGV[8])
redis.call('PEXPIREAT', KEYS[1], at)
redis.call('ZADD', KEYS[2], seq, ARGV[2])
redis.call('SADD', KEYS[3], ARGV[4])
extend(KEYS[2], at)
extend(KEYS[3], at)
redis.call('PUBLISH', ARGV[9], ARGV[4])
return seq
`);

// KEYS: channels. ARGV: prefix, tunnel, limit, now, channel count (-1: every channel), channels...,
// extensions... Returns the json of the commands taken, oldest first.
const TAKE = new RedisScript(`
local prefix, tunnel = ARGV[1], ARGV[2]
local limit, now, n = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local channels = {}
if n < 0 then
  channels = redis.call('SMEMBERS', KEYS[1])
  n = 0
else
  for i = 1, n do channels[i] = ARGV[5 + i] end
end
local accepted = {}
for i = 6 + n, #ARGV do accepted[ARGV[i]] = true end
local picked = {}
for _, channel in ipairs(channels) do
  local queue = prefix .. 'q:' .. tunnel .. ':' .. channel
  local stale, found, from = {}, 0, 0
  while found < limit do
    local batch = redis.call('ZRANGE', queue, from, from + 49, 'WITHSCORES')
    if #batch == 0 then break end
    for i = 1, #batch, 2 do
      local id = batch[i]
      local cmd = redis.call('HMGET', prefix .. 'cmd:' .. id, 'tunnel', 'deadline', 'ext')
      if cmd[1] ~= tunnel or tonumber(cmd[2]) <= now then
        stale[#stale + 1] = id
      elseif found < limit and (cmd[3] == '' or accepted[cmd[3]]) then
        found = found + 1
        picked[#picked + 1] = { tonumber(batch[i + 1]), id, queue }
      end
    end
    from = from + 50
  end
  for _, id in ipairs(stale) do redis.call('ZREM', queue, id) end
end
table.sort(picked, function(a, b) return a[1] < b[1] end)
local out = {}
for i = 1, math.min(limit, #picked) do
  redis.call('ZREM', picked[i][3], picked[i][2])
  out[i] = redis.call('HGET', prefix .. 'cmd:' .. picked[i][2], 'json')
end
for _, channel in ipairs(channels) do
  if redis.call('EXISTS', prefix .. 'q:' .. tunnel .. ':' .. channel) == 0 then
    redis.call('SREM', KEYS[1], channel)
  end
end
return out
`);

// ARGV: prefix, now, request ids... Puts still-pending, live commands back in their queue at their place.
const REQUEUE = new RedisScript(`${EXTEND}
local prefix, now = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV do
  local key = prefix .. 'cmd:' .. ARGV[i]
  local cmd = redis.call('HMGET', key, 'tunnel', 'channel', 'seq', 'deadline')
  if cmd[1] and tonumber(cmd[4]) > now then
    local queue = prefix .. 'q:' .. cmd[1] .. ':' .. cmd[2]
    local channels = prefix .. 'qc:' .. cmd[1]
    local at = redis.call('PEXPIRETIME', key)
    redis.call('ZADD', queue, cmd[3], ARGV[i])
    redis.call('SADD', channels, cmd[2])
    extend(queue, at)
    extend(channels, at)
    redis.call('PUBLISH', prefix .. 'wake:' .. cmd[1], cmd[2])
  end
end
`);

// KEYS: cmd. ARGV: prefix, tunnel, token, terminal (1/0), node channel, message, request id.
// Publishes to the caller's node; a command whose node no longer listens is over.
const DELIVER = new RedisScript(`
local cmd = redis.call('HMGET', KEYS[1], 'tunnel', 'token', 'channel')
if cmd[1] ~= ARGV[2] or cmd[2] ~= ARGV[3] then return 0 end
local heard = redis.call('PUBLISH', ARGV[5], ARGV[6])
if heard == 0 or ARGV[4] == '1' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', ARGV[1] .. 'q:' .. ARGV[2] .. ':' .. cmd[3], ARGV[7])
end
if heard == 0 then return 0 end
return 1
`);

// KEYS: cmd. ARGV: prefix, tunnel, request id.
const ABANDON = new RedisScript(`
local cmd = redis.call('HMGET', KEYS[1], 'tunnel', 'channel')
if cmd[1] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[1] .. 'q:' .. ARGV[2] .. ':' .. cmd[2], ARGV[3])
return 1
`);

// KEYS: pres, clients. ARGV: now. Forgets clients gone longer than the window; returns the rest (JSON).
const CLIENTS = new RedisScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local live, order = {}, {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local instance = string.match(member, '^[^|]*|(.*)$')
  if not live[instance] then
    live[instance] = true
    order[#order + 1] = instance
  end
end
for _, instance in ipairs(redis.call('HKEYS', KEYS[2])) do
  if not live[instance] then redis.call('HDEL', KEYS[2], instance) end
end
if #order == 0 then return {} end
return redis.call('HMGET', KEYS[2], unpack(order))
`);

/** A pending record outlives its command's deadline by this much, so a late response finds it expired, not gone. */
const PENDING_GRACE_MS = 5000;

/** A response on its way to the node holding the caller. */
interface Routed {
  requestId: string;
  payload: TunnelResponsePayload;
}

interface Waiter {
  limit: number;
  channels?: ReadonlySet<string>;
  extensions: ReadonlySet<string>;
  /** Hands the waiter its commands; false when it has already finished (they must go back). */
  finish: (commands: QueuedCommand[]) => boolean;
}

export interface RedisCommandBrokerOptions {
  /** Commands and presence; shared with the other seams. */
  redis: Redis;
  /** A connection of the broker's own for its subscriptions; closed by close(). */
  subscriber: Redis;
  keyPrefix: string;
  presenceWindowMs?: number;
  /** The longest a poll stays open: an open poll of a node that died stops counting after this. */
  maxPollWaitMs: number;
}

/**
 * The cluster's command broker on Redis: queues per tunnel and channel that every node takes from,
 * pollers woken by publish (a command sent to any node reaches a poll held by any other at once),
 * responses published to the node the shard token names, and presence shared by all nodes.
 */
export class RedisCommandBroker implements CommandBroker {
  readonly nodeId = `node-${randomBytes(6).toString('hex')}`;
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #presenceWindowMs: number;
  readonly #maxPollWaitMs: number;
  /** The callers this node holds, by request id. */
  readonly #pending = new Map<string, { tunnelId: string; listener: ResponseListener }>();
  readonly #waiters = new Map<string, Waiter[]>();
  /** Tunnels whose waiters are being served, and those to serve again once that ends. */
  readonly #serving = new Set<string>();
  readonly #serveAgain = new Set<string>();
  /** Polls open on this node per tunnel and client instance. */
  readonly #openPolls = new Map<string, number>();
  #subscribed = false;
  #closed = false;

  private constructor(options: RedisCommandBrokerOptions) {
    this.#redis = options.redis;
    this.#subscriber = options.subscriber;
    this.#prefix = options.keyPrefix;
    this.#presenceWindowMs = options.presenceWindowMs ?? PRESENCE_WINDOW_MS;
    this.#maxPollWaitMs = options.maxPollWaitMs;
  }

  /** A broker subscribed to its channels, ready to use. */
  static async start(options: RedisCommandBrokerOptions): Promise<RedisCommandBroker> {
    const broker = new RedisCommandBroker(options);
    await broker.#subscribe();
    return broker;
  }

  async #subscribe(): Promise<void> {
    const wake = `${this.#prefix}wake:`;
    const own = `${this.#prefix}node:${this.nodeId}`;
    this.#subscriber.on('pmessage', (_pattern: string, channel: string) => {
      if (channel.startsWith(wake)) this.#serve(channel.slice(wake.length));
    });
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel === own) this.#route(JSON.parse(message) as Routed);
    });
    // While the subscription is down no response reaches this node and no poll is woken: callers are told
    // at once, and polls end so their clients come back (and are seen again) once Redis is.
    this.#subscriber.on('close', () => {
      if (!this.#subscribed || this.#closed) return;
      this.#subscribed = false;
      this.#releaseWaiters();
      this.#failCallers(
        'The tunnel-service lost its connection to the broker (Redis) while this request was waiting; retry it.',
      );
    });
    this.#subscriber.on('ready', () => {
      if (!this.#closed) this.#subscribed = true;
    });
    await viaRedis(async () => {
      await this.#subscriber.psubscribe(`${wake}*`);
      await this.#subscriber.subscribe(own);
    });
    this.#subscribed = true;
  }

  async enqueue(command: QueuedCommand, listener: ResponseListener): Promise<void> {
    if (this.#closed) return listener.onClosed();
    if (!this.#subscribed) throw new BrokerUnavailable(new Error('the subscription for responses is down'));
    this.#pending.set(command.requestId, { tunnelId: command.tunnelId, listener });
    try {
      await viaRedis(() =>
        ENQUEUE.run(
          this.#redis,
          [
            this.#key('cmd', command.requestId),
            this.#key('q', command.tunnelId, command.channel),
            this.#key('qc', command.tunnelId),
            this.#key('seq'),
          ],
          [
            JSON.stringify(command),
            command.requestId,
            command.tunnelId,
            command.channel,
            command.shardToken,
            command.deadlineAt,
            command.extension ?? '',
            command.deadlineAt + PENDING_GRACE_MS,
            this.#key('wake', command.tunnelId),
          ],
        ),
      );
    } catch (error) {
      this.#pending.delete(command.requestId);
      throw error;
    }
  }

  async abandon(tunnelId: string, requestId: string): Promise<void> {
    if (this.#pending.get(requestId)?.tunnelId === tunnelId) this.#pending.delete(requestId);
    await viaRedis(() => this.#unqueue(tunnelId, requestId));
  }

  async take(tunnelId: string, options: TakeOptions): Promise<QueuedCommand[]> {
    const ready = await viaRedis(() => this.#takeNow(tunnelId, options));
    if (ready.length > 0 || this.#closed || options.signal.aborted || options.waitMs <= 0) return ready;
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(tunnelId) ?? [];
      this.#waiters.set(tunnelId, waiters);
      let done = false;
      const finish = (commands: QueuedCommand[]) => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        options.signal.removeEventListener('abort', onAbort);
        const at = waiters.indexOf(waiter);
        if (at >= 0) waiters.splice(at, 1);
        if (waiters.length === 0 && this.#waiters.get(tunnelId) === waiters) this.#waiters.delete(tunnelId);
        resolve(commands);
        return true;
      };
      const waiter: Waiter = {
        limit: options.limit,
        channels: options.channels,
        extensions: options.extensions,
        finish,
      };
      const onAbort = () => finish([]);
      const timer = setTimeout(() => finish([]), options.waitMs);
      options.signal.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
      // A command queued between the first look and now published its wake before this waiter listened.
      this.#serve(tunnelId);
    });
  }

  async requeue(commands: QueuedCommand[]): Promise<void> {
    if (commands.length === 0) return;
    await viaRedis(() =>
      REQUEUE.run(this.#redis, [], [this.#prefix, Date.now(), ...commands.map((c) => c.requestId)]),
    );
  }

  async deliver(tunnelId: string, shardToken: string, payload: TunnelResponsePayload): Promise<boolean> {
    const node = shardTokenNode(shardToken);
    if (node === undefined) return false;
    const routed: Routed = { requestId: payload.request_id, payload };
    const delivered = await viaRedis(() =>
      DELIVER.run(
        this.#redis,
        [this.#key('cmd', payload.request_id)],
        [
          this.#prefix,
          tunnelId,
          shardToken,
          isTerminalResponseType(payload.resp_type) ? 1 : 0,
          this.#key('node', node),
          JSON.stringify(routed),
          payload.request_id,
        ],
      ),
    );
    return delivered === 1;
  }

  async pollStarted(tunnelId: string, client: PollingClient): Promise<void> {
    const polls = `${tunnelId}\n${client.instanceId}`;
    this.#openPolls.set(polls, (this.#openPolls.get(polls) ?? 0) + 1);
    const until = Date.now() + this.#maxPollWaitMs + this.#presenceWindowMs;
    const presence: ClientPresence = { ...client, lastPollAt: new Date().toISOString() };
    const started = viaRedis(() =>
      this.#redis
        .multi()
        .zadd(this.#key('pres', tunnelId), until, `${this.nodeId}|${client.instanceId}`)
        .hset(this.#key('clients', tunnelId), client.instanceId, JSON.stringify(presence))
        .pexpireat(this.#key('pres', tunnelId), until)
        .pexpireat(this.#key('clients', tunnelId), until)
        .exec(),
    );
    try {
      await started;
    } catch (error) {
      // A poll refused here never ends: it must not keep counting as open.
      const open = this.#openPolls.get(polls)! - 1;
      if (open > 0) this.#openPolls.set(polls, open);
      else this.#openPolls.delete(polls);
      throw error;
    }
  }

  async pollEnded(tunnelId: string, client: PollingClient): Promise<void> {
    const polls = `${tunnelId}\n${client.instanceId}`;
    const open = (this.#openPolls.get(polls) ?? 1) - 1;
    if (open > 0) return void this.#openPolls.set(polls, open);
    this.#openPolls.delete(polls);
    // Only this node's entry for the client: a poll it holds on another node keeps it present there.
    await viaRedis(() =>
      this.#redis.zadd(
        this.#key('pres', tunnelId),
        'XX',
        Date.now() + this.#presenceWindowMs,
        `${this.nodeId}|${client.instanceId}`,
      ),
    );
  }

  async isOnline(tunnelId: string): Promise<boolean> {
    const count = await viaRedis(() =>
      this.#redis.zcount(this.#key('pres', tunnelId), `(${Date.now()}`, '+inf'),
    );
    return count > 0;
  }

  async clients(tunnelId: string): Promise<ClientPresence[]> {
    const found = (await viaRedis(() =>
      CLIENTS.run(this.#redis, [this.#key('pres', tunnelId), this.#key('clients', tunnelId)], [Date.now()]),
    )) as (string | null)[];
    return found.filter((json) => json !== null).map((json) => JSON.parse(json) as ClientPresence);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#releaseWaiters();
    const pending = [...this.#pending];
    this.#failCallers();
    // The callers this node held were told to retry: their commands must not reach a tunnel-client.
    await Promise.allSettled(pending.map(([requestId, { tunnelId }]) => this.#unqueue(tunnelId, requestId)));
    this.#subscriber.disconnect();
  }

  /** Ends a pending command in Redis: it is no longer handed out, and its responses are refused. */
  #unqueue(tunnelId: string, requestId: string): Promise<unknown> {
    return ABANDON.run(this.#redis, [this.#key('cmd', requestId)], [this.#prefix, tunnelId, requestId]);
  }

  #key(...parts: string[]): string {
    return `${this.#prefix}${parts.join(':')}`;
  }

  async #takeNow(
    tunnelId: string,
    filter: Pick<TakeOptions, 'limit' | 'channels' | 'extensions'>,
  ): Promise<QueuedCommand[]> {
    const channels = filter.channels ? [...filter.channels] : undefined;
    const found = (await TAKE.run(
      this.#redis,
      [this.#key('qc', tunnelId)],
      [
        this.#prefix,
        tunnelId,
        filter.limit,
        Date.now(),
        channels ? channels.length : -1,
        ...(channels ?? []),
        ...filter.extensions,
      ],
    )) as string[];
    return found.map((json) => JSON.parse(json) as QueuedCommand);
  }

  /** Offers newly queued work to this node's waiting polls of the tunnel, first come first served. */
  #serve(tunnelId: string): void {
    if (!this.#waiters.has(tunnelId)) return;
    if (this.#serving.has(tunnelId)) return void this.#serveAgain.add(tunnelId);
    this.#serving.add(tunnelId);
    void (async () => {
      try {
        do {
          this.#serveAgain.delete(tunnelId);
          for (const waiter of [...(this.#waiters.get(tunnelId) ?? [])]) {
            let commands: QueuedCommand[];
            try {
              commands = await this.#takeNow(tunnelId, waiter);
            } catch {
              // Redis is unreachable: the poll ends empty and its client polls again.
              waiter.finish([]);
              continue;
            }
            if (commands.length > 0 && !waiter.finish(commands)) await this.requeue(commands).catch(() => {});
          }
        } while (this.#serveAgain.has(tunnelId) && this.#waiters.has(tunnelId));
      } finally {
        this.#serving.delete(tunnelId);
      }
    })();
  }

  /** A response published for a caller this node holds. */
  #route({ requestId, payload }: Routed): void {
    const pending = this.#pending.get(requestId);
    if (!pending) return;
    if (isTerminalResponseType(payload.resp_type)) this.#pending.delete(requestId);
    pending.listener.onResponse(payload);
  }

  #releaseWaiters(): void {
    for (const waiters of [...this.#waiters.values()]) for (const waiter of [...waiters]) waiter.finish([]);
  }

  #failCallers(reason?: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const { listener } of pending) listener.onClosed(reason);
  }
}
