import type { JsonRpcMessage, ServerInfo, TunnelResponsePayload, WireHeaders } from '@mcp-tunnel/protocol';

/** One command for a tunnel-client, from the moment a caller sends it until its terminal response. */
export interface QueuedCommand {
  requestId: string;
  tunnelId: string;
  channel: string;
  commandType: 'jsonrpc' | 'session_termination' | 'standalone_stream' | 'resource_metadata';
  /** Names the node that holds the caller (see shard-token.ts); its response is routed there. */
  shardToken: string;
  createdAt: string;
  /** Epoch milliseconds after which the caller no longer waits. */
  deadlineAt: number;
  /** The protocol extension a poller must have declared (X-Tunnel-Extensions) to be given this command. */
  extension?: string;
  headers: WireHeaders;
  jsonrpc?: JsonRpcMessage;
}

/**
 * The caller's side of a command, on the node that holds the caller: every response the tunnel-client
 * posts for it, in order, or the broker closing. Called on no other node, and never after the terminal
 * response, abandon() or onClosed().
 */
export interface ResponseListener {
  onResponse(payload: TunnelResponsePayload): void;
  /** The broker can no longer route this command's responses: closing, or (with a reason) it lost Redis. */
  onClosed(reason?: string): void;
  /**
   * No tunnel-client will answer the command (see CommandFailure); it is no longer pending. Called at most
   * once, on the node that holds the caller.
   */
  onFailed(reason: CommandFailure): void;
}

/**
 * Why a pending command will get no response, told to its caller at once instead of at its deadline:
 * - `tunnel_offline`: it was still queued when the last tunnel-client of its tunnel went away, so no client
 *   ever saw it (safe to retry);
 * - `client_gone`: the tunnel-client holding it went away before answering (it may have run);
 * - `credential_revoked`: the tunnel-client holding it lost its key (revoked, or no longer allowed to use
 *   the tunnel) before answering, so its answer could not be accepted.
 */
export type CommandFailure = 'tunnel_offline' | 'client_gone' | 'credential_revoked';

export interface TakeOptions {
  limit: number;
  waitMs: number;
  /** Only commands on these channels; undefined = every channel. */
  channels?: ReadonlySet<string>;
  /** The protocol extensions the poller declared; a command naming an extension only goes to pollers that use it. */
  extensions: ReadonlySet<string>;
  /**
   * The client instance polling (PollingClient.instanceId). It holds what it takes until the command is
   * answered, requeued or released, or the client goes away (then the command fails, see departures).
   */
  instanceId: string;
  /** What authorized the poll (PollingClient.credential): credentialRevoked() ends the poll at once. */
  credential: string;
  signal: AbortSignal;
}

export interface PollingClient {
  instanceId: string;
  name: string | null;
  version: string | null;
  serverInfo: ServerInfo | null;
  /** Protocol extensions the client declared on its polls (X-Tunnel-Extensions). */
  extensions: string[];
  /**
   * What authorized its polls: `key:<api key id>`, or `member:<member id>` for a signed-in session. Never a
   * secret; not shown to anyone.
   */
  credential: string;
}

export interface ClientPresence extends PollingClient {
  lastPollAt: string;
}

/** A tunnel counts as online while a poll is open and this long after the last one ended. */
export const PRESENCE_WINDOW_MS = 10_000;

/**
 * A client whose poll was dropped (it hung up before the answer: stopped, killed, or its connection
 * broke) is gone unless it polls again within this long. A live client re-polls at once after a broken
 * connection; one that was killed never does.
 */
export const DROPPED_POLL_GRACE_MS = 2_000;

/**
 * How a poll ended: `answered` (the service answered it, with commands or none), or `dropped` (the client
 * hung up first).
 */
export type PollEnding = 'answered' | 'dropped';

