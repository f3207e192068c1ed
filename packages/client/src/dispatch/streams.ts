import {
  HEADER,
  forwardableRequestHeaders,
  headerValue,
  type JsonRpcMessage,
  type StandaloneStreamCommand,
  type TunnelResponsePayload,
} from '@mcp-tunnel/protocol';
import { BindingFailure, type Binding } from '../bindings/binding.ts';
import type { Responder } from '../controlplane/responder.ts';
import type { Logger } from '../observability/logger.ts';
import type { ReceivedCommand } from '../controlplane/command-queue.ts';

/** More open streams than this is a caller opening streams in a loop; the next ones are refused. */
const MAX_OPEN_STREAMS = 200;
/** The longest a session's later request waits for its stream to open: a stuck GET must not stall calls. */
const OPEN_WAIT_MS = 2000;

export interface StreamRelayDeps {
  bindings: ReadonlyMap<string, Binding>;
  responder: Responder;
  log: Logger;
}

/**
 * Relays standalone streams (extension standalone-stream): for each `standalone_stream` command it opens
 * the MCP server's stream of messages that belong to no request and posts `stream_open`, each message as
 * `jsonrpc_notify`, then `stream_end`. Streams live outside the worker pool: they last
 * minutes and must not hold the slots that requests need.
 */
export class StreamRelay {
  private readonly deps: StreamRelayDeps;
  private readonly open = new Map<AbortController, Promise<void>>();
  /** Streams being opened, by channel and session; settled once the MCP server has answered the GET. */
  private readonly opening = new Map<string, Promise<void>>();

  constructor(deps: StreamRelayDeps) {
    this.deps = deps;
  }

  get size(): number {
    return this.open.size;
  }

  start(received: ReceivedCommand): void {
    const command = received.command as StandaloneStreamCommand;
    // Registered before anything awaits, so a request of the same session polled next already waits.
    const key = openingKey(command.channel, headerValue(command.headers, HEADER.mcpSessionId));
    let opened!: () => void;
    const opening = new Promise<void>((resolve) => (opened = resolve));
    this.opening.set(key, opening);
    const settle = () => {
      opened();
      if (this.opening.get(key) === opening) this.opening.delete(key);
    };
    const controller = new AbortController();
    const timer =
      received.deadline === undefined
        ? undefined
        : setTimeout(() => controller.abort(), Math.max(0, received.deadline - performance.now()));
    const done = this.relay(received, command, controller, settle)
      .catch((error: unknown) =>
        this.deps.log.error(
          { request_id: received.command.request_id, err: error },
          'standalone stream failed',
        ),
      )
      .finally(() => {
        settle();
        clearTimeout(timer);
        controller.abort();
        this.open.delete(controller);
      });
    this.open.set(controller, done);
  }

  /**
   * Resolves once the stream this session is opening (if any) is open, or has failed, or after a short
   * bound. A caller's GET reaches the service before its next request, as it reaches a server directly
   * before its next request: waiting keeps that order, so a message the server sends outside any request
   * right at the start of that request finds its stream open instead of being dropped.
   */
  async whenOpen(channel: string, sessionId: string | undefined, signal: AbortSignal): Promise<void> {
    const pending = this.opening.get(openingKey(channel, sessionId));
    if (!pending || signal.aborted) return;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    await Promise.race([
      pending,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, OPEN_WAIT_MS);
        onAbort = resolve;
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort!);
  }

  async stop(): Promise<void> {
    for (const controller of this.open.keys()) controller.abort();
    await Promise.allSettled([...this.open.values()]);
  }

  private async relay(
    received: ReceivedCommand,
    command: StandaloneStreamCommand,
    controller: AbortController,
    settle: () => void,
  ) {
    const { responder, log } = this.deps;
    const { signal } = controller;
    const base = { request_id: command.request_id, channel: command.channel };
    const end = (code: number) =>
      responder.terminal(
        command.shard_token,
        { ...base, resp_code: code, resp_type: 'stream_end' },
        received.deadline,
      );
    const binding = this.deps.bindings.get(command.channel);
    if (!binding) return void (await end(404));
    if (this.open.size > MAX_OPEN_STREAMS) {
      log.warn({ request_id: command.request_id }, 'too many standalone streams open; refused one');
      return void (await end(503));
    }

    // Posts go out one at a time, in order; a refused post means the caller is gone, so the stream closes.
    let posting = Promise.resolve();
    const post = (payload: TunnelResponsePayload) => {
      posting = posting.then(async () => {
        if (signal.aborted) return;
        if (!(await responder.notify(command.shard_token, payload, received.deadline))) controller.abort();
      });
    };
    // Messages that arrive before stream_open was posted wait for it.
    let early: JsonRpcMessage[] | undefined = [];
    const relayMessage = (message: JsonRpcMessage) =>
      post({ ...base, resp_json: message, resp_code: 200, resp_type: 'jsonrpc_notify' });
    let stream;
    try {
      stream = await binding.openStream({
        headers: forwardableRequestHeaders(command.headers),
        sessionId: headerValue(command.headers, HEADER.mcpSessionId),
        signal,
        onMessage: (message) => (early ? early.push(message) : relayMessage(message)),
      });
    } catch (error) {
      settle();
      if (signal.aborted) return;
      const failure = error instanceof BindingFailure ? error.failure : undefined;
      return void (await end(failure?.source === 'target_http' ? failure.upstreamStatus : 502));
    }
    settle();
    post({ ...base, resp_code: stream.status, resp_headers: stream.headers, resp_type: 'stream_open' });
    for (const message of early) relayMessage(message);
    early = undefined;
    log.debug({ request_id: command.request_id, channel: command.channel }, 'standalone stream open');
    await stream.ended.catch(() => {});
    await posting;
    // Ended by its deadline, its caller or shutdown: the service has already ended the caller's stream.
    if (!signal.aborted) await end(200);
  }
}

function openingKey(channel: string, sessionId: string | undefined): string {
  return `${channel}\n${sessionId ?? ''}`;
}
