import {
  HEADER,
  JSONRPC_SERVER_ERROR,
  allowedResponseHeaders,
  forwardableRequestHeaders,
  headerValue,
  jsonRpcError,
  jsonRpcKind,
  RESOURCE_METADATA_RESPONSE,
  synthesizedFailure,
  type JsonRpcCommand,
  type JsonRpcId,
  type JsonRpcMessage,
  type ResourceMetadataCommand,
  type SessionTerminationCommand,
  type TunnelResponsePayload,
} from '@mcp-tunnel/protocol';
import {
  BindingFailure,
  CallerCancelled,
  type Binding,
  type ResourceMetadataReply,
} from '../bindings/binding.ts';
import type { Responder } from '../controlplane/responder.ts';
import type { Logger } from '../observability/logger.ts';
import type { ClientMetrics, CommandOutcome } from '../observability/metrics.ts';
import type { TrafficCall, TrafficRecorder } from '../observability/traffic.ts';
import { traceCommand, type CommandTrace } from '../observability/tracing.ts';
import type { ReceivedCommand } from '../controlplane/command-queue.ts';
import { DeadlineExceeded } from './worker-pool.ts';
import type { StreamRelay } from './streams.ts';

export interface HandlerDeps {
  bindings: ReadonlyMap<string, Binding>;
  responder: Responder;
  metrics: ClientMetrics;
  log: Logger;
  /** The console's record of calls (Live traffic and Metrics tabs). */
  traffic: TrafficRecorder;
  /** Standalone streams being opened; a session's requests wait for its stream (see StreamRelay). */
  streams: Pick<StreamRelay, 'whenOpen'>;
}

const JSON_HEADERS = { 'Content-Type': ['application/json'] };

/** What the client posts to the tunnel service for one command, and how the command then ended. */
interface TunnelResponse {
  payload: TunnelResponsePayload;
  /** The outcome when it is delivered. */
  outcome: CommandOutcome;
  /** Why the client failed the call itself, for the console. */
  errorKind?: string;
}

