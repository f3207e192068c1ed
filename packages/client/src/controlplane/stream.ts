import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { WebSocket, type Dispatcher } from 'undici';
import {
  STREAM_KEEPALIVE_MS,
  StreamServiceFrameSchema,
  type StreamClientFrame,
  type TunnelResponsePayload,
} from '@mcp-tunnel/protocol';
import type { Logger } from '../observability/logger.ts';
import type { ApiReply } from './api.ts';
import type { CommandQueue } from './command-queue.ts';

/** Where and how to open the stream: the poll's URL and headers, through the client's outbound agent. */
export interface StreamTarget {
  url: string;
  headers: Record<string, string>;
  agent: Dispatcher;
}

export interface StreamRunOptions {
  queue: CommandQueue;
  log: Logger;
  /** At most this many commands outstanding, as a poll's `limit`. */
  maxCredits: number;
  /** The stream is open: the service takes it as this client's poll from now on. */
  opened: () => void;
  /** A `commands` frame, exactly a poll answer's `commands`, received at `receivedAt` (monotonic). */
  received: (commands: unknown[], receivedAt: number) => void;
  /** The service was heard from (a frame or a ping): the control plane is alive. */
  heard: () => void;
  /** A response went out on the stream instead of a POST. */
  responded: () => void;
}

/** How a stream ended; `opened` false when the upgrade was refused or never answered. */
export interface StreamEnd {
  opened: boolean;
  /** How long it was open, in milliseconds. */
  openMs: number;
  reason: string;
}

/** A response whose ack the stream cannot give any more; the responder retries it as a network error. */
export class StreamClosed extends Error {
  override name = 'StreamClosed';
  readonly code = 'UND_ERR_SOCKET';
}

interface PendingAck {
  resolve: (reply: ApiReply) => void;
  reject: (error: Error) => void;
}

/** The service pings every STREAM_KEEPALIVE_MS; silence for this long means it or the path to it is dead. */
const SILENCE_LIMIT_MS = 2.5 * STREAM_KEEPALIVE_MS;

/**
 * Protocol extension `command-stream`: a WebSocket that carries commands (instead of polls) and responses
 * with their acks (instead of response POSTs). run() holds it open until it ends; meanwhile respond() sends
 * responses over it. The Poller opens it only after the service offered the extension, and polls again
 * as soon as it ends.
 */
export class CommandStream {
  private readonly target: () => StreamTarget;
  private socket: WebSocket | undefined;
  private nextAckId = 0;
  private readonly acks = new Map<number, PendingAck>();
  /** Wakes the credit loop: commands arrived or a response was acked, so the client may have more room. */
  private roomChanged: (() => void) | undefined;
  private responded: (() => void) | undefined;

  constructor(target: () => StreamTarget) {
    this.target = target;
  }

  /** Whether responses go over the stream now. */
  get open(): boolean {
    return this.socket !== undefined;
  }

