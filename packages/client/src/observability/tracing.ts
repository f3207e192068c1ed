import type * as OtelApi from '@opentelemetry/api';
import type { Span, Tracer } from '@opentelemetry/api';
import {
  traceContextOf,
  withTraceContext,
  type JsonRpcMessage,
  type PolledCommand,
  type WireHeaders,
} from '@mcp-tunnel/protocol';
import { CLIENT_NAME, CLIENT_VERSION } from '../base/version.ts';

// The spans of one command on this client (docs/client-operations.md, Tracing):
//   tunnel.command (consumer: from the poll that delivered it to its end; parent: the command's traceparent)
//   ├── <mcp method> [<tool>] (client: the call to the MCP server, whose context the server receives)
//   └── tunnel.response.post (client: posting the answer; its traceparent goes with the post)
// Every helper is shared by the carriers that deliver commands (long-poll, stream) and by the handler.

/** OpenTelemetry while spans are exported (observability/otlp.ts); without it every helper returns at once. */
let otel: { api: typeof OtelApi; tracer: Tracer } | undefined;

export function setTracing(api: typeof OtelApi | undefined): void {
  otel = api && { api, tracer: api.trace.getTracer(CLIENT_NAME, CLIENT_VERSION) };
}

/** How the MCP server is reached: trace context goes in HTTP headers, or in `params._meta` for others. */
export type ServerTransport = 'http' | 'stdio' | 'memory';

export interface McpCallTrace {
  /** The caller's forwardable headers with this call's trace context (HTTP servers). */
  headers: WireHeaders;
  /** The message, with this call's trace context in `params._meta` for servers reached without HTTP. */
  message: JsonRpcMessage;
  /** The server answered (its HTTP status), or the call failed (a failure kind). */
  end(result: { status: number } | { error: string }): void;
}

export interface ResponsePostTrace {
  /** The post's trace context, sent with it as `traceparent` so the service's span continues it. */
  headers: Record<string, string>;
  end(delivery: string): void;
}

/** The spans of one command, from the poll that delivered it until its answer was posted. */
export interface CommandTrace {
  mcpCall(message: JsonRpcMessage, headers: WireHeaders, transport: ServerTransport): McpCallTrace;
  responsePost(): ResponsePostTrace;
  end(outcome: string): void;
}

/** The trace context a span carries, as propagators write it (`traceparent`, `tracestate`). */
function carried(api: typeof OtelApi, span: Span): Record<string, string> {
  const out: Record<string, string> = {};
  api.propagation.inject(api.trace.setSpan(api.ROOT_CONTEXT, span), out);
  return out;
}

/**
 * SEP-414: a request to a server reached without HTTP carries W3C Trace Context in `params._meta`
 * (`traceparent`, `tracestate`); other `_meta` keys (a progress token) are kept.
 */
function withMetaTraceContext(message: JsonRpcMessage, context: Record<string, string>): JsonRpcMessage {
  if (typeof message.method !== 'string' || message.id === undefined || !context.traceparent) return message;
  const params = (message.params ?? {}) as Record<string, unknown>;
  const meta = (params._meta ?? {}) as Record<string, unknown>;
  return { ...message, params: { ...params, _meta: { ...meta, ...context } } };
}

function endWith(api: typeof OtelApi, span: Span, error: string | undefined): void {
  if (error) {
    span.setAttribute('error.type', error);
    span.setStatus({ code: api.SpanStatusCode.ERROR });
  }
  span.end();
}

/**
 * Starts the spans of a command as it arrived (`receivedAt`, performance.now() when its poll answered),
 * continuing the trace its headers carry; undefined while tracing is off.
 */
export function traceCommand(received: {
  command: PolledCommand;
  receivedAt: number;
}): CommandTrace | undefined {
  if (!otel) return undefined;
  const { api, tracer } = otel;
  const { command } = received;
  const parent = api.propagation.extract(api.ROOT_CONTEXT, traceContextOf(command.headers));
  const method =
    command.command_type === 'jsonrpc' ? (command.jsonrpc as { method?: unknown }).method : undefined;
  const span = tracer.startSpan(
    'tunnel.command',
    {
      kind: api.SpanKind.CONSUMER,
      startTime: performance.timeOrigin + received.receivedAt,
      attributes: {
        'tunnel.request_id': command.request_id,
        'tunnel.channel': command.channel,
        'tunnel.command_type': command.command_type,
        ...(typeof method === 'string' ? { 'mcp.method.name': method } : {}),
      },
    },
    parent,
  );
  const within = api.trace.setSpan(parent, span);
  return {
    mcpCall(message, headers, transport) {
      const params = message.params as { name?: unknown } | undefined;
      const tool =
        message.method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
      const name = typeof message.method === 'string' ? message.method : 'response';
      const call = tracer.startSpan(
        tool ? `${name} ${tool}` : name,
        {
          kind: api.SpanKind.CLIENT,
          attributes: {
            'mcp.method.name': name,
            ...(tool ? { 'gen_ai.tool.name': tool } : {}),
            ...(message.id !== undefined && message.id !== null
              ? { 'jsonrpc.request.id': String(message.id) }
              : {}),
            'network.transport': transport === 'http' ? 'tcp' : transport === 'stdio' ? 'pipe' : 'inproc',
          },
        },
        within,
      );
      const context = carried(api, call);
      return {
        headers: transport === 'http' ? withTraceContext(headers, context) : headers,
        message: transport === 'http' ? message : withMetaTraceContext(message, context),
        end(result) {
          if ('status' in result) call.setAttribute('http.response.status_code', result.status);
          endWith(api, call, 'error' in result ? result.error : undefined);
        },
      };
    },
    responsePost() {
      const post = tracer.startSpan('tunnel.response.post', { kind: api.SpanKind.CLIENT }, within);
      return {
        headers: carried(api, post),
        end(delivery) {
          post.setAttribute('tunnel.delivery', delivery);
          endWith(api, post, delivery === 'delivered' ? undefined : delivery);
        },
      };
    },
    end(outcome) {
      span.setAttribute('tunnel.outcome', outcome);
      span.end();
    },
  };
}
