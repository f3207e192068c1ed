import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../context.ts';
import type { TunnelRow } from '../../store/repositories/tunnels.ts';

/** Placeholder until the resource-metadata extension is served: a public tunnel has no metadata here. */
export async function upstreamResourceMetadata(
  _context: ServiceContext,
  _request: FastifyRequest,
  reply: FastifyReply,
  tunnel: TunnelRow,
  _channel: string | undefined,
  _resource: string,
): Promise<FastifyReply> {
  return reply.status(404).send({
    error: 'not_found',
    error_description: `Tunnel ${tunnel.id} is public: its MCP server does its own authorization.`,
  });
}
