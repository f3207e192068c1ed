import type { JsonRpcMessage, ServerInfo, TunnelResponsePayload, WireHeaders } from '@mcp-tunnel/protocol';

/**
 * The seam between the routes and where commands wait: in process for the embedded mode, Redis for a
 * cluster (queues per tunnel and channel, responses routed by shard token to the node holding the caller).
 */
export interface QueuedCommand {
  requestId: string;
  tunnelId: string;
  channel: string;
  commandType: 'jsonrpc' | 'session_termination' | 'standalone_stream';
  shardToken: string;
  createdAt: string;
  /** Epoch milliseconds after which the caller no longer waits. */
  deadlineAt: number;
  /** The protocol extension a poller must have declared (X-Tunnel-Extensions) to be given this command. */
  extension?: string;
  headers: WireHeaders;
  jsonrpc?: JsonRpcMessage;
}

/** The caller's side of a command: every response the tunnel-client posts for it, or the broker closing. */
export interface ResponseListener {
  onResponse(payload: TunnelResponsePayload): void;
  onClosed(): void;
}

export interface TakeOptions {
  limit: number;
  waitMs: number;
  /** Only commands on these channels; undefined = every channel. */
  channels?: ReadonlySet<string>;
  /** The protocol extensions the poller declared; commands of an extension only go to pollers that use it. */
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

/** One SSE event the connector endpoint sent a caller, kept so a caller can resume with Last-Event-ID. */
export interface BufferedEvent {
  /** The stream (one POST's answer, or one standalone GET stream) and the event's place in it, from 1. */
  streamId: string;
  seq: number;
  /** The message as the event's `data` (JSON), or null for the marker that ends a stream. */
  data: string | null;
  /** The stream's final event: nothing follows it. */
  last: boolean;
}

/** What a resumption finds: the events after the caller's last one, and whether the stream has ended. */
export interface Replay {
  events: BufferedEvent[];
  ended: boolean;
}

/** One finished call through the connector endpoint, as the console's live view shows it. */
export interface TrafficEntry {
  at: string;
  channel: string;
  /** The JSON-RPC method; `session_termination` for a DELETE. */
  method: string;
  /** The tool's name, for `tools/call`. */
  tool?: string;
  /** The HTTP status the caller got. */
  status: number;
  duration_ms: number;
}

export interface Broker {
  readonly nodeId: string;
  /** Queues a command and registers who waits for its responses. */
  enqueue(command: QueuedCommand, listener: ResponseListener): Promise<void>;
  /** The caller is gone or its deadline passed: forget the command, so a late response is not found. */
  abandon(requestId: string): Promise<void>;
  /** Long-polls for commands of one tunnel; resolves with none when the wait ends or the signal aborts. */
  take(tunnelId: string, options: TakeOptions): Promise<QueuedCommand[]>;
  /** Puts commands that were taken but never reached the poller back at the head of their queue. */
  requeue(commands: QueuedCommand[]): Promise<void>;
  /** Hands a response to the caller; false when the request is unknown, finished or another tunnel's. */
  deliver(tunnelId: string, payload: TunnelResponsePayload): Promise<boolean>;

  pollStarted(tunnelId: string, client: PollingClient): Promise<void>;
  pollEnded(tunnelId: string, client: PollingClient): Promise<void>;
  /** A poll is in progress or one ended within the recent window. */
  isOnline(tunnelId: string): Promise<boolean>;
  /** Clients polling now or within the recent window. */
  clients(tunnelId: string): Promise<ClientPresence[]>;
  /** Keeps the last few calls per tunnel (a ring buffer); never the messages themselves. */
  recordTraffic(tunnelId: string, entry: TrafficEntry): Promise<void>;
  /** Newest first. */
  recentTraffic(tunnelId: string): Promise<TrafficEntry[]>;

  /** Adds an event to the session's bounded buffer (by count and age, oldest dropped first). */
  recordEvent(tunnelId: string, sessionId: string, event: BufferedEvent): Promise<void>;
  /**
   * The buffered events of `streamId` after `seq`, or undefined when the buffer no longer holds them all
   * (the stream is unknown to this session, or events after `seq` were already dropped).
   */
  eventsAfter(
    tunnelId: string,
    sessionId: string,
    streamId: string,
    seq: number,
  ): Promise<Replay | undefined>;

  /** Ends every long-poll and tells every waiting caller the service is going away. */
  close(): Promise<void>;
}
