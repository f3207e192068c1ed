import { z } from 'zod';
import { JSONRPC_INTERNAL_ERROR, jsonRpcError, type JsonRpcId, type JsonRpcMessage } from './jsonrpc.ts';

export const FAILURE_SOURCES = [
  'target_http',
  'dns',
  'tls',
  'connect',
  'transport_closed',
  'timeout',
  'protocol',
  'client_internal',
] as const;
export type FailureSource = (typeof FAILURE_SOURCES)[number];

export const TRANSPORT_ERROR_KINDS = [
  'closed_pipe',
  'connection_aborted',
  'connection_closed',
  'connection_refused',
  'connection_reset',
  'dial',
  'dns',
  'eof',
  'host_unreachable',
  'http_status',
  'invalid_mcp_error',
  'invalid_protocol_response',
  'malformed_json',
  'network_unreachable',
  'non_protocol_response',
  'response_body_missing',
  'response_body_too_large',
  'response_body_unreadable',
  'timeout',
  'tls',
  'unexpected_eof',
  'unknown',
] as const;
export type TransportErrorKind = (typeof TRANSPORT_ERROR_KINDS)[number];

/** Bounded provenance of a synthesized failure: no URLs, bodies, exception text or secrets. */
export const TunnelFailureSchema = z
  .looseObject({
    version: z.number().int().min(1),
    source: z.string().min(1).max(64),
    upstream_response_received: z.boolean(),
    upstream_status: z.number().int().min(400).max(599).nullish(),
    transport_error_kind: z.string().min(1).max(64).optional(),
  })
  .superRefine((value, ctx) => {
    if (
      value.source === 'target_http' &&
      (value.upstream_status == null || !value.upstream_response_received)
    )
      ctx.addIssue({
        code: 'custom',
        message: 'target_http needs upstream_status and upstream_response_received',
      });
    if (value.upstream_status != null && value.source !== 'target_http')
      ctx.addIssue({ code: 'custom', message: 'upstream_status is only for source target_http' });
    if (value.source === 'transport_closed' && value.upstream_response_received)
      ctx.addIssue({ code: 'custom', message: 'transport_closed means no upstream response' });
  });
export type TunnelFailure = z.infer<typeof TunnelFailureSchema>;

export type FailureInput =
  | { source: 'target_http'; upstreamStatus: number; kind?: TransportErrorKind }
  | { source: Exclude<FailureSource, 'target_http'>; kind?: TransportErrorKind; responseReceived?: boolean };

/** Short, fixed messages per source: what a caller may read, never the underlying exception. */
const FAILURE_MESSAGES: Record<FailureSource, string> = {
  target_http: 'MCP server answered with an HTTP error',
  dns: 'MCP server host name could not be resolved',
  tls: 'TLS handshake with the MCP server failed',
  connect: 'MCP server could not be reached',
  transport_closed: 'MCP server connection closed before it answered',
  timeout: 'MCP server did not answer in time',
  protocol: 'MCP server sent an answer that is not valid MCP',
  client_internal: 'tunnel-client failed while handling the request',
};

export function tunnelFailure(input: FailureInput): TunnelFailure {
  if (input.source === 'target_http') {
    return {
      version: 1,
      source: 'target_http',
      upstream_response_received: true,
      upstream_status: input.upstreamStatus,
      transport_error_kind: input.kind ?? 'http_status',
    };
  }
  const failure: TunnelFailure = {
    version: 1,
    source: input.source,
    upstream_response_received:
      input.source === 'transport_closed' ? false : (input.responseReceived ?? false),
  };
  if (input.kind) failure.transport_error_kind = input.kind;
  return failure;
}

/** The synthesized `-32603` answer for a request that has no valid MCP answer. */
export function synthesizedFailure(id: JsonRpcId | null, input: FailureInput): JsonRpcMessage {
  return jsonRpcError(id, JSONRPC_INTERNAL_ERROR, FAILURE_MESSAGES[input.source], {
    tunnel_failure: tunnelFailure(input),
  });
}
