import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import {
  JSONRPC_SERVER_ERROR,
  jsonRpcError,
  type JsonRpcId,
  type TunnelResponsePayload,
} from '@mcp-tunnel/protocol';
import type {
  CommandBroker,
  CommandFailure,
  QueuedCommand,
  ResponseListener,
} from '../../broker/command-broker.ts';
import type { BufferedEvent, EventBuffer } from '../../broker/event-buffer.ts';
import type { CallOutcome, ServiceMetrics } from '../../observability/metrics.ts';
import { callerResponseHeaders } from './headers.ts';
import { streamIdOf, type LiveStream, type ResumableStreams } from './resumption.ts';
import { SSE_HEADERS, sseFrame } from './sse.ts';

/**
 * What the caller sent: a request waits for its answer, a notification or termination for the client's
 * acknowledgement, and a stream (GET, extension standalone-stream) relays the server's own messages.
 */
export type ExchangeKind = 'request' | 'notification' | 'termination' | 'stream';

export interface ExchangeOptions {
  reply: FastifyReply;
  kind: ExchangeKind;
  command: QueuedCommand;
  rpcId: JsonRpcId | null;
  /** The caller's Accept includes text/event-stream. */
  wantsSse: boolean;
  /** Hold notifications until the final answer, so its headers (a minted session id) can still be sent. */
  holdNotifications: boolean;
  /** The session whose buffer keeps this exchange's SSE events ('' outside a session). */
  sessionId: string;
  /** A stream must be opened within this long (the tunnel's response_timeout). */
  openWithinMs: number;
  /** The refusal a caller gets when the tunnel-client does not answer in time. */
  lateAnswer: string;
  /** Runs on the terminal response before it is written; returns headers to add (a minted session id). */
  onTerminal: (payload: TunnelResponsePayload) => Promise<Record<string, string>>;
  broker: CommandBroker;
  eventBuffer: EventBuffer;
  streams: ResumableStreams;
  metrics: ServiceMetrics | undefined;
  log: FastifyBaseLogger;
}

const validStatus = (code: number) => Number.isInteger(code) && code >= 200 && code <= 599;
/** The `retry:` a standalone stream announces, so a caller comes back promptly after its lifetime ends. */
const STREAM_RECONNECT_MS = 1000;
/** A standalone stream whose caller dropped it waits this long to be resumed before it is closed. */
const DETACHED_STREAM_GRACE_MS = 30_000;

/** The caller's answer when no tunnel-client will answer its command (see CommandFailure). */
const FAILURES: Record<CommandFailure, (tunnelId: string) => [number, string]> = {
  tunnel_offline: (tunnelId) => [
    503,
    `Tunnel ${tunnelId} went offline before any tunnel-client took this request (its last tunnel-client stopped, was lost or lost its access); the MCP server never saw it. Start tunnel-client for this tunnel, then retry.`,
  ],
  client_gone: () => [
    502,
    'The tunnel-client handling this request stopped or was lost before answering; the MCP server may or may not have acted on it. Retry if the request is safe to repeat.',
  ],
  credential_revoked: () => [
    502,
    'The tunnel-client handling this request lost its access (its API key was revoked or no longer holds Tunnels Use) before answering, so its answer cannot be accepted; the MCP server may or may not have acted on it. Give the tunnel-client a valid key, then retry if the request is safe to repeat.',
  ],
};

/**
 * One caller waiting on one command: turns the tunnel-client's responses into the caller's HTTP answer,
 * JSON or an SSE stream, and ends it exactly once (answer, deadline, shutdown or the caller hanging up).
 * It owns the command's deadlines, and abandons the command when the caller will not get its answer.
 * An SSE stream outlives a dropped connection: its events are buffered, and a caller that comes back with
 * Last-Event-ID gets what it missed and the rest (resume()).
 */
export class ConnectorExchange implements ResponseListener, LiveStream {
  readonly tunnelId: string;
  readonly sessionId: string;
  readonly streamId: string;
  readonly standalone: boolean;
  readonly #options: ExchangeOptions;
  readonly #done: Promise<void>;
  #resolve!: () => void;
  /** How it ended for the caller (counted in the metrics); undefined while it is not over. */
  #outcome: CallOutcome | undefined;
  #streaming = false;
  #seq = 0;
  /** The SSE stream has ended (its final marker is buffered). */
  #ended = false;
  /** Where SSE events are written now; undefined while the caller is away. */
  #sink: ServerResponse | undefined;
  /** Settles the current resume() call when its connection ends. */
  #released: (() => void) | undefined;
  readonly #held: unknown[] = [];
  readonly #timers: NodeJS.Timeout[] = [];
  #graceTimer: NodeJS.Timeout | undefined;