/**
 * Which tunnel-clients poll a tunnel. Every node answers for the whole service: in a cluster a poll open
 * on one node makes the tunnel online on all of them.
 *
 * A client is present while one of its polls is open, and for the presence window after its last poll was
 * answered. It is gone (a departure) when it says it is leaving (clientLeft), when its poll was dropped
 * and it did not poll again within the grace (DROPPED_POLL_GRACE_MS), or when its credential is revoked.
 * A departure is seen by every node at once, and:
 * - the client is no longer listed, and the tunnel is offline if no other client is present;
 * - its open polls end (resolved with nothing);
 * - every pending command it holds (taken, not answered, requeued or released) fails: `client_gone`, or
 *   `credential_revoked` for a revocation;
 * - if no client of the tunnel is left present, every command still queued for the tunnel fails with
 *   `tunnel_offline`; otherwise they stay queued for the clients that are left.
 * A client that merely stops polling for longer than the presence window (one whose local queue is full
 * polls no more until it has room) is not listed any more, but is no departure: what it holds stays
 * pending until answered or the deadline.
 */
export interface TunnelPresence {
  pollStarted(tunnelId: string, client: PollingClient): Promise<void>;
  pollEnded(tunnelId: string, client: PollingClient, ending: PollEnding): Promise<void>;
  /**
   * The client says it is leaving (protocol extension `leave`): a departure, at once. The commands it
   * names in `released` (held by it, never started) are first put back at the head of their queue, for
   * another client of the tunnel; any other it holds fails.
   */
  clientLeft(tunnelId: string, instanceId: string, released: readonly string[]): Promise<void>;
  /** The credential no longer authorizes polling (a key revoked): a departure of every client using it. */
  credentialRevoked(credential: string): Promise<void>;
  /** A client is present (see above). */
  isOnline(tunnelId: string): Promise<boolean>;
  /** The clients present; a client gone or absent longer than the presence window is forgotten. */
  clients(tunnelId: string): Promise<ClientPresence[]>;
}

/**
 * Where commands wait between the connector endpoint and the tunnel API, and how responses find their
 * caller. In process for the embedded mode; in a cluster, a queue per tunnel and channel shared by every
 * node, and responses routed by shard token to the node holding the caller.
 *
 * A command is pending from enqueue() until its terminal response is delivered, its caller abandons it,
 * or the broker closes; only a pending command is handed to pollers or accepts responses.
 */
export interface CommandBroker extends TunnelPresence {
  /** This node's name; the shard tokens it issues carry it. */
  readonly nodeId: string;
  /** Queues a command and registers, on this node, who waits for its responses. */
  enqueue(command: QueuedCommand, listener: ResponseListener): Promise<void>;
  /**
   * Long-polls for pending commands of one tunnel that the poller accepts (channel, extension), oldest
   * first; resolves with none when the wait ends, the signal aborts, or the polling client departs. A
   * command past its deadline is never handed out. A command taken is held by options.instanceId and
   * handed to no other poller, unless it is requeued (or released).
   */
  take(tunnelId: string, options: TakeOptions): Promise<QueuedCommand[]>;
  /**
   * Puts taken commands that never reached their poller back at the head of their queue, if still pending;
   * they are held by no client any more.
   */
  requeue(commands: QueuedCommand[]): Promise<void>;
  /**
   * Hands a response to the listener of the pending command it answers, on the node the shard token
   * names. False when no such command is pending (unknown, finished, abandoned, expired with its caller)
   * or it belongs to another tunnel or another shard token. A terminal response ends the command; the
   * others (notifications, stream_open) leave it pending.
   */
  deliver(tunnelId: string, shardToken: string, payload: TunnelResponsePayload): Promise<boolean>;
  /**
   * The caller is gone or its deadline passed: the command is no longer pending, so it is not handed
   * out and a late response is refused. Its listener is not called again. Unknown commands are ignored.
   */
  abandon(tunnelId: string, requestId: string): Promise<void>;
  /**
   * Ends every long-poll held on this node and tells every caller waiting on this node that the service
   * is going away (onClosed); a command enqueued afterwards is told at once.
   */
  close(): Promise<void>;
}
