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

/** How many recent calls per tunnel the live view keeps. */
export const TRAFFIC_LOG_SIZE = 100;

/**
 * The live traffic log: the last TRAFFIC_LOG_SIZE calls per tunnel, never the messages themselves. In
 * process for the embedded mode; a capped list per tunnel in a cluster, so every node shows every call.
 */
export interface TrafficLog {
  record(tunnelId: string, entry: TrafficEntry): Promise<void>;
  /** Newest first. */
  recent(tunnelId: string): Promise<TrafficEntry[]>;
}