/** Works one command: forwards it to its channel's binding and posts what the server said. */
export function createCommandHandler(
  deps: HandlerDeps,
): (received: ReceivedCommand, signal: AbortSignal, callerGone?: () => void) => Promise<void> {
  const { responder, metrics, log } = deps;
  const calls = new Map<ReceivedCommand, TrafficCall>();
  /** Each command's spans while traces are exported (observability/tracing.ts). */
  const traces = new Map<ReceivedCommand, CommandTrace>();

  async function deliver(received: ReceivedCommand, first: TunnelResponse): Promise<void> {
    let response = first;
    const post = traces.get(received)?.responsePost();
    let delivery = await responder.terminal(
      received.command.shard_token,
      response.payload,
      received.deadline,
      post?.headers,
    );
    if (delivery === 'too_large' && response.payload.resp_type === 'jsonrpc_response') {
      // The service will not take an answer this large: tell the caller so rather than leave it to time out.
      const id = (response.payload.resp_json as { id?: JsonRpcId } | undefined)?.id ?? null;
      response = synthesized(
        { request_id: received.command.request_id, channel: received.command.channel },
        id,
        new BindingFailure(
          { source: 'protocol', kind: 'response_body_too_large' },
          'the answer is larger than the tunnel service accepts',
        ),
      );
      delivery = await responder.terminal(
        received.command.shard_token,
        response.payload,
        received.deadline,
        post?.headers,
      );
    }
    post?.end(delivery);
    const outcome: CommandOutcome = delivery === 'delivered' ? response.outcome : 'undeliverable';
    endTrace(received, outcome);
    calls.get(received)?.finish({
      outcome: outcome === 'skipped' ? 'failed' : outcome,
      payload: response.payload,
      errorKind: response.errorKind,
    });
    metrics.commands.inc({ outcome, channel: received.command.channel });
    metrics.latency.observe(
      { channel: received.command.channel },
      (performance.now() - received.receivedAt) / 1000,
    );
    log.debug({ request_id: received.command.request_id, outcome, delivery }, 'command finished');
  }

  function endTrace(received: ReceivedCommand, outcome: string): void {
    traces.get(received)?.end(outcome);
    traces.delete(received);
  }

  function abandoned(received: ReceivedCommand, signal: AbortSignal): void {
    // A cancelled or expired command posts nothing: the caller has already been answered by the service.
    const outcome = signal.reason instanceof DeadlineExceeded ? 'expired' : 'cancelled';
    calls.get(received)?.finish({ outcome });
    endTrace(received, outcome);
    if (signal.reason instanceof DeadlineExceeded) {
      metrics.commands.inc({ outcome: 'expired', channel: received.command.channel });
      log.info(
        { request_id: received.command.request_id },
        'command deadline passed; the MCP request was cancelled',
      );
    }
  }

  async function forwardJsonRpc(
    received: ReceivedCommand,
    command: JsonRpcCommand,
    signal: AbortSignal,
    callerGone: (() => void) | undefined,
  ): Promise<void> {
    const message = command.jsonrpc as JsonRpcMessage;
    const kind = jsonRpcKind(message);
    const id = kind === 'request' ? (message.id as JsonRpcId) : null;
    const base = { request_id: command.request_id, channel: command.channel };
    const binding = deps.bindings.get(command.channel);
    if (!binding) {
      log.warn(
        { request_id: command.request_id, channel: command.channel },
        'command for a channel with no MCP server; answered unsupported_channel',
      );
      const error = jsonRpcError(
        id,
        JSONRPC_SERVER_ERROR,
        `this tunnel-client has no MCP server for channel "${command.channel}"`,
        { reason: 'unsupported_channel', channel: command.channel },
      );
      await deliver(received, {
        payload: {
          ...base,
          resp_json: kind === 'request' ? error : null,
          resp_headers: JSON_HEADERS,
          resp_code: 404,
          resp_type: kind === 'request' ? 'jsonrpc_response' : 'notify_ack',
        },
        outcome: 'failed',
        errorKind: 'unsupported_channel',
      });
      return;
    }

    let notifications = Promise.resolve();
    let notifying = true;
    const onMessage = (notice: JsonRpcMessage) => {
      notifications = notifications.then(async () => {
        if (!notifying || signal.aborted) return;
        notifying = await responder.notify(
          command.shard_token,
          {
            ...base,
            resp_json: notice,
            resp_headers: JSON_HEADERS,
            resp_code: 200,
            resp_type: 'jsonrpc_notify',
          },
          received.deadline,
        );
        // A listen is nothing but its notifications: once they find no caller, the listen is over.
        if (!notifying) callerGone?.();
      });
    };

    const sessionId = headerValue(command.headers, HEADER.mcpSessionId);
    await deps.streams.whenOpen(command.channel, sessionId, signal);
    let response: TunnelResponse;
    const forwardable = forwardableRequestHeaders(command.headers);
    const call = traces.get(received)?.mcpCall(message, forwardable, binding.kind);
    try {
      const reply = await binding.send({
        message: call?.message ?? message,
        headers: call?.headers ?? forwardable,
        sessionId,
        signal,
        onMessage,
      });
      call?.end({ status: reply.status });
      const headers = allowedResponseHeaders(reply.headers);
      if (kind === 'request') {
        response = reply.message
          ? {
              payload: {
                ...base,
                resp_json: reply.message,
                resp_headers: headers,
                resp_code: reply.status,
                resp_type: 'jsonrpc_response',
              },
              outcome: 'answered',
            }
          : synthesized(
              base,
              id,
              new BindingFailure(
                { source: 'protocol', kind: 'response_body_missing', responseReceived: true },
                '',
              ),
            );
      } else {
        response = {
          payload: {
            ...base,
            resp_json: reply.message ?? null,
            resp_headers: headers,
            resp_code: reply.status < 300 ? 202 : reply.status,
            resp_type: 'notify_ack',
          },
          outcome: 'acknowledged',
        };
      }
    } catch (error) {
      call?.end({
        error: signal.aborted
          ? 'aborted'
          : error instanceof BindingFailure
            ? [error.failure.source, error.failure.kind].filter(Boolean).join('/')
            : error instanceof CallerCancelled
              ? 'cancelled'
              : 'client_internal',
      });
      if (signal.aborted) return abandoned(received, signal);
      if (error instanceof CallerCancelled) {
        // As with a direct connection, a cancelled request gets no answer.
        await notifications;
        metrics.commands.inc({ outcome: 'cancelled', channel: command.channel });
        log.info({ request_id: command.request_id }, 'the caller cancelled the MCP request');
        return;
      }
      const failure =
        error instanceof BindingFailure
          ? error
          : new BindingFailure({ source: 'client_internal' }, 'unexpected error');
      if (!(error instanceof BindingFailure))
        log.error(
          { request_id: command.request_id, err: error },
          'unexpected error while forwarding a command',
        );
      else
        log.warn(
          { request_id: command.request_id, source: failure.failure.source, kind: failure.failure.kind },
          'MCP server gave no valid answer',
        );
      response = synthesized(base, id, failure);
    }
    await notifications;
    if (signal.aborted) return abandoned(received, signal);
    await deliver(received, response);
  }

  async function terminateSession(
    received: ReceivedCommand,
    command: SessionTerminationCommand,
    signal: AbortSignal,
  ): Promise<void> {
    const base = {
      request_id: command.request_id,
      channel: command.channel,
      resp_type: 'session_termination_response' as const,
    };
    const binding = deps.bindings.get(command.channel);
    let code = 404;
    let headers = {};
    if (binding) {
      try {
        const reply = await binding.terminateSession(
          headerValue(command.headers, HEADER.mcpSessionId),
          forwardableRequestHeaders(command.headers),
          signal,
        );
        code = reply.status;
        headers = allowedResponseHeaders(reply.headers);
      } catch (error) {
        if (signal.aborted) return abandoned(received, signal);
        code =
          error instanceof BindingFailure && error.failure.source === 'target_http'
            ? error.failure.upstreamStatus
            : 502;
      }
    }
    await deliver(received, {
      payload: { ...base, resp_code: code, resp_headers: headers },
      outcome: 'terminated',
    });
  }

  /** Extension resource-metadata: the channel's server's protected resource metadata, or why there is none. */
  async function resourceMetadata(
    received: ReceivedCommand,
    command: ResourceMetadataCommand,
    signal: AbortSignal,
  ): Promise<void> {
    const binding = deps.bindings.get(command.channel);
    let reply: ResourceMetadataReply = { status: 404 };
    if (binding?.resourceMetadata)
      try {
        reply = await binding.resourceMetadata(signal);
      } catch (error) {
        if (signal.aborted) return abandoned(received, signal);
        log.warn(
          { request_id: command.request_id, err: error },
          'could not fetch the protected resource metadata',
        );
        reply = { status: 502 };
      }
    await deliver(received, {
      payload: {
        request_id: command.request_id,
        channel: command.channel,
        resp_json: reply.document ?? null,
        resp_code: reply.status,
        resp_type: RESOURCE_METADATA_RESPONSE,
      },
      outcome: reply.document ? 'answered' : 'failed',
    });
  }

  return async (received, signal, callerGone) => {
    const { command } = received;
    calls.set(received, deps.traffic.begin(command));
    const trace = traceCommand(received);
    if (trace) traces.set(received, trace);
    try {
      if (command.command_type === 'session_termination') await terminateSession(received, command, signal);
      else if (command.command_type === 'jsonrpc')
        await forwardJsonRpc(received, command, signal, callerGone);
      else if (command.command_type === 'resource_metadata')
        await resourceMetadata(received, command, signal);
    } finally {
      // A call that ended without an answer (shutdown during delivery) is closed as cancelled.
      calls.get(received)?.finish({ outcome: 'cancelled' });
      calls.delete(received);
      endTrace(received, 'cancelled');
    }
  };
}

function synthesized(
  base: { request_id: string; channel: string },
  id: JsonRpcId | null,
  failure: BindingFailure,
): TunnelResponse {
  return {
    payload: {
      ...base,
      resp_json: synthesizedFailure(id, failure.failure),
      resp_headers: { ...failure.answer?.headers, ...JSON_HEADERS },
      resp_code: failure.answer?.status ?? 200,
      resp_type: 'jsonrpc_response',
    },
    outcome: 'failed',
    errorKind: [failure.failure.source, failure.failure.kind].filter(Boolean).join('/'),
  };
}
