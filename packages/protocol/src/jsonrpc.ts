import { z } from 'zod';

export type JsonRpcId = string | number;

export const JsonRpcIdSchema = z.union([z.string(), z.number()]);

/** Any JSON object claiming to be JSON-RPC 2.0; the tunnel forwards it without reshaping. */
export const JsonRpcMessageSchema = z.looseObject({ jsonrpc: z.literal('2.0') });
export type JsonRpcMessage = z.infer<typeof JsonRpcMessageSchema> & Record<string, unknown>;

export type JsonRpcKind = 'request' | 'notification' | 'response';

/** Classifies a message: a request has method and id, a notification has method only, a response has neither. */
export function jsonRpcKind(message: Record<string, unknown>): JsonRpcKind {
  const hasMethod = typeof message.method === 'string';
  const hasId = 'id' in message && message.id !== null && message.id !== undefined;
  if (hasMethod) return hasId ? 'request' : 'notification';
  return 'response';
}

export function jsonRpcError(
  id: JsonRpcId | null,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcMessage {
  const error: Record<string, unknown> = { code, message };
  if (data !== undefined) error.data = data;
  return { jsonrpc: '2.0', id, error } as JsonRpcMessage;
}

export const JSONRPC_PARSE_ERROR = -32700;
export const JSONRPC_INVALID_REQUEST = -32600;
export const JSONRPC_INTERNAL_ERROR = -32603;
/** Implementation-defined server errors used by the connector endpoint (tunnel offline, deadline). */
export const JSONRPC_SERVER_ERROR = -32000;