  /** Opens the stream and serves it until it closes, breaks, goes silent or `signal` aborts. */
  run(signal: AbortSignal, options: StreamRunOptions): Promise<StreamEnd> {
    const { url, headers, agent } = this.target();
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers, dispatcher: agent });
    const closed = new AbortController();
    let openedAt: number | undefined;
    let lastHeard = performance.now();
    let outstanding = 0;
    let changed = true;
    const wake = () => {
      changed = true;
      this.roomChanged?.();
    };
    const heard = () => {
      lastHeard = performance.now();
      options.heard();
    };
    const onPing = (message: unknown) => {
      if ((message as { websocket?: unknown }).websocket === ws) heard();
    };
    subscribe('undici:websocket:ping', onPing);

    return new Promise<StreamEnd>((resolve) => {
      const finish = (reason: string) => {
        if (closed.signal.aborted) return;
        closed.abort();
        unsubscribe('undici:websocket:ping', onPing);
        clearInterval(watchdog);
        signal.removeEventListener('abort', stop);
        if (this.socket === ws) this.socket = undefined;
        this.roomChanged?.();
        this.roomChanged = undefined;
        this.responded = undefined;
        for (const [id, ack] of this.acks) {
          this.acks.delete(id);
          ack.reject(
            new StreamClosed(`the command stream closed (${reason}) before the service acknowledged`),
          );
        }
        if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(1000);
        const openMs = openedAt === undefined ? 0 : performance.now() - openedAt;
        resolve({ opened: openedAt !== undefined, openMs, reason });
      };
      const stop = () => finish('the tunnel-client is stopping');
      signal.addEventListener('abort', stop, { once: true });
      // A close handshake with a dead peer never completes: the stream is given up without it.
      const watchdog = setInterval(() => {
        if (performance.now() - lastHeard > SILENCE_LIMIT_MS) finish('the service went silent');
      }, STREAM_KEEPALIVE_MS);

      const grantCredits = async () => {
        while (!closed.signal.aborted) {
          if (!changed) await new Promise<void>((r) => (this.roomChanged = r));
          changed = false;
          await options.queue.waitForSpace(closed.signal);
          if (closed.signal.aborted) return;
          const credits = Math.min(options.maxCredits, options.queue.freeSlots()) - outstanding;
          if (credits <= 0) continue;
          outstanding += credits;
          this.send(ws, { type: 'credit', credits });
        }
      };

      ws.onopen = () => {
        openedAt = performance.now();
        heard();
        this.socket = ws;
        this.responded = () => {
          options.responded();
          wake();
        };
        options.opened();
        void grantCredits();
      };
      ws.onmessage = (event) => {
        heard();
        let frame;
        try {
          frame = StreamServiceFrameSchema.safeParse(JSON.parse(String(event.data)));
        } catch {
          frame = undefined;
        }
        if (!frame?.success) {
          options.log.warn(
            'the command stream carried a frame that is not JSON or not a known frame; ignored',
          );
          return;
        }
        const data = frame.data;
        if (data.type === 'commands') {
          outstanding = Math.max(0, outstanding - data.commands.length);
          options.received(data.commands, performance.now());
          wake();
        } else if (data.type === 'ack') {
          const ack = this.acks.get(data.id);
          this.acks.delete(data.id);
          ack?.resolve({ status: data.status, headers: {}, body: data.body, receivedAt: performance.now() });
        } else options.log.warn({ error: data.error }, 'the service refused a command stream frame');
      };
      ws.onclose = (event) =>
        finish(
          event.code === 1006 ? 'connection lost or upgrade refused' : `closed ${event.code} ${event.reason}`,
        );
      // An error is always followed by a close.
      ws.onerror = () => {};
    });
  }

  /**
   * Sends one response, answered with the ack the response POST would have had. Rejects with a network
   * error (StreamClosed) if the stream ends first, so the responder's retry rules apply unchanged.
   */
  respond(
    shardToken: string,
    payload: TunnelResponsePayload,
    signal?: AbortSignal,
    traceContext?: Record<string, string>,
  ): Promise<ApiReply> {
    const ws = this.socket;
    if (!ws) return Promise.reject(new StreamClosed('the command stream is not open'));
    const id = this.nextAckId++;
    return new Promise<ApiReply>((resolve, reject) => {
      const aborted = () => {
        this.acks.delete(id);
        reject(signal!.reason as Error);
      };
      if (signal?.aborted) return aborted();
      signal?.addEventListener('abort', aborted, { once: true });
      this.acks.set(id, {
        resolve: (reply) => {
          signal?.removeEventListener('abort', aborted);
          this.responded?.();
          resolve(reply);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', aborted);
          reject(error);
        },
      });
      this.send(ws, {
        type: 'response',
        id,
        shard_token: shardToken,
        payload,
        ...(traceContext ? { trace_context: traceContext } : {}),
      });
    });
  }

  private send(ws: WebSocket, frame: StreamClientFrame): void {
    ws.send(JSON.stringify(frame));
  }
}