  constructor(options: ExchangeOptions) {
    this.#options = options;
    this.tunnelId = options.command.tunnelId;
    this.sessionId = options.sessionId;
    this.standalone = options.kind === 'stream';
    this.streamId = streamIdOf(options.command.requestId, this.standalone);
    this.#done = new Promise((resolve) => (this.#resolve = resolve));
    options.reply.raw.once('close', () => this.#left(options.reply.raw));
  }

  /**
   * Sends the command and waits until the caller has its answer, or will not get one. Meanwhile an SSE
   * exchange can be resumed (ResumableStreams).
   */
  async run(): Promise<void> {
    const { command, kind, broker, streams, metrics } = this.#options;
    this.#timers.push(
      setTimeout(() => {
        this.#abandon();
        this.#expire(504, this.#options.lateAnswer, 'timed_out');
      }, command.deadlineAt - Date.now()),
    );
    // A stream must at least be opened within the tunnel's response_timeout.
    if (kind === 'stream')
      this.#timers.push(
        setTimeout(() => {
          if (this.#streaming) return;
          this.#abandon();
          this.#fail(504, this.#options.lateAnswer, 'timed_out');
        }, this.#options.openWithinMs),
      );
    if (kind !== 'termination') streams.add(this);
    const started = performance.now();
    try {
      await broker.enqueue(command, this);
      await this.#done;
    } finally {
      const outcome = this.#outcome;
      if (metrics && outcome) {
        metrics.calls.inc({ kind, outcome });
        if (outcome === 'answered')
          metrics.callDuration.observe({ kind }, (performance.now() - started) / 1000);
      }
      streams.delete(this);
      for (const timer of this.#timers) clearTimeout(timer);
      clearTimeout(this.#graceTimer);
    }
  }

  /** Never throws: whatever goes wrong answering this caller is this caller's alone, not the response post's. */
  onResponse(payload: TunnelResponsePayload): void {
    if (this.#finished) return;
    const failed = (error: unknown) => {
      this.#options.log.error({ err: error }, 'could not write the connector answer');
      this.#outcome = undefined;
      this.#fail(
        502,
        'The tunnel-service could not deliver the MCP server’s answer; retry the request.',
        'write_failed',
      );
    };
    try {
      if (payload.resp_type === 'jsonrpc_notify') return this.#notify(payload.resp_json);
      if (payload.resp_type === 'stream_open') return this.#openStream(payload);
      this.#finish('answered');
      this.#answer(payload).catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  onClosed(reason?: string): void {
    this.#fail(
      503,
      reason ?? 'The tunnel-service is shutting down; retry the request shortly.',
      reason ? 'broker_unavailable' : 'shutting_down',
    );
  }

  onFailed(reason: CommandFailure): void {
    const [status, message] = FAILURES[reason](this.tunnelId);
    this.#fail(status, message, reason);
  }

  sessionEnded(): void {
    this.#abandon();
    this.#expire(404, 'The session was terminated.', 'session_ended');
  }

  /**
   * A caller resumed with Last-Event-ID `<streamId>:<seq>`: replays the buffered events after `seq` on
   * `reply`, then carries on live there. Resolves when this connection ends.
   */
  async resume(reply: FastifyReply, seq: number): Promise<void> {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, SSE_HEADERS);
    let sent = seq;
    // Events may arrive while the buffer is read: read again until nothing is left behind.
    while (this.#seq > sent) {
      const replay = await this.#options.eventBuffer.eventsAfter(
        this.tunnelId,
        this.sessionId,
        this.streamId,
        sent,
      );
      if (!replay || replay.events.length === 0) break;
      for (const event of replay.events) {
        if (event.data !== null) raw.write(sseFrame(event));
        sent = event.seq;
      }
    }
    if (this.#ended) {
      raw.end();
      return;
    }
    // A newer connection takes over from an older one.
    this.#sink?.end();
    this.#released?.();
    this.#sink = raw;
    return new Promise((resolve) => {
      this.#released = resolve;
      raw.once('close', () => this.#left(raw));
    });
  }

  /** The caller will not get the answer: the command is no longer pending, so a late response is refused. */
  #abandon(): void {
    void this.#options.broker.abandon(this.tunnelId, this.#options.command.requestId);
  }

  get #finished(): boolean {
    return this.#outcome !== undefined;
  }

