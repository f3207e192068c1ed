import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  CHANNEL_NAME_SHAPE,
  JSONRPC_SERVER_ERROR,
  jsonRpcError,
  EXTENSIONS_HEADER,
  HEADER,
  KNOWN_EXTENSIONS,
  MAX_RELEASED,
  parseExtensions,
  isChannelName,
  isUseProbe,
  parseServerInfo,
  TunnelResponsePayloadSchema,
  type TunnelResponseAck,
  type TunnelResponsePayload,
} from '@mcp-tunnel/protocol';
import type { Principal } from '../auth/principal.ts';
import type { PollEnding, PollingClient, QueuedCommand } from '../broker/command-broker.ts';
import { ApiRefusal, badRequest, describeIssues, forbidden, notFound } from './errors.ts';
import { requireAny, visibleTunnel, type ServiceContext } from './context.ts';
import { credentialOf, principalOf } from './request-principal.ts';
import { reauthenticate } from './authentication.ts';
import { noteAudit } from './audit.ts';
import { responseHeaderProblem } from './response-headers.ts';
import { traceHandOver, traceResponsePost, type HandOverTrace } from '../observability/tracing.ts';

const MAX_LIMIT = 25;

type TunnelParams = { Params: { tunnel_id: string } };
type PollRequest = TunnelParams & { Querystring: Record<string, string | string[] | undefined> };

export const requireUse = (principal: Principal) =>
  requireAny(principal, ['tunnel.use'], 'tunnel_use_forbidden', () =>
    forbidden(
      'tunnel_use_forbidden',
      "This API key lacks Tunnels Use (tunnel.use) on the tunnel's organization. A tunnel-client's runtime key needs Tunnels Read + Use: create a role with both and a service account holding it, and use that account's key.",
    ),
  );

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value))
    throw badRequest('invalid_request', `Give the query parameter ${name} at most once.`, name);
  return value;
}

function integerParam(
  raw: string | undefined,
  name: string,
  min: number,
  max: number | undefined,
): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || (max !== undefined && value > max))
    throw badRequest(
      'invalid_request',
      `The query parameter ${name}=${JSON.stringify(raw)} must be a whole number ${max === undefined ? `of at least ${min}` : `from ${min} to ${max}`}.`,
      name,
    );
  return value;
}

