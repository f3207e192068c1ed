import type { IncomingHttpHeaders } from 'node:http';
import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import {
  otlpSettings,
  startOtlpExport,
  traceContextOf,
  withTraceContext,
  type OtlpExport,
  type WireHeaders,
} from '@mcp-tunnel/protocol';
import { SERVICE_VERSION } from './version.ts';

// The service's spans of one call (docs/service.md, Tracing), in the caller's trace when it sent one:
//   tunnel.connector.request (server: the caller's request, continuing its traceparent)
//   ├── tunnel.queue.wait (from enqueue until a poll or stream takes the command)
//   ├── tunnel.command.delivery (producer: the hand-over to the tunnel-client; the command's headers
//   │                            carry its context, so the client's spans are its children)
//   └── tunnel.caller.delivery (from the terminal answer until the caller has it)
//   tunnel.response.receive (server: each response post, continuing the client's traceparent)
// Both carriers of commands (long-poll, stream) call the same helpers.

/** OpenTelemetry while spans are exported (startTracing); without it every helper returns at once. */
let otel: { api: typeof OtelApi; tracer: Tracer } | undefined;

/**
 * Exports the service's spans when the OpenTelemetry standard variables name an OTLP endpoint; without
 * one the SDK is never loaded and every helper here returns undefined at once.
 */
export async function startTracing(
  env: NodeJS.ProcessEnv,
  log: {
    info: (fields: object, message: string) => void;
    warn: (fields: object, message: string) => void;
  },
): Promise<Omit<OtlpExport, 'api'> | undefined> {
  const settings = otlpSettings(env);
  if (!settings) return undefined;
  const running = await startOtlpExport(
    settings,
    { name: 'tunnel-service', version: SERVICE_VERSION },
    (message) => log.warn({ component: 'opentelemetry' }, message),
  );
  otel = { api: running.api, tracer: running.api.trace.getTracer('tunnel-service', SERVICE_VERSION) };
  log.info({ endpoint: running.endpoint, sampler: settings.sampler }, 'exporting traces over OTLP/HTTP');
  return {
    endpoint: running.endpoint,
    async shutdown() {
      otel = undefined;
      await running.shutdown();
    },
  };
}

/** The trace context a span carries, as propagators write it (`traceparent`, `tracestate`). */
function carried(api: typeof OtelApi, span: Span): Record<string, string> {
  const out: Record<string, string> = {};
  api.propagation.inject(api.trace.setSpan(api.ROOT_CONTEXT, span), out);
  return out;
}

function endWithStatus(api: typeof OtelApi, span: Span, status: number): void {
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
  span.end();
}

/** The spans of one caller's request to the connector endpoint. */
export interface ConnectorTrace {
  /** The command's headers with this request's trace context in place of the caller's. */
  commandHeaders(headers: WireHeaders): WireHeaders;
  /** The terminal answer arrived: delivery to the caller begins. */
  answered(): void;
  end(status: number): void;
}

/**
 * Starts the span of a caller's request, continuing the caller's `traceparent`; undefined while tracing is
 * off (the attributes are only built while it is on).
 */
export function traceConnectorRequest(
  headers: IncomingHttpHeaders,
  method: string,
  attributes: () => Attributes,
): ConnectorTrace | undefined {
  if (!otel) return undefined;
  const { api, tracer } = otel;
  const parent = api.propagation.extract(api.ROOT_CONTEXT, headers);
  const span = tracer.startSpan(
    `${method} /v1/mcp/{tunnel}`,
    { kind: api.SpanKind.SERVER, attributes: attributes() },
    parent,
  );
  const within = api.trace.setSpan(parent, span);
  let delivery: Span | undefined;
  return {
    commandHeaders: (commandHeaders) => withTraceContext(commandHeaders, carried(api, span)),
    answered() {
      delivery ??= tracer.startSpan('tunnel.caller.delivery', {}, within);
    },
    end(status) {
      delivery?.end();
      endWithStatus(api, span, status);
    },
  };
}

/** A command being handed to a tunnel-client: the headers to send it with, and the hand-over's end. */
export interface HandOverTrace {
  headers: WireHeaders;
  /** `written`: the client was sent the command; else it went back to the queue. */
  end(written: boolean): void;
}

/**
 * A poll or stream took a command: records its wait in the queue (since `createdAt`) and starts the
 * hand-over, whose context the command's headers carry to the tunnel-client.
 */
export function traceHandOver(
  command: { requestId: string; tunnelId: string; channel: string; createdAt: string; headers: WireHeaders },
  carrier: 'poll' | 'stream',
): HandOverTrace | undefined {
  if (!otel) return undefined;
  const { api, tracer } = otel;
  const parent = api.propagation.extract(api.ROOT_CONTEXT, traceContextOf(command.headers));
  const attributes = {
    'tunnel.id': command.tunnelId,
    'tunnel.channel': command.channel,
    'tunnel.request_id': command.requestId,
  };
  tracer
    .startSpan('tunnel.queue.wait', { attributes, startTime: Date.parse(command.createdAt) }, parent)
    .end();
  const span = tracer.startSpan(
    'tunnel.command.delivery',
    { kind: api.SpanKind.PRODUCER, attributes: { ...attributes, 'tunnel.carrier': carrier } },
    parent,
  );
  return {
    headers: withTraceContext(command.headers, carried(api, span)),
    end(written) {
      if (!written) {
        span.setAttribute('error.type', 'requeued');
        span.setStatus({ code: api.SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}

/** Starts the span of a response post, continuing the tunnel-client's `traceparent`; undefined while off. */
export function traceResponsePost(
  headers: IncomingHttpHeaders,
  tunnelId: string,
): { end(status: number): void } | undefined {
  if (!otel) return undefined;
  const { api, tracer } = otel;
  const span = tracer.startSpan(
    'tunnel.response.receive',
    { kind: api.SpanKind.SERVER, attributes: { 'tunnel.id': tunnelId } },
    api.propagation.extract(api.ROOT_CONTEXT, headers),
  );
  return { end: (status) => endWithStatus(api, span, status) };
}
