// What a caller of the connector endpoint sent, read and checked: each check refuses with what to fix.
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import {
  CHANNEL_NAME_SHAPE,
  HEADER,
  isChannelName,
  isTunnelId,
  JSONRPC_INVALID_REQUEST,
  JSONRPC_SERVER_ERROR,
  jsonRpcKind,
  MAIN_CHANNEL,
  STANDALONE_STREAM,
  type JsonRpcMessage,
  type WireHeaders,
} from '@mcp-tunnel/protocol';
import type { Principal } from '../../auth/principal.ts';
import type { TunnelRow } from '../../store/repositories/tunnels.ts';
import { ApiRefusal, badRequest, forbidden, JsonRpcRefusal } from '../errors.ts';
import { requireAny, visibleTunnel, type ServiceContext } from '../context.ts';
import { principalOf } from '../request-principal.ts';
import type { ExchangeKind } from './exchange.ts';

export type ConnectorRequest = { Params: { tunnel_id: string; channel?: string } };

export function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** DNS-rebinding protection: a browser's Origin must be the service's own or explicitly allowed. */
export function checkOrigin(context: ServiceContext, request: FastifyRequest): void {
  const origin = singleHeader(request, 'origin');
  if (origin === undefined || context.allowedOrigins.has(origin)) return;
  throw forbidden(
    'origin_not_allowed',
    `Origin ${origin} may not call this endpoint. Start tunnel-service with --allowed-origin ${origin} to allow it.`,
  );
}

/**
 * DNS-rebinding protection where no Origin comes: a browser's same-origin GET (a page whose name was
 * pointed at the service) sends none, so a GET must name the service by an address or one of its names.
 */
export function checkHost(context: ServiceContext, request: FastifyRequest): void {
  if (request.method !== 'GET') return;
  const name = request.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (name === '' || isIP(name) !== 0 || context.serviceNames.has(name)) return;
  throw forbidden(
    'host_not_allowed',
    `Host ${name} is not a name of this service, so this GET may come from a web page that pointed its own name at the service (DNS rebinding). Call the service by its address or its own name; to add ${name} as one, start tunnel-service with --oauth-issuer https://${name} (its public URL) or --allowed-origin https://${name}.`,
  );
}

export function requireUse(principal: Principal): void {
  requireAny(principal, ['tunnel.use'], 'tunnel_use_forbidden', () =>
    forbidden(
      'tunnel_use_forbidden',
      "This API key lacks Tunnels Use (tunnel.use) on the tunnel's organization, which calling a tunnel's MCP endpoint needs. Use a key whose role includes Tunnels Use.",
    ),
  );
}

/**
 * An OAuth access token is bound to the one connector URL it was approved for (RFC 8707): anywhere else it
 * is refused, and never forwarded to an MCP server.
 */
export function checkTokenAudience(request: FastifyRequest<ConnectorRequest>): void {
  const grant = request.principal?.grant;
  if (!grant) return;
  if (
    grant.tunnel_id === request.params.tunnel_id &&
    grant.channel === (request.params.channel ?? MAIN_CHANNEL)
  )
    return;
  throw new ApiRefusal(
    401,
    'authentication_error',
    'invalid_token',
    `This access token was issued for ${grant.resource}, not for this connector URL. Authorize the application for this tunnel.`,
  );
}

/** A public tunnel is anyone's to call; any other needs a caller of the tunnel's organization. */
export async function connectorTunnel(
  context: ServiceContext,
  request: FastifyRequest<ConnectorRequest>,
): Promise<TunnelRow> {
  const tunnelId = request.params.tunnel_id;
  const stored = isTunnelId(tunnelId) ? await context.store.tunnels.get(tunnelId) : undefined;
  if (stored?.connector_access === 'public') return stored;
  return visibleTunnel(context, principalOf(request), tunnelId);
}

/** The channel the caller names in the path; `main` when it names none. */
export function channelOf(request: FastifyRequest<ConnectorRequest>): string {
  const channel = request.params.channel ?? MAIN_CHANNEL;
  if (!isChannelName(channel))
    throw badRequest(
      'invalid_channel_format',
      `Channel ${JSON.stringify(channel)} is malformed: channel names are ${CHANNEL_NAME_SHAPE}.`,
    );
  return channel;
}

/** The one JSON-RPC message a POST carries, or a refusal saying what is wrong with it. */
export function jsonRpcBody(body: unknown): JsonRpcMessage {
  if (Array.isArray(body))
    throw new JsonRpcRefusal(
      400,
      JSONRPC_INVALID_REQUEST,
      'JSON-RPC batches are not supported: send one JSON-RPC message per POST.',
    );
  if (body === null || body === undefined || typeof body !== 'object')
    throw new JsonRpcRefusal(
      400,
      JSONRPC_INVALID_REQUEST,
      'The body must be one JSON-RPC 2.0 message (a JSON object), sent with Content-Type: application/json.',
    );
  if ((body as { jsonrpc?: unknown }).jsonrpc !== '2.0')
    throw new JsonRpcRefusal(
      400,
      JSONRPC_INVALID_REQUEST,
      'The body is not a JSON-RPC 2.0 message: it needs "jsonrpc": "2.0".',
    );
  return body as JsonRpcMessage;
}

/** A Last-Event-ID names one of this service's own events, never the MCP server's: it stays here. */
export function streamHeaders(kind: ExchangeKind, headers: WireHeaders): WireHeaders {
  if (kind !== 'stream') return headers;
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== HEADER.lastEventId.toLowerCase()),
  );
}

/** What the caller asks for, by method: GET opens a standalone stream, DELETE ends a session, POST sends. */
export async function exchangeKind(
  context: ServiceContext,
  request: FastifyRequest,
  tunnelId: string,
  sessionId: string | undefined,
): Promise<{ kind: ExchangeKind; message?: JsonRpcMessage }> {
  if (request.method === 'GET') {
    const served = (await context.broker.clients(tunnelId)).some((client) =>
      client.extensions.includes(STANDALONE_STREAM),
    );
    if (!served)
      throw new JsonRpcRefusal(
        405,
        JSONRPC_SERVER_ERROR,
        'This endpoint offers no standalone SSE stream: use POST for JSON-RPC messages and DELETE to end a session.',
        null,
        { allow: 'POST, DELETE' },
      );
    if (!(singleHeader(request, 'accept') ?? '').includes('text/event-stream'))
      throw new JsonRpcRefusal(
        406,
        JSONRPC_SERVER_ERROR,
        'GET opens the standalone SSE stream: send it with Accept: text/event-stream.',
      );
    return { kind: 'stream' };
  }
  if (request.method === 'DELETE') {
    if (!sessionId)
      throw badRequest(
        'missing_mcp_session_id',
        'DELETE ends an MCP session and needs the Mcp-Session-Id header of that session.',
      );
    return { kind: 'termination' };
  }
  const message = jsonRpcBody(request.body);
  return { kind: jsonRpcKind(message) === 'request' ? 'request' : 'notification', message };
}
