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

/** How many events, and bytes of them, each session's buffer keeps, and for how long. */
export interface EventBufferLimits {
  events: number;
  bytes: number;
  ageMs: number;
}

/**
 * The SSE resumption buffer: the last events of each MCP session (tunnel id + session id; '' for calls
 * outside a session), bounded by count, bytes and age, oldest dropped first. In process for the embedded
 * mode; a capped stream per session in a cluster, so a caller can resume on any node.
 */
export interface EventBuffer {
  /**
   * Adds an event to the session's buffer. An event larger than the whole byte bound is not kept, so its
   * stream cannot be resumed past it. One stream's events are recorded in order.
   */
  record(tunnelId: string, sessionId: string, event: BufferedEvent): Promise<void>;
  /**
   * The buffered events of `streamId` after `seq`, or undefined when the buffer no longer holds them all
   * (the stream is unknown to this session, or events after `seq` were already dropped): a replay never
   * has a hole in it.
   */
  eventsAfter(
    tunnelId: string,
    sessionId: string,
    streamId: string,
    seq: number,
  ): Promise<Replay | undefined>;
  /**
   * Calls `onRecorded` after each event recorded for the session, on any node, until the returned function
   * is called; resolves once watching has begun. Lets a node carry on a resumed stream that runs elsewhere.
   */
  watch(tunnelId: string, sessionId: string, onRecorded: () => void): Promise<() => void>;
  /** Stops the buffer's housekeeping and drops what it holds. */
  close(): Promise<void>;
}

/**
 * The replay of one stream for a caller whose last event was `seq`, from that stream's buffered events in
 * order; undefined when the stream is unknown or an event after `seq` is missing.
 */
export function replayAfter(stream: BufferedEvent[], seq: number): Replay | undefined {
  if (stream.length === 0) return undefined;
  const events = stream.filter((e) => e.seq > seq);
  // Resumable only when no event after the caller's last one is missing.
  if (events.some((event, i) => event.seq !== seq + 1 + i)) return undefined;
  if (events.length === 0 && stream.at(-1)!.seq < seq) return undefined;
  return { events, ended: stream.some((e) => e.last) };
}
