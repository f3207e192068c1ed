// A public tunnel's MCP server does its own OAuth. A caller that discovers it through the connector URL
// needs the server's protected resource metadata (RFC 9728) with the connector URL as its `resource`:
// the service cannot reach the server, so the tunnel-client fetches the document (extension
// resource-metadata) and the service answers with `resource` rewritten. The authorization servers it
// names are the server's own, which the caller must be able to reach.
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  MAIN_CHANNEL,
  RESOURCE_METADATA,
  isChannelName,
  type TunnelResponsePayload,
} from '@mcp-tunnel/protocol';
import type { QueuedCommand } from '../../broker/command-broker.ts';
import { newId, nowIso } from '../../store/ids.ts';
import type { TunnelRow } from '../../store/repositories/tunnels.ts';
import type { ServiceContext } from '../context.ts';

/** How long the tunnel-client has to fetch the document. */
const FETCH_DEADLINE_MS = 10_000;

function refuse(reply: FastifyReply, status: number, description: string) {
  return reply
    .status(status)
    .headers({ 'access-control-allow-origin': '*', 'cache-control': 'no-store' })
    .send({
      error: status === 404 ? 'not_found' : 'temporarily_unavailable',
      error_description: description,
    });
}

/** Asks a tunnel-client that declared the extension for the document; undefined when none answers in time. */
function fetchThroughTunnel(
  context: ServiceContext,
  tunnel: TunnelRow,
  channel: string,
): Promise<TunnelResponsePayload | undefined> {
  const requestId = newId('req');
  const command: QueuedCommand = {
    requestId,
    tunnelId: tunnel.id,
    channel,
    commandType: 'resource_metadata',
    shardToken: context.shardTokens.issue(requestId, tunnel.id),
    createdAt: nowIso(),
    deadlineAt: Date.now() + FETCH_DEADLINE_MS,
    extension: RESOURCE_METADATA,
    headers: {},
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      void context.broker.abandon(tunnel.id, requestId);
      resolve(undefined);
    }, FETCH_DEADLINE_MS);
    const done = (payload: TunnelResponsePayload | undefined) => {
      clearTimeout(timer);
      resolve(payload);
    };
    context.broker
      .enqueue(command, {
        onResponse: (payload) => {
          if (payload.resp_type === 'resource_metadata') done(payload);
        },
        onClosed: () => done(undefined),
        onFailed: () => done(undefined),
      })
      .catch(() => done(undefined));
  });
}

export async function upstreamResourceMetadata(
  context: ServiceContext,
  _request: FastifyRequest,
  reply: FastifyReply,
  tunnel: TunnelRow,
  channel: string | undefined,
  resource: string,
): Promise<FastifyReply> {
  const name = channel ?? MAIN_CHANNEL;
  if (!isChannelName(name)) return refuse(reply, 404, `Channel ${JSON.stringify(name)} is malformed.`);
  const clients = await context.broker.clients(tunnel.id);
  if (!clients.some((client) => client.extensions.includes(RESOURCE_METADATA)))
    return refuse(
      reply,
      404,
      clients.length === 0
        ? `Tunnel ${tunnel.id} is offline, so its MCP server's metadata cannot be fetched. Start its tunnel-client and retry.`
        : `The tunnel-client serving tunnel ${tunnel.id} cannot fetch its MCP server's OAuth metadata (it lacks the resource-metadata extension): upgrade it.`,
    );
  const answer = await fetchThroughTunnel(context, tunnel, name);
  if (!answer)
    return refuse(
      reply,
      503,
      `The tunnel-client of tunnel ${tunnel.id} did not fetch the metadata in time; retry.`,
    );
  const document = answer.resp_json;
  if (answer.resp_code !== 200 || !document)
    return refuse(
      reply,
      answer.resp_code === 404 ? 404 : 502,
      answer.resp_code === 404
        ? `The MCP server behind tunnel ${tunnel.id} (channel ${name}) publishes no OAuth protected resource metadata.`
        : `The tunnel-client could not fetch the MCP server's metadata (HTTP ${answer.resp_code}).`,
    );
  return reply
    .headers({ 'access-control-allow-origin': '*', 'cache-control': 'no-store' })
    .send({ ...document, resource });
}