  /** It is over for the caller; the first way it ended is the one counted. */
  #finish(outcome: CallOutcome): void {
    this.#outcome ??= outcome;
  }

  /** Ends the exchange with a JSON-RPC error (deadline, shutdown), unless it already ended. */
  #fail(status: number, message: string, outcome: CallOutcome): void {
    if (this.#finished) return;
    this.#finish(outcome);
    this.#writeError(status, message);
  }

  /** A stream's lifetime is over: an open stream ends normally (the caller reconnects), else as #fail(). */
  #expire(status: number, message: string, outcome: CallOutcome): void {
    if (this.#finished || !this.#streaming || !this.standalone) return this.#fail(status, message, outcome);
    this.#finish('answered');
    this.#endStream();
  }

  /** A caller's connection closed. */
  #left(raw: ServerResponse): void {
    if (raw === this.#sink || (!this.#streaming && raw === this.#options.reply.raw)) {
      this.#released?.();
      this.#released = undefined;
      this.#sink = undefined;
      // Resumable once the caller has seen an event id to come back with.
      if (!this.#ended && !(this.#finished && !this.#streaming)) this.#callerLeft(this.#seq > 0);
    }
  }

  /**
   * The caller hung up before the end. With an event id to come back with, a request goes on to its answer
   * (or deadline), buffered, and a standalone stream waits a little; otherwise the exchange is over.
   */
  #callerLeft(resumable: boolean): void {
    if (!resumable) {
      this.#finish('caller_left');
      this.#resolve();
      this.#abandon();
      return;
    }
    if (!this.standalone) return;
    clearTimeout(this.#graceTimer);
    this.#graceTimer = setTimeout(() => {
      if (this.#sink) return;
      this.#abandon();
      this.#expire(504, 'The standalone stream was not resumed.', 'caller_left');
    }, DETACHED_STREAM_GRACE_MS);
  }

  #openStream(payload: TunnelResponsePayload): void {
    if (!this.standalone || this.#streaming || this.#options.reply.raw.destroyed) return;
    this.#startStream(callerResponseHeaders(payload.resp_headers));
    // Tells the caller how soon to reconnect when the stream ends at the end of its lifetime.
    this.#sink?.write(`retry: ${STREAM_RECONNECT_MS}\n\n`);
  }

  #notify(message: unknown): void {
    if (!message) return;
    if (this.standalone) {
      if (this.#streaming) this.#event(message);
      return;
    }
    if (this.#options.kind !== 'request' || !this.#options.wantsSse) return;
    if (this.#options.holdNotifications) {
      this.#held.push(message);
      return;
    }
    if (!this.#streaming) this.#startStream({});
    this.#event(message);
  }

  async #answer(payload: TunnelResponsePayload): Promise<void> {
    const { reply, kind } = this.#options;
    const extra = await this.#options.onTerminal(payload);
    const headers = { ...callerResponseHeaders(payload.resp_headers), ...extra };
    const json = payload.resp_json ?? undefined;
    if (!validStatus(payload.resp_code)) {
      this.#writeError(502, `The tunnel-client answered with an invalid HTTP status ${payload.resp_code}.`);
      return;
    }
    if (!this.#streaming && reply.raw.destroyed) {
      this.#outcome = 'caller_left';
      return this.#resolve();
    }

    if (kind === 'stream') {
      if (this.#streaming) return this.#endStream();
      // The stream was never opened: the MCP server refused it (405 when it offers none).
      const refusal =
        payload.resp_code === 405
          ? 'The MCP server offers no standalone SSE stream: use POST for JSON-RPC messages and DELETE to end a session.'
          : `The MCP server refused the standalone SSE stream (HTTP ${payload.resp_code}).`;
      if (payload.resp_code === 405) reply.header('allow', 'POST, DELETE');
      this.#writeError(payload.resp_code >= 400 ? payload.resp_code : 502, refusal);
      return;
    }
    if (kind === 'request') {
      if (this.#streaming) {
        if (json) this.#event(json);
        return this.#endStream();
      }
      if (this.#options.wantsSse && json && payload.resp_code < 300) {
        this.#startStream(headers);
        for (const message of this.#held) this.#event(message);
        this.#event(json);
        return this.#endStream();
      }
    } else if (kind === 'notification' && !(json && payload.resp_code >= 400)) {
      await reply.status(202).headers(headers).send();
      return this.#resolve();
    }
    reply.status(payload.resp_code).headers(headers);
    await (json ? reply.type('application/json').send(json) : reply.send());
    this.#resolve();
  }

  #writeError(status: number, message: string): void {
    const body = jsonRpcError(this.#options.rpcId, JSONRPC_SERVER_ERROR, message);
    const { reply } = this.#options;
    if (this.#streaming) {
      this.#event(body);
      return this.#endStream();
    }
    if (!reply.raw.destroyed && !reply.sent) void reply.status(status).send(body);
    this.#resolve();
  }

  #startStream(headers: Record<string, string>): void {
    const { reply } = this.#options;
    this.#streaming = true;
    reply.hijack();
    reply.raw.writeHead(200, { ...headers, ...SSE_HEADERS });
    if (!reply.raw.destroyed) this.#sink = reply.raw;
  }

  /** Buffers one event and writes it to the caller, if one is connected. */
  #event(message: unknown, last = false): void {
    this.#seq += 1;
    const data = message === null ? null : JSON.stringify(message);
    const event: BufferedEvent = { streamId: this.streamId, seq: this.#seq, data, last };
    this.#options.eventBuffer
      .record(this.tunnelId, this.sessionId, event)
      .catch((error: unknown) => this.#options.log.error({ err: error }, 'could not buffer an SSE event'));
    if (data !== null) this.#sink?.write(sseFrame(event));
  }

  #endStream(): void {
    // A final marker, so a caller resuming later learns the stream is over.
    if (!this.#ended) this.#event(null, true);
    this.#ended = true;
    this.#sink?.end();
    this.#sink = undefined;
    this.#released?.();
    this.#released = undefined;
    this.#resolve();
  }
}