export function channelsParam(raw: string | string[] | undefined): Set<string> | undefined {
  if (raw === undefined) return undefined;
  const channels = Array.isArray(raw) ? raw : [raw];
  for (const channel of channels)
    if (!isChannelName(channel))
      throw badRequest(
        'invalid_channel_format',
        `Channel ${JSON.stringify(channel)} is malformed: channel names are ${CHANNEL_NAME_SHAPE}.`,
        'channel',
      );
  return new Set(channels);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function pollingClient(request: FastifyRequest, principal: Principal): PollingClient {
  const info = header(request, HEADER.serverInfo);
  const parsed = info === undefined ? undefined : parseServerInfo(info);
  if (parsed && !parsed.ok)
    request.log.debug({ reason: parsed.reason }, 'ignoring a malformed X-Tunnel-MCP-Server-Info');
  return {
    instanceId:
      header(request, HEADER.clientInstanceId) ??
      (principal.key ? `key:${principal.key.id}` : `member:${principal.owner.id}`),
    name: header(request, HEADER.clientName) ?? null,
    version: header(request, HEADER.clientVersion) ?? null,
    serverInfo: parsed?.ok ? parsed.value : null,
    extensions: [...parseExtensions(request.headers[EXTENSIONS_HEADER.toLowerCase()])],
    credential: credentialOf(principal),
  };
}

/**
 * How long a poll's connection is still watched after its answer was written (until the next poll on it
 * comes): a client killed between two polls never polls again, or its next poll is cut off before the
 * service knows who sent it, and its connection closing is the only sign of it. A loaded client may take
 * a few seconds to poll again; an idle keep-alive connection stays open much longer than this.
 */
const ANSWER_SETTLE_MS = 3000;

/** The answered poll still watched on each connection: a new poll on it shows that one was received. */
const settling = new WeakMap<Socket, () => void>();

/**
 * How a poll ends for presence: `dropped` when its connection closes before the answer is written or
 * within ANSWER_SETTLE_MS after (the client hung up: it stopped, was killed, or its connection broke),
 * else `answered`, at once when the next poll arrives on the same connection.
 */
function pollEnding(request: FastifyRequest, reply: FastifyReply): Promise<PollEnding> {
  const socket = request.raw.socket;
  settling.get(socket)?.();
  if (socket.destroyed) return Promise.resolve('dropped');
  return new Promise((resolve) => {
    let settle: NodeJS.Timeout | undefined;
    const end = (ending: PollEnding) => {
      clearTimeout(settle);
      socket.off('close', dropped);
      if (settling.get(socket) === answered) settling.delete(socket);
      resolve(ending);
    };
    const dropped = () => end('dropped');
    const answered = () => end('answered');
    socket.once('close', dropped);
    reply.raw.once('finish', () => {
      // A connection meant to close after this answer (a proxy speaking HTTP/1.0 or `Connection: close`
      // to the service) says nothing about the client when it does.
      if (!reply.raw.shouldKeepAlive) return answered();
      settle = setTimeout(answered, ANSWER_SETTLE_MS);
      settling.set(socket, answered);
    });
  });
}

/** A timer may fire this much before its time as Date and timer clocks round differently. */
const TIMER_SLACK_MS = 5;

/** Shorter waits are the client's choice to the millisecond (tests and probes ask for a few seconds). */
const SPREAD_FROM_MS = 20_000;

/**
 * Long waits end at a whole second in their last quarter, picked at random. Pollers that started together
 * (a service restart, a fleet of clients) would otherwise all poll again at every timeout, and a command
 * sent during such a wave waits behind thousands of polls. Whole seconds keep the broker's wait timers in a
 * few lists (Node keeps one list per duration).
 */
function spreadWait(waitMs: number): number {
  if (waitMs < SPREAD_FROM_MS) return waitMs;
  return waitMs - Math.floor(Math.random() * (Math.floor(waitMs / 4000) + 1)) * 1000;
}

/** A queued command as the wire carries it; its response_timeout is what is left until the caller's deadline. */
function wireCommand(command: QueuedCommand, now: number) {
  return {
    request_id: command.requestId,
    shard_token: command.shardToken,
    command_type: command.commandType,
    channel: command.channel,
    created_at: command.createdAt,
    response_timeout: `${Math.max(1, Math.floor(command.deadlineAt - now))}ms`,
    headers: command.headers,
    ...(command.jsonrpc ? { jsonrpc: command.jsonrpc } : {}),
  };
}

/**
 * Checks again that the request's key may still use the tunnel: a poll before it is handed work, a
 * command stream every cycle. Throws the refusal a new poll would get.
 */
export async function checkTunnelUse(
  context: ServiceContext,
  request: FastifyRequest,
  tunnelId: string,
): Promise<void> {
  const principal = await reauthenticate(context, request);
  await visibleTunnel(context, principal, tunnelId);
  requireUse(principal);
}

/**
 * Whether a failed checkTunnelUse says the key may no longer use the tunnel (a 4xx: revoked, removed, no
 * longer allowed, the tunnel gone), so every client using it is gone. A database that cannot be reached
 * (a 503) says nothing about the key: its clients keep what they hold and poll again.
 */
export function refusesTheKey(error: unknown): error is ApiRefusal {
  return error instanceof ApiRefusal && error.status < 500;
}

/**
 * Checks the poll's key again before handing it work (it may have been revoked, or lost Tunnels Use, while
 * the poll waited). If it may not, the commands go back to the queue for another client and the poll gets
 * the refusal; if the key itself was refused, every client using it is gone (what they hold fails at once).
 */
async function stillAllowed(
  context: ServiceContext,
  request: FastifyRequest,
  tunnelId: string,
  client: PollingClient,
  commands: QueuedCommand[],
): Promise<void> {
  try {
    await checkTunnelUse(context, request, tunnelId);
  } catch (refusal) {
    await context.broker.requeue(commands);
    if (refusesTheKey(refusal)) await context.broker.credentialRevoked(client.credential);
    throw refusal;
  }
}

/** The request ids a leaving client released (protocol extension `leave`). */
function releasedOf(body: unknown): string[] {
  if (body === undefined || body === null) return [];
  const released = (body as { released?: unknown }).released;
  if (
    typeof body !== 'object' ||
    Array.isArray(body) ||
    (released !== undefined &&
      (!Array.isArray(released) ||
        released.length > MAX_RELEASED ||
        released.some((id) => typeof id !== 'string' || id.length > 200)))
  )
    throw badRequest(
      'invalid_request',
      `The body of a leave is {"released": [request ids]}: at most ${MAX_RELEASED} ids of commands this client received and never started.`,
      'released',
    );
  return (released as string[] | undefined) ?? [];
}

/**
 * The terminal answer a caller gets when what the tunnel-client sent for it, or what it sent itself, cannot
 * be passed on: the caller is told at once instead of waiting for its deadline.
 */
function undeliverable(
  command: { requestId: string; channel: string | null | undefined; rpcId: unknown },
  status: number,
  message: string,
): TunnelResponsePayload {
  const id = typeof command.rpcId === 'string' || typeof command.rpcId === 'number' ? command.rpcId : null;
  return {
    request_id: command.requestId,
    channel: command.channel,
    resp_type: 'jsonrpc_response',
    resp_code: status,
    resp_json: jsonRpcError(id, JSONRPC_SERVER_ERROR, message) as Record<string, unknown>,
  };
}

/**
 * `tunnel-client doctor`'s Tunnels Use probe got past the permission check, so the key holds Use. It is
 * answered as the contract answers any unknown request, and recorded as a check rather than a refusal.
 */
function useProbeAnswer(request: FastifyRequest, requestId: string): ApiRefusal {
  noteAudit(request, { check: 'tunnel.use_check' });
  return notFound(
    'pending_request_not_found',
    `Request ${requestId} is a Tunnels Use probe (tunnel-client doctor): the key holds Tunnels Use, and no command waits for this response.`,
  );
}

/**
 * The commands as the wire carries them (a poll answer's or a command stream's `commands`). Each is
 * serialized on its own: one that cannot be is answered to its caller, and the others are still carried.
 */
export async function serializeCommands(
  context: ServiceContext,
  request: FastifyRequest,
  tunnelId: string,
  commands: QueuedCommand[],
  carrier: 'poll' | 'stream',
): Promise<{ sent: QueuedCommand[]; wire: string[]; handOvers: HandOverTrace[] }> {
  const now = Date.now();
  const sent: QueuedCommand[] = [];
  const wire: string[] = [];
  const handOvers: HandOverTrace[] = [];
  for (const command of commands) {
    try {
      const handOver = traceHandOver(command, carrier);
      wire.push(
        JSON.stringify(wireCommand(handOver ? { ...command, headers: handOver.headers } : command, now)),
      );
      sent.push(command);
      context.metrics?.queueWait.observe({ carrier }, (now - Date.parse(command.createdAt)) / 1000);
      if (handOver) handOvers.push(handOver);
    } catch (error) {
      request.log.warn({ err: error, request_id: command.requestId }, 'a command could not be serialized');
      await context.broker.deliver(
        tunnelId,
        command.shardToken,
        undeliverable(
          { requestId: command.requestId, channel: command.channel, rpcId: command.jsonrpc?.id },
          400,
          `The tunnel-service could not pass this message to the tunnel-client (${error instanceof Error ? error.message : String(error)}). Send a smaller, flatter message.`,
        ),
      );
    }
  }
  return { sent, wire, handOvers };
}

/**
 * Accepts one response for a tunnel whose key was checked (the response POST, or a frame of a command
 * stream): validates it, verifies its shard token and hands it to the waiting caller. Throws the refusal
 * the response POST answers.
 */
export async function acceptResponse(
  context: ServiceContext,
  request: FastifyRequest,
  tunnelId: string,
  token: string | undefined,
  body: unknown,
  tooDeep: ApiRefusal | null,
): Promise<TunnelResponseAck> {
  const { broker } = context;
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRequest(
      'invalid_request',
      'The request body must be one JSON object: {"request_id": ..., "resp_json": ..., "resp_code": 200, "resp_type": "jsonrpc_response"}.',
    );
  const parsed = TunnelResponsePayloadSchema.safeParse(body);
  if (!parsed.success) {
    const { message, param } = describeIssues(parsed.error.issues);
    throw badRequest('invalid_request', `Invalid response payload: ${message}.`, param);
  }
  const payload = parsed.data;
  if (payload.channel != null && !isChannelName(payload.channel))
    throw badRequest(
      'invalid_channel_format',
      `Channel ${JSON.stringify(payload.channel)} is malformed: channel names are ${CHANNEL_NAME_SHAPE}.`,
      'channel',
    );
  if (isUseProbe(payload.request_id)) throw useProbeAnswer(request, payload.request_id);
  if (!token || !context.shardTokens.verify(token, payload.request_id, tunnelId))
    throw new ApiRefusal(
      401,
      'invalid_request_error',
      'tunnel_request_mismatch',
      `The X-Tunnel-Shard-Token header ${token ? 'does not match' : 'is missing for'} request ${payload.request_id} on tunnel ${tunnelId}. Echo the shard_token of the polled command exactly, and post to the tunnel that received the command.`,
    );
  // A payload the caller could not be given is refused, and the caller is told at once.
  const problem = tooDeep ?? responseHeaderProblem(payload.resp_headers);
  if (problem) {
    await broker.deliver(
      tunnelId,
      token,
      undeliverable(
        { requestId: payload.request_id, channel: payload.channel, rpcId: payload.resp_json?.id },
        502,
        `The tunnel-client's answer could not be passed on: ${problem.message}`,
      ),
    );
    throw problem;
  }
  if (!(await broker.deliver(tunnelId, token, payload)))
    throw notFound(
      'pending_request_not_found',
      `Request ${payload.request_id} is already finished, expired or was abandoned by its caller; nothing is waiting for this response. Do not retry it.`,
    );
  return { status: 'ok' };
}

/** The contract's tunnel API: tunnel-clients long-poll for commands and post responses. */
export function registerTunnelApi(app: FastifyInstance, context: ServiceContext): void {
  const { broker, limits } = context;

  app.get<PollRequest>(
    '/v1/tunnels/:tunnel_id/poll',
    { config: { action: 'tunnel.poll', auditRefusalsOnly: true } },
    async (request, reply) => {
      const principal = principalOf(request);
      const tunnelId = (await visibleTunnel(context, principal, request.params.tunnel_id)).id;
      requireUse(principal);
      const query = request.query;
      const limit = integerParam(single(query.limit, 'limit'), 'limit', 1, MAX_LIMIT) ?? MAX_LIMIT;
      const requested = integerParam(single(query.timeout_ms, 'timeout_ms'), 'timeout_ms', 1, undefined);
      const waitMs = spreadWait(Math.min(requested ?? limits.defaultPollWaitMs, limits.maxPollWaitMs));
      const channels = channelsParam(query.channel);
      const client = pollingClient(request, principal);
      // An open poll holds ids, not the caller's rows (thousands of idle tunnels each hold one): the key is
      // read again before work is handed out (stillAllowed), and the audit of a refusal still names the member.
      noteAudit(request, { member: principal.owner });
      request.principal = null;
      // Offered on every poll answer; a client uses an extension only after seeing it offered here.
      reply.header(EXTENSIONS_HEADER, KNOWN_EXTENSIONS.join(', '));

      const gone = new AbortController();
      // Only a poll cut off before its answer was written is gone (an abort also costs an AbortError).
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      await broker.pollStarted(tunnelId, client);
      void pollEnding(request, reply).then((ending) => {
        if (ending === 'dropped')
          request.log.info(
            { tunnel_id: tunnelId, instance_id: client.instanceId },
            'a tunnel-client hung up on its poll: it counts as gone unless it polls again shortly',
          );
        return broker
          .pollEnded(tunnelId, client, ending)
          .catch((error: unknown) => request.log.error({ err: error }, 'could not record the end of a poll'));
      });
      const waitEnds = performance.now() + waitMs;
      context.metrics?.pollsWaiting.inc();
      const commands = await broker
        .take(tunnelId, {
          limit,
          waitMs,
          channels,
          extensions: new Set(client.extensions),
          instanceId: client.instanceId,
          credential: client.credential,
          signal: gone.signal,
        })
        .finally(() => context.metrics?.pollsWaiting.dec());
      // A poll whose wait ran out hands out nothing, and the client's next poll is authenticated anyway: only
      // one that ends early (with work, or because its client departed, e.g. its key was revoked) is checked.
      if (!gone.signal.aborted && (commands.length > 0 || performance.now() < waitEnds - TIMER_SLACK_MS))
        await stillAllowed(context, request, tunnelId, client, commands);
      if (commands.length === 0) return reply.status(204).send();
      // A poller that hung up never saw these: the next poller gets them.
      if (gone.signal.aborted) {
        await broker.requeue(commands);
        return reply;
      }
      const { sent, wire, handOvers } = await serializeCommands(context, request, tunnelId, commands, 'poll');
      if (sent.length === 0) return reply.status(204).send();
      reply.raw.once('close', () => {
        for (const handOver of handOvers) handOver.end(reply.raw.writableFinished);
        if (!reply.raw.writableFinished) void broker.requeue(sent);
      });
      return reply
        .status(200)
        .type('application/json; charset=utf-8')
        .send(`{"commands":[${wire.join(',')}]}`);
    },
  );

  app.post<TunnelParams>(
    '/v1/tunnels/:tunnel_id/response',
    { config: { action: 'tunnel.respond', auditRefusalsOnly: true, refusesDeepJsonItself: true } },
    async (request, reply) => {
      const span = traceResponsePost(request.headers, request.params.tunnel_id);
      if (span) reply.raw.once('close', () => span.end(reply.statusCode));
      const principal = principalOf(request);
      const tunnel = await visibleTunnel(context, principal, request.params.tunnel_id);
      requireUse(principal);
      return acceptResponse(
        context,
        request,
        tunnel.id,
        header(request, HEADER.shardToken),
        request.body,
        request.tooDeep,
      );
    },
  );
  // Protocol extension `leave`: a stopping client is gone at once (docs/protocol-extensions.md).
  app.post<TunnelParams>(
    '/v1/tunnels/:tunnel_id/leave',
    { config: { action: 'tunnel.leave', auditRefusalsOnly: true } },
    async (request, reply) => {
      const principal = principalOf(request);
      const tunnel = await visibleTunnel(context, principal, request.params.tunnel_id);
      requireUse(principal);
      const released = releasedOf(request.body);
      const client = pollingClient(request, principal);
      await broker.clientLeft(tunnel.id, client.instanceId, released);
      request.log.info(
        { tunnel_id: tunnel.id, instance_id: client.instanceId, released: released.length },
        'tunnel-client left',
      );
      return reply.status(204).send();
    },
  );
}
