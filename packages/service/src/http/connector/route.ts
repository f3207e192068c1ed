import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  CHANNEL_NAME_SHAPE,
  HEADER,
  isChannelName,
  isTunnelId,
  JSONRPC_INVALID_REQUEST,
  JSONRPC_SERVER_ERROR,
  jsonRpcKind,
  MAIN_CHANNEL,
  parseConfigDuration,
  STANDALONE_STREAM,
  type JsonRpcId,
  type JsonRpcMessage,
  type WireHeaders,
} from '@mcp-tunnel/protocol';
import type { Principal } from '../../auth/principal.ts';
import type { QueuedCommand } from '../../broker/command-broker.ts';
import { newId, nowIso } from '../../store/ids.ts';
import type { TunnelRow } from '../../store/repositories/tunnels.ts';
import { badRequest, forbidden, JsonRpcRefusal } from '../errors.ts';
import { requireAny, visibleTunnel, type ServiceContext } from '../context.ts';
import { principalOf } from '../request-principal.ts';
import { commandHeaders } from './headers.ts';
import { ConnectorSessions } from './sessions.ts';
import { ConnectorExchange, type ExchangeKind } from './exchange.ts';
import { ResumableStreams } from './resumption.ts';

export type ConnectorRequest = { Params: { tunnel_id: string; channel?: string } };

const FALLBACK_DEADLINE_MS = 60_000;
/**
 * How long one standalone stream (GET) lives. It then ends normally and the caller, told `retry:`, opens
 * the next one; the bound means a tunnel-client never holds a stream whose caller has silently left.
 */
const STREAM_LIFETIME_MS = 5 * 60_000;

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** DNS-rebinding protection: a browser's Origin must be the service's own or explicitly allowed. */
function checkOrigin(context: ServiceContext, request: FastifyRequest): void {
  const origin = singleHeader(request, 'origin');
  if (origin === undefined || context.allowedOrigins.has(origin)) return;
  throw forbidden(
    'origin_not_allowed',
    `Origin ${origin} may not call this endpoint. Start tunnel-service with --allowed-origin ${origin} to allow it.`,
  );
}

function requireUse(principal: Principal): void {
  requireAny(principal, ['tunnel.use'], 'tunnel_use_forbidden', () =>
    forbidden(
      'tunnel_use_forbidden',
      "This API key lacks Tunnels Use (tunnel.use) on the tunnel's organization, which calling a tunnel's MCP endpoint needs. Use a key whose role includes Tunnels Use.",
    ),
  );
}

/** A public tunnel is anyone's to call; any other needs a caller of the tunnel's organization. */
async function connectorTunnel(
  context: ServiceContext,
  request: FastifyRequest<ConnectorRequest>,
): Promise<TunnelRow> {
  const tunnelId = request.params.tunnel_id;
  const stored = isTunnelId(tunnelId) ? await context.store.tunnels.get(tunnelId) : undefined;
  if (stored?.connector_access === 'public') return stored;
  return visibleTunnel(context, principalOf(request), tunnelId);
}

/** The one JSON-RPC message a POST carries, or a refusal saying what is wrong with it. */
function jsonRpcBody(body: unknown): JsonRpcMessage {
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
function streamHeaders(kind: ExchangeKind, headers: WireHeaders): WireHeaders {
  if (kind !== 'stream') return headers;
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== HEADER.lastEventId.toLowerCase()),
  );
}

function deadlineMs(tunnel: TunnelRow): number {
  return parseConfigDuration(tunnel.response_timeout) ?? FALLBACK_DEADLINE_MS;
}

