import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  HEADER,
  JSONRPC_SERVER_ERROR,
  LISTEN_METHOD,
  LISTEN_STREAM,
  MAX_TUNNEL_RESPONSE_TIMEOUT_MS,
  parseConfigDuration,
  redactMintedSecrets,
  STANDALONE_STREAM,
  type JsonRpcId,
} from '@mcp-tunnel/protocol';
import type { QueuedCommand } from '../../broker/command-broker.ts';
import { newId, nowIso } from '../../store/ids.ts';
import type { TunnelRow } from '../../store/repositories/tunnels.ts';
import { traceConnectorRequest } from '../../observability/tracing.ts';
import { JsonRpcRefusal } from '../errors.ts';
import type { ServiceContext } from '../context.ts';
import { principalOf } from '../request-principal.ts';
import { commandHeaders } from './headers.ts';
import { upstreamChallenge } from './challenge.ts';
import { ConnectorSessions } from './sessions.ts';
import { ConnectorExchange } from './exchange.ts';
import { ResumableStreams } from './resumption.ts';
import {
  channelOf,
  checkHost,
  checkOrigin,
  checkTokenAudience,
  connectorTunnel,
  exchangeKind,
  requireUse,
  singleHeader,
  streamHeaders,
  type ConnectorRequest,
} from './request.ts';

const FALLBACK_DEADLINE_MS = 60_000;
/**
 * How long one standalone stream (GET) lives. It then ends normally and the caller, told `retry:`, opens
 * the next one; the bound means a tunnel-client never holds a stream whose caller has silently left.
 */
const STREAM_LIFETIME_MS = 5 * 60_000;
/**
 * How long a `subscriptions/listen` request lives when the tunnel-client holds it outside its workers
 * (extension listen-stream): as long as its caller keeps it, within this bound. A caller that leaves is
 * noticed at the next event (its post finds no caller) or at this bound.
 */
const LISTEN_LIFETIME_MS = 24 * 60 * 60_000;

/** The tunnel's response_timeout, within the bound the API sets (a row written before the bound may exceed it). */
function deadlineMs(tunnel: TunnelRow): number {
  const ms = parseConfigDuration(tunnel.response_timeout) ?? FALLBACK_DEADLINE_MS;
  return Math.min(ms, MAX_TUNNEL_RESPONSE_TIMEOUT_MS);
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
    checkHost(context, request);
    checkTokenAudience(request);
    const tunnel = await connectorTunnel(context, request);
    const isPublic = tunnel.connector_access === 'public';
    const channel = channelOf(request);
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

    if (!(await broker.isOnline(tunnel.id))) {
      context.metrics?.calls.inc({ kind, outcome: 'tunnel_offline' });
      throw new JsonRpcRefusal(
        503,
        JSONRPC_SERVER_ERROR,
        `Tunnel ${tunnel.id} is offline: no tunnel-client has polled it in the last few seconds. Start tunnel-client with this tunnel id (control_plane.tunnel_id ${tunnel.id}) and a runtime key with Tunnels Read + Use, then retry.`,
        rpcId,
      );
    }

    const listens =
      message?.method === LISTEN_METHOD &&
      (await broker.clients(tunnel.id)).some((client) => client.extensions.includes(LISTEN_STREAM));
    const requestId = newId('req');
    const now = Date.now();
    const params = message?.params as { name?: unknown } | undefined;
    const tool =
      message?.method === 'tools/call' && typeof params?.name === 'string'
        ? redactMintedSecrets(params.name)
        : undefined;
    const span = traceConnectorRequest(request.headers, request.method, () => ({
      'http.request.method': request.method,
      'tunnel.id': tunnel.id,
      'tunnel.channel': channel,
      'tunnel.request_id': requestId,
      ...(typeof message?.method === 'string' ? { 'mcp.method.name': message.method } : {}),
      ...(tool ? { 'gen_ai.tool.name': tool } : {}),
      ...(sessionId ? { 'mcp.session.id': sessionId } : {}),
    }));
    const forwarded = streamHeaders(
      kind,
      commandHeaders(request.headers, { forwardAuthorization: isPublic }),
    );
    const command: QueuedCommand = {
      requestId,
      tunnelId: tunnel.id,
      channel,
      commandType:
        kind === 'termination' ? 'session_termination' : kind === 'stream' ? 'standalone_stream' : 'jsonrpc',
      shardToken: context.shardTokens.issue(requestId, tunnel.id),
      createdAt: nowIso(),
      deadlineAt:
        now + (kind === 'stream' ? STREAM_LIFETIME_MS : listens ? LISTEN_LIFETIME_MS : deadlineMs(tunnel)),
      ...(kind === 'stream' ? { extension: STANDALONE_STREAM } : listens ? { extension: LISTEN_STREAM } : {}),
      headers: span?.commandHeaders(forwarded) ?? forwarded,
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
        span?.answered();
        if (isPublic) {
          const challenge = upstreamChallenge(
            context,
            tunnel.id,
            request.params.channel,
            payload.resp_headers,
          );
          if (challenge['WWW-Authenticate']) return challenge;
        }
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
      metrics: context.metrics,
      log: request.log,
    });

    try {
      await exchange.run();
    } finally {
      span?.end(reply.statusCode);
      await trafficLog.record(tunnel.id, {
        at: command.createdAt,
        channel,
        method:
          kind === 'termination'
            ? 'session_termination'
            : kind === 'stream'
              ? 'standalone_stream'
              : String(message?.method ?? 'response'),
        ...(tool ? { tool } : {}),
        status: reply.statusCode,
        duration_ms: Date.now() - now,
      });
    }
    return reply;
  };
}
