import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import {
  COMMAND_STREAM_PATH,
  MAX_STREAM_CREDITS,
  STREAM_KEEPALIVE_MS,
  STREAM_REFUSAL_CLOSE_BASE,
  StreamClientFrameSchema,
  type StreamServiceFrame,
} from '@mcp-tunnel/protocol';
import type { PollingClient, QueuedCommand } from '../broker/command-broker.ts';
import { ApiRefusal, badRequest, describeIssues } from './errors.ts';
import { visibleTunnel, type ServiceContext } from './context.ts';
import { principalOf } from './request-principal.ts';
import { jsonDepth, tooDeepRefusal } from './json-body.ts';
import { bodyTooLarge, refusalFor } from './refusals.ts';
import { traceResponsePost } from '../observability/tracing.ts';
import { auditRefusal } from './audit.ts';
import {
  acceptResponse,
  channelsParam,
  checkTunnelUse,
  pollingClient,
  refusesTheKey,
  requireUse,
  serializeCommands,
} from './tunnel-api.ts';

type StreamRequest = {
  Params: { tunnel_id: string };
  Querystring: Record<string, string | string[] | undefined>;
};

/**
 * Work is handed out without checking the key again within this long of the last check: under load a
 * stream takes many batches a second, and each check reads the store.
 */
const AUTH_FRESH_MS = 1000;

/** A take that ended this close to its wait timed out (timers may fire a little early). */
const TIMER_SLACK_MS = 100;

/** Room in a frame beyond the response payload it carries (type, ack id, shard token). */
const FRAME_OVERHEAD_BYTES = 16 * 1024;

const DEPARTED =
  'client_gone: the service stopped serving this client (it left, was counted gone, or is stopping); poll again';

/** The longest close reason a WebSocket close frame carries (123 bytes). */
const MAX_CLOSE_REASON = 123;

/**
 * Protocol extension `command-stream` (docs/protocol-extensions.md): one WebSocket per tunnel-client that
 * carries the commands its polls would and the responses its response POSTs would. Opening it is checked
 * and refused exactly as a poll (same headers, same JSON errors); while open it counts as a poll in
 * progress, and it ends like a dropped poll.
 */
export function registerTunnelStream(app: FastifyInstance, context: ServiceContext): void {
  app.route<StreamRequest>({
    method: 'GET',
    url: `/v1/tunnels/:tunnel_id${COMMAND_STREAM_PATH}`,
    config: { action: 'tunnel.stream', auditRefusalsOnly: true },
    // The upgrade is refused here, before it happens, with the poll's refusals.
    preHandler: async (request) => {
      const principal = principalOf(request);
      await visibleTunnel(context, principal, request.params.tunnel_id);
      requireUse(principal);
      channelsParam(request.query.channel);
    },
    handler: async () => {
      throw badRequest(
        'websocket_upgrade_required',
        `GET /v1/tunnels/{tunnel_id}${COMMAND_STREAM_PATH} is the command-stream extension's WebSocket: open it with the Upgrade: websocket handshake, after the service offered command-stream on a poll answer.`,
      );
    },
    wsHandler: (socket, request) => {
      new TunnelStream(context, socket, request).start();
    },
  });
}

/** One open command stream: credits, the take loop, acks, presence, re-authentication and keep-alive. */
class TunnelStream {
  readonly #context: ServiceContext;
  readonly #socket: WebSocket;
  readonly #request: FastifyRequest<StreamRequest>;
  readonly #tunnelId: string;
  readonly #client: PollingClient;
  readonly #channels: ReadonlySet<string> | undefined;
  /** How often presence is renewed and the key checked again: as often as a poll would be re-issued. */
  readonly #cycleMs: number;
  readonly #ended = new AbortController();
  #credits = 0;
  #creditsArrived: (() => void) | undefined;
  /** Frames are handled one after the other, so a command's responses reach its caller in order. */
  #frames: Promise<void> = Promise.resolve();
  #alive = true;
  /** performance.now() of the last check that the key may still use the tunnel (the open's). */
  #checkedAt = performance.now();
  #timers: NodeJS.Timeout[] = [];