/** What the caller asks for, by method: GET opens a standalone stream, DELETE ends a session, POST sends. */
async function exchangeKind(
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

/**
 * The MCP Streamable HTTP endpoint of a tunnel: each POST, GET or DELETE becomes a command for the
 * tunnel-client, and the caller gets the client's answer, or a prompt JSON-RPC error when that cannot
 * happen.
 */
export function connectorHandler(context: ServiceContext) {
  const { broker, eventBuffer, trafficLog } = context;
  const sessions = new ConnectorSessions(context.store);
  const streams = new ResumableStreams(eventBuffer, context.limits.eventBuffer);

  return async function handle(request: FastifyRequest<ConnectorRequest>, reply: FastifyReply) {
    checkOrigin(context, request);
    const tunnel = await connectorTunnel(context, request);
    const isPublic = tunnel.connector_access === 'public';
    const channel = request.params.channel ?? MAIN_CHANNEL;
    if (!isChannelName(channel))
      throw badRequest(
        'invalid_channel_format',
        `Channel ${JSON.stringify(channel)} is malformed: channel names are ${CHANNEL_NAME_SHAPE}.`,
      );
    if (!isPublic) requireUse(principalOf(request));

    const sessionId = singleHeader(request, HEADER.mcpSessionId);
    const lastEventId = singleHeader(request, HEADER.lastEventId);
    if (request.method === 'GET' && lastEventId !== undefined) {
      if (sessionId) await sessions.check(tunnel.id, channel, sessionId);
      if (await streams.resume(reply, tunnel.id, sessionId ?? '', lastEventId)) return reply;
    }
    const { kind, message } = await exchangeKind(context, request, tunnel.id, sessionId);
    const rpcId = kind === 'request' ? ((message!.id as JsonRpcId | undefined) ?? null) : null;
    if (sessionId) await sessions.check(tunnel.id, channel, sessionId);

    if (!(await broker.isOnline(tunnel.id)))
      throw new JsonRpcRefusal(
        503,
        JSONRPC_SERVER_ERROR,
        `Tunnel ${tunnel.id} is offline: no tunnel-client has polled it in the last few seconds. Start tunnel-client with this tunnel id (control_plane.tunnel_id ${tunnel.id}) and a runtime key with Tunnels Read + Use, then retry.`,
        rpcId,
      );

    const requestId = newId('req');
    const now = Date.now();
    const command: QueuedCommand = {
      requestId,
      tunnelId: tunnel.id,
      channel,
      commandType:
        kind === 'termination' ? 'session_termination' : kind === 'stream' ? 'standalone_stream' : 'jsonrpc',
      shardToken: context.shardTokens.issue(requestId, tunnel.id),
      createdAt: nowIso(),
      deadlineAt: now + (kind === 'stream' ? STREAM_LIFETIME_MS : deadlineMs(tunnel)),
      ...(kind === 'stream' ? { extension: STANDALONE_STREAM } : {}),
      headers: streamHeaders(kind, commandHeaders(request.headers, { forwardAuthorization: isPublic })),
      ...(message ? { jsonrpc: message } : {}),
    };
    const isInitialize = message?.method === 'initialize';
    const exchange = new ConnectorExchange({
      reply,
      kind,
      command,
      rpcId,
      wantsSse: (singleHeader(request, 'accept') ?? '').includes('text/event-stream'),
      holdNotifications: isInitialize,
      sessionId: sessionId ?? '',
      openWithinMs: deadlineMs(tunnel),
      lateAnswer: `The tunnel-client did not answer within the tunnel's response_timeout (${tunnel.response_timeout}). Check that tunnel-client is running and its MCP server responds; for slow tools raise response_timeout with POST /v1/tunnels/${tunnel.id}.`,
      onTerminal: async (payload): Promise<Record<string, string>> => {
        if (isInitialize && payload.resp_code < 300 && payload.resp_json && 'result' in payload.resp_json) {
          const minted = await sessions.opened(tunnel.id, channel, payload);
          if (minted) return { 'Mcp-Session-Id': minted };
        }
        if (kind === 'termination' && (payload.resp_code < 300 || payload.resp_code === 404)) {
          await sessions.ended(tunnel.id, sessionId!);
          streams.sessionEnded(tunnel.id, sessionId!);
        }
        return {};
      },
      broker,
      eventBuffer,
      streams,
      log: request.log,
    });

    try {
      await exchange.run();
    } finally {
      const params = message?.params as { name?: unknown } | undefined;
      await trafficLog.record(tunnel.id, {
        at: command.createdAt,
        channel,
        method:
          kind === 'termination'
            ? 'session_termination'
            : kind === 'stream'
              ? 'standalone_stream'
              : String(message?.method ?? 'response'),
        ...(message?.method === 'tools/call' && typeof params?.name === 'string'
          ? { tool: params.name }
          : {}),
        status: reply.statusCode,
        duration_ms: Date.now() - now,
      });
    }
    return reply;
  };
}
