import type { FastifyReply } from 'fastify';
import { JSONRPC_SERVER_ERROR } from '@mcp-tunnel/protocol';
import type { EventBuffer, EventBufferLimits } from '../../broker/event-buffer.ts';
import { JsonRpcRefusal } from '../errors.ts';
import { parseEventId, SSE_HEADERS, sseFrame } from './sse.ts';

/** An SSE stream running on this node, which a caller who dropped it can take over again. */
export interface LiveStream {
  readonly tunnelId: string;
  /** The session whose buffer keeps the stream's events ('' outside a session). */
  readonly sessionId: string;
  readonly streamId: string;
  /** A standalone stream (GET), rather than one request's answer. */
  readonly standalone: boolean;
  /** Replays the events after `seq` on `reply`, then carries on live there; resolves when it closes. */
  resume(reply: FastifyReply, seq: number): Promise<void>;
  /** The stream's session was terminated: a standalone stream ends with it. */
  sessionEnded(): void;
}

/**
 * Last-Event-ID resumption: the SSE streams running on this node, and the buffered events of those that
 * ended (or run elsewhere), so a caller whose connection dropped gets what it missed.
 */
export class ResumableStreams {
  readonly #live = new Map<string, LiveStream>();
  readonly #eventBuffer: EventBuffer;
  readonly #limits: EventBufferLimits;

  constructor(eventBuffer: EventBuffer, limits: EventBufferLimits) {
    this.#eventBuffer = eventBuffer;
    this.#limits = limits;
  }

  add(stream: LiveStream): void {
    this.#live.set(stream.streamId, stream);
  }

  delete(stream: LiveStream): void {
    if (this.#live.get(stream.streamId) === stream) this.#live.delete(stream.streamId);
  }

  /** An ended session's standalone streams end too, as a direct server closes its GET stream. */
  sessionEnded(tunnelId: string, sessionId: string): void {
    for (const stream of [...this.#live.values()])
      if (stream.standalone && stream.tunnelId === tunnelId && stream.sessionId === sessionId)
        stream.sessionEnded();
  }

  /**
   * GET with Last-Event-ID: replays what the caller missed on that stream and carries on with it. Returns
   * false when the stream is a standalone one that has ended, so a fresh one is opened instead.
   */
  async resume(
    reply: FastifyReply,
    tunnelId: string,
    sessionId: string,
    lastEventId: string,
  ): Promise<boolean> {
    const at = parseEventId(lastEventId);
    const replay = at && (await this.#eventBuffer.eventsAfter(tunnelId, sessionId, at.streamId, at.seq));
    const running = at && this.#live.get(at.streamId);
    if (running && running.tunnelId === tunnelId && running.sessionId === sessionId && replay) {
      await running.resume(reply, at.seq);
      return true;
    }
    const standalone = at !== undefined && isStandaloneStream(at.streamId);
    // A request's answer still under way on another node: carry it on here as it is buffered.
    if (at && replay && !replay.ended && !standalone) {
      await this.#follow(reply, tunnelId, sessionId, at.streamId, at.seq);
      return true;
    }
    const missed = replay?.events.filter((event) => event.data !== null) ?? [];
    // A request stream that is over gets the rest of it. A standalone stream that is over gets what it
    // missed, if anything (the caller then comes back with the newest id); otherwise a fresh stream.
    if (replay && (standalone ? missed.length > 0 : true)) {
      reply.hijack();
      reply.raw.writeHead(200, SSE_HEADERS);
      for (const event of missed) reply.raw.write(sseFrame(event));
      reply.raw.end();
      return true;
    }
    if (standalone) return false;
    const limits = this.#limits;
    throw new JsonRpcRefusal(
      404,
      JSONRPC_SERVER_ERROR,
      `Cannot resume after Last-Event-ID ${JSON.stringify(lastEventId)}: the events after it are no longer buffered for this session (the service keeps the last ${limits.events} events and ${limits.bytes} bytes of each session for ${Math.round(limits.ageMs / 1000)} s, see --event-buffer-events, --event-buffer-bytes and --event-buffer-age), or the id is not one this endpoint sent. Send the request again.`,
    );
  }

  /**
   * Writes the buffered events of a stream after `seq`, and each one buffered later, until the stream
   * ends, the caller leaves, or nothing comes for as long as the buffer keeps events (its node is gone).
   */
  async #follow(
    reply: FastifyReply,
    tunnelId: string,
    sessionId: string,
    streamId: string,
    seq: number,
  ): Promise<void> {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, SSE_HEADERS);
    let recorded = true;
    let wake = () => {};
    const stop = await this.#eventBuffer.watch(tunnelId, sessionId, () => {
      recorded = true;
      wake();
    });
    const left = () => wake();
    raw.once('close', left);
    try {
      for (let sent = seq; !raw.destroyed;) {
        if (!recorded) {
          let idle: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            idle = setTimeout(resolve, this.#limits.ageMs);
          });
          clearTimeout(idle);
          if (!recorded) break;
        }
        recorded = false;
        const replay = await this.#eventBuffer.eventsAfter(tunnelId, sessionId, streamId, sent);
        if (!replay) break;
        for (const event of replay.events) {
          if (event.data !== null) raw.write(sseFrame(event));
          sent = event.seq;
        }
        if (replay.ended) break;
      }
    } finally {
      stop();
      raw.off('close', left);
      raw.end();
    }
  }
}

/** Stream ids of standalone streams start with this; request streams are named by their request id. */
const STANDALONE_PREFIX = 'get_';

export function streamIdOf(requestId: string, standalone: boolean): string {
  return standalone ? `${STANDALONE_PREFIX}${requestId}` : requestId;
}

function isStandaloneStream(streamId: string): boolean {
  return streamId.startsWith(STANDALONE_PREFIX);
}