  constructor(context: ServiceContext, socket: WebSocket, request: FastifyRequest<StreamRequest>) {
    this.#context = context;
    this.#socket = socket;
    this.#request = request;
    this.#tunnelId = request.params.tunnel_id;
    this.#client = pollingClient(request, principalOf(request));
    this.#channels = channelsParam(request.query.channel);
    this.#cycleMs = context.limits.defaultPollWaitMs;
  }

  start(): void {
    const socket = this.#socket;
    const log = this.#request.log;
    const { broker } = this.#context;
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? undefined : String(data);
      const bytes = (data as Buffer).length;
      this.#frames = this.#frames
        .then(() => this.#onFrame(text, bytes))
        .catch((error: unknown) => log.error({ err: error }, 'a command stream frame failed'));
    });
    socket.on('pong', () => (this.#alive = true));
    socket.on('error', (error) => log.debug({ err: error }, 'command stream error'));
    socket.once('close', (code) => this.#end(code));
    this.#timers.push(
      setInterval(() => {
        // No pong since the last ping: the client or the path to it is dead.
        if (!this.#alive) return socket.terminate();
        this.#alive = false;
        socket.ping();
      }, STREAM_KEEPALIVE_MS),
      setInterval(
        () =>
          void this.#renew().catch((error: unknown) =>
            log.error({ err: error }, 'could not renew a command stream'),
          ),
        this.#cycleMs,
      ),
    );
    log.info(
      { tunnel_id: this.#tunnelId, instance_id: this.#client.instanceId },
      'a tunnel-client opened a command stream',
    );
    this.#context.metrics?.streamsOpen.inc();
    // Nothing here may reject unhandled: that would stop the whole service, not just this stream.
    void broker
      .pollStarted(this.#tunnelId, this.#client)
      .then(() => this.#deliverLoop())
      .catch((error: unknown) => this.#fail(error))
      .catch((error: unknown) => log.error({ err: error }, 'a command stream failed'));
  }

  /** The stream is closed: it was a poll in progress, and ends as a dropped one (see TunnelPresence). */
  #end(code: number): void {
    if (this.#ended.signal.aborted) return;
    this.#ended.abort();
    for (const timer of this.#timers) clearInterval(timer);
    this.#context.metrics?.streamsOpen.dec();
    this.#creditsArrived?.();
    this.#request.log.info(
      { tunnel_id: this.#tunnelId, instance_id: this.#client.instanceId, code },
      'a command stream closed: the tunnel-client counts as gone unless it polls again shortly',
    );
    void this.#context.broker
      .pollEnded(this.#tunnelId, this.#client, 'dropped')
      .catch((error: unknown) =>
        this.#request.log.error({ err: error }, 'could not record the end of a stream'),
      );
  }

  /** Closes the stream saying why; the client falls back to polling, which gets the same answer. */
  #close(code: number, reason: string): void {
    if (this.#socket.readyState === this.#socket.OPEN)
      this.#socket.close(code, Buffer.from(reason).subarray(0, MAX_CLOSE_REASON).toString());
    this.#end(code);
  }

  async #fail(error: unknown): Promise<void> {
    if (this.#ended.signal.aborted) return;
    const refusal = await refusalFor(
      error as ApiRefusal,
      this.#request,
      undefined,
      this.#context.limits.maxBodyBytes,
    );
    this.#close(STREAM_REFUSAL_CLOSE_BASE + refusal.status, refusalReason(refusal));
  }

  /** Takes commands while the client has credits; each batch goes out as one frame. */
  async #deliverLoop(): Promise<void> {
    const { broker } = this.#context;
    const ended = this.#ended.signal;
    while (!ended.aborted) {
      // Without credits the take still waits (for nothing), so a departure of the client ends it as it
      // ends a poll; credits arriving end it too, and the next take asks for them.
      const limit = this.#credits;
      const woken = new AbortController();
      this.#creditsArrived = limit === 0 ? () => woken.abort() : undefined;
      const started = performance.now();
      const commands = await broker.take(this.#tunnelId, {
        limit,
        waitMs: this.#cycleMs,
        channels: this.#channels,
        extensions: new Set(this.#client.extensions),
        instanceId: this.#client.instanceId,
        credential: this.#client.credential,
        signal: limit === 0 ? AbortSignal.any([ended, woken.signal]) : ended,
      });
      this.#creditsArrived = undefined;
      if (ended.aborted) {
        await broker.requeue(commands);
        return;
      }
      if (commands.length === 0) {
        if (woken.signal.aborted || performance.now() - started >= this.#cycleMs - TIMER_SLACK_MS) continue;
        // Ended early without work: the client departed (it left, or its key was revoked). It must not
        // count as present again, so the stream ends, saying why; a client still running polls again.
        if (await this.#allowed()) this.#close(STREAM_REFUSAL_CLOSE_BASE + 410, DEPARTED);
        return;
      }
      // As a poll's key is checked again before it is handed work, unless that was just done.
      if (performance.now() - this.#checkedAt > AUTH_FRESH_MS && !(await this.#allowed(commands))) return;
      const { sent, wire, handOvers } = await serializeCommands(
        this.#context,
        this.#request,
        this.#tunnelId,
        commands,
        'stream',
      );
      if (sent.length === 0) continue;
      this.#credits -= sent.length;
      this.#socket.send(`{"type":"commands","commands":[${wire.join(',')}]}`, (error) => {
        for (const handOver of handOvers) handOver.end(!error);
        // Never written: the next poller or stream gets them.
        if (error) void broker.requeue(sent);
      });
    }
  }

  /**
   * Every cycle, as a poll would be re-issued and re-authenticated: the key is checked again and the
   * client's presence renewed.
   */
  async #renew(): Promise<void> {
    if (this.#ended.signal.aborted || !(await this.#allowed())) return;
    const { broker } = this.#context;
    try {
      // The next cycle starts before this one ends, so the client never counts as between polls.
      await broker.pollStarted(this.#tunnelId, this.#client);
      await broker.pollEnded(this.#tunnelId, this.#client, 'answered');
    } catch (error) {
      await this.#fail(error);
    }
  }

  /**
   * Whether the stream's key may still use the tunnel. A refused key puts back what was `taken` for it,
   * ends the stream, saying why, and every client using it is gone (what they hold fails at once), as
   * when a poll is refused.
   */
  async #allowed(taken: QueuedCommand[] = []): Promise<boolean> {
    try {
      await checkTunnelUse(this.#context, this.#request, this.#tunnelId);
      this.#checkedAt = performance.now();
      return true;
    } catch (error) {
      // What it took goes to another client before the clients using the key fail what they hold.
      await this.#context.broker.requeue(taken).catch(() => {});
      if (refusesTheKey(error)) {
        await this.#context.broker.credentialRevoked(this.#client.credential).catch(() => {});
        await auditRefusal(this.#context, this.#request, 'tunnel.stream', refusalCode(error));
      }
      await this.#fail(error);
      return false;
    }
  }

  async #onFrame(text: string | undefined, bytes: number): Promise<void> {
    if (this.#ended.signal.aborted) return;
    let frame: unknown;
    try {
      if (text === undefined) throw new Error('a binary frame');
      frame = JSON.parse(text);
    } catch (error) {
      return this.#send({
        type: 'error',
        error: badRequest(
          'invalid_frame',
          `A command stream frame must be one JSON object as text (got ${error instanceof Error ? error.message : 'something else'}): {"type":"credit","credits":N} or {"type":"response","id":N,"shard_token":"…","payload":{…}}.`,
        ).body.error,
      });
    }
    const parsed = StreamClientFrameSchema.safeParse(frame);
    if (!parsed.success) {
      const { message, param } = describeIssues(parsed.error.issues);
      const refusal = badRequest(
        'invalid_frame',
        `Invalid command stream frame: ${message}. Frames are {"type":"credit","credits":1..${MAX_STREAM_CREDITS}} or {"type":"response","id":N,"shard_token":"…","payload":{…}}.`,
        param,
      );
      const id = (frame as { id?: unknown } | null)?.id;
      return Number.isInteger(id)
        ? this.#send({ type: 'ack', id: id as number, status: refusal.status, body: refusal.body })
        : this.#send({ type: 'error', error: refusal.body.error });
    }
    if (parsed.data.type === 'credit') {
      if (this.#credits + parsed.data.credits > MAX_STREAM_CREDITS)
        return this.#send({
          type: 'error',
          error: badRequest(
            'too_many_credits',
            `At most ${MAX_STREAM_CREDITS} credits may be outstanding on a command stream (${this.#credits} are); give credits only for room the client has.`,
            'credits',
          ).body.error,
        });
      this.#credits += parsed.data.credits;
      this.#creditsArrived?.();
      return;
    }
    const { id, shard_token: token, payload, trace_context: traceContext } = parsed.data;
    const { maxBodyBytes } = this.#context.limits;
    // Sized as the response POST's body would be: the frame less what it wraps the payload in.
    if (
      bytes > maxBodyBytes &&
      bytes - Buffer.byteLength(JSON.stringify({ ...parsed.data, payload: 0 })) + 1 > maxBodyBytes
    ) {
      const refusal = bodyTooLarge(maxBodyBytes);
      return this.#send({ type: 'ack', id, status: refusal.status, body: refusal.body });
    }
    // The frame wraps the payload in one level more than the response POST's body.
    const depth = text!.length > 2 * this.#context.limits.maxJsonDepth ? jsonDepth(text!) - 1 : 0;
    const maxDepth = this.#context.limits.maxJsonDepth;
    const span = traceContext && traceResponsePost(traceContext, this.#tunnelId);
    try {
      const body = await acceptResponse(
        this.#context,
        this.#request,
        this.#tunnelId,
        token,
        payload,
        depth > maxDepth ? tooDeepRefusal(depth, maxDepth) : null,
      );
      span?.end(200);
      this.#send({ type: 'ack', id, status: 200, body });
    } catch (error) {
      const refusal = await refusalFor(
        error as ApiRefusal,
        this.#request,
        undefined,
        this.#context.limits.maxBodyBytes,
      );
      span?.end(refusal.status);
      this.#send({ type: 'ack', id, status: refusal.status, body: refusal.body });
    }
  }

  #send(frame: StreamServiceFrame): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(JSON.stringify(frame));
  }
}

/** The error code of a refusal, as its JSON body names it. */
function refusalCode(refusal: { body: unknown; status: number }): string {
  const code = (refusal.body as { error?: { code?: unknown } }).error?.code;
  return typeof code === 'string' ? code : `http_${refusal.status}`;
}

/** The close reason of a refusal: its error code, then as much of its message as fits. */
function refusalReason(refusal: { body: unknown; status: number }): string {
  const message = (refusal.body as { error?: { message?: unknown } }).error?.message;
  return `${refusalCode(refusal)}: ${String(message ?? '')}`;
}

/**
 * ws's largest frame. A response a little larger than the POST accepts is still read, so its sender gets
 * the POST's 413 in an ack; a much larger frame ends the stream (1009), and the client posts it instead.
 */
export function maxStreamFrameBytes(maxBodyBytes: number): number {
  return 2 * maxBodyBytes + FRAME_OVERHEAD_BYTES;
}

/** The service is stopping: its open streams are closed saying so, and their clients poll another node. */
export async function closeStreams(this: FastifyInstance): Promise<void> {
  for (const client of this.websocketServer.clients) client.close(1001, 'the tunnel-service is stopping');
}
