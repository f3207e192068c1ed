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
}

export interface TakeOptions {
  limit: number;
  waitMs: number;
  /** Only commands on these channels; undefined = every channel. */
  channels?: ReadonlySet<string>;
  /** The protocol extensions the poller declared; a command naming an extension only goes to pollers that use it. */
  extensions: ReadonlySet<string>;
  signal: AbortSignal;
}

export interface PollingClient {
  instanceId: string;
  name: string | null;
  version: string | null;
  serverInfo: ServerInfo | null;
  /** Protocol extensions the client declared on its polls (X-Tunnel-Extensions). */
  extensions: string[];
}

export interface ClientPresence extends PollingClient {
  lastPollAt: string;
}

/** A tunnel counts as online while a poll is open and this long after the last one ended. */
export const PRESENCE_WINDOW_MS = 10_000;

/**
 * Which tunnel-clients poll a tunnel. Every node answers for the whole service: in a cluster a poll open
 * on one node makes the tunnel online on all of them.
 */
export interface TunnelPresence {
  pollStarted(tunnelId: string, client: PollingClient): Promise<void>;
  pollEnded(tunnelId: string, client: PollingClient): Promise<void>;
  /** A poll is open, or one ended within the presence window. */
  isOnline(tunnelId: string): Promise<boolean>;
  /** Clients polling now or within the presence window; a client gone longer is forgotten. */
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
   * first; resolves with none when the wait ends or the signal aborts. A command past its deadline is
   * never handed out. A command taken is handed to no other poller, unless it is requeued.
   */
  take(tunnelId: string, options: TakeOptions): Promise<QueuedCommand[]>;
  /** Puts taken commands that never reached their poller back at the head of their queue, if still pending. */
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
