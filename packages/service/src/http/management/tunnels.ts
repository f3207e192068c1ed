import type { FastifyInstance } from 'fastify';
import { newTunnelId, TunnelCreateSchema, TunnelUpdateSchema, type ListResponse } from '@mcp-tunnel/protocol';
import { nowIso } from '../../store/ids.ts';
import type { Principal } from '../../auth/principal.ts';
import { forbidden } from '../errors.ts';
import { requireAny, visibleTunnel, type ServiceContext } from '../context.ts';
import { tunnelRecord } from '../records.ts';
import { principalOf } from '../request-principal.ts';
import { parseBody } from './body.ts';
import { noteAudit } from '../audit.ts';

export const DEFAULT_RESPONSE_TIMEOUT = '60s';
/** The live view lists at most this many open sessions, most recently used first. */
const LIVE_SESSIONS = 100;
const EXAMPLE = '{"name": "calculator", "description": "optional", "response_timeout": "60s"}';

type TunnelParams = { Params: { tunnel_id: string } };

const requireManage = (principal: Principal) =>
  requireAny(principal, ['tunnel.write'], 'tunnel_management_permission_required');

/** A caller can place tunnels only in organizations it belongs to. */
function checkOrganizations(principal: Principal, organizationIds: string[] | undefined): string[] {
  const ids = [...new Set(organizationIds ?? [principal.organizationId])];
  for (const id of ids)
    if (id !== principal.organizationId)
      throw forbidden(
        'tunnel_missing_principals',
        `organization_ids may only name organizations your key belongs to; yours is ${principal.organizationId}, not ${id}.`,
        'organization_ids',
      );
  if (ids.length === 0) return [principal.organizationId];
  return ids;
}

export function registerTunnelRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { store } = context;

  app.post('/v1/tunnels', { config: { action: 'tunnel.create' } }, async (request, reply) => {
    const principal = principalOf(request);
    requireManage(principal);
    const body = parseBody(TunnelCreateSchema, request.body, EXAMPLE);
    const at = nowIso();
    const tunnel = {
      id: newTunnelId(),
      name: body.name,
      description: body.description,
      organization_ids: checkOrganizations(principal, body.organization_ids),
      response_timeout: body.response_timeout ?? DEFAULT_RESPONSE_TIMEOUT,
      connector_access: body.connector_access ?? 'key',
      created_at: at,
      updated_at: at,
    };
    await store.tunnels.create(tunnel);
    noteAudit(request, { target: tunnel.id });
    request.log.info({ tunnel_id: tunnel.id }, 'tunnel created');
    return reply.status(200).send(tunnelRecord(tunnel));
  });

  app.get('/v1/tunnels', { config: { action: 'tunnel.list' } }, async (request) => {
    const principal = principalOf(request);
    requireAny(principal, ['tunnel.read']);
    const tunnels = await store.tunnels.list(principal.organizationId);
    const list: ListResponse<ReturnType<typeof tunnelRecord>> = {
      object: 'list',
      data: tunnels.map(tunnelRecord),
    };
    return list;
  });

  app.get<TunnelParams>('/v1/tunnels/:tunnel_id', { config: { action: 'tunnel.read' } }, async (request) => {
    const principal = principalOf(request);
    const tunnel = await visibleTunnel(context, principal, request.params.tunnel_id);
    // The tunnel-client asks with its runtime key for start-up diagnostics, so Use is enough to read.
    requireAny(principal, ['tunnel.read', 'tunnel.use'], 'tunnel_use_forbidden');
    const clients = await context.broker.clients(tunnel.id);
    return {
      ...tunnelRecord(tunnel),
      online: await context.broker.isOnline(tunnel.id),
      clients: clients.map((client) => ({
        instance_id: client.instanceId,
        name: client.name,
        version: client.version,
        server_info: client.serverInfo,
        last_poll_at: client.lastPollAt,
      })),
    };
  });

  // PATCH is what the console sends; POST is the OpenAI-style spelling the CLI uses.
  app.route<TunnelParams>({
    method: ['POST', 'PATCH'],
    url: '/v1/tunnels/:tunnel_id',
    config: { action: 'tunnel.update' },
    handler: async (request) => {
      const principal = principalOf(request);
      const tunnel = await visibleTunnel(context, principal, request.params.tunnel_id);
      requireManage(principal);
      const body = parseBody(
        TunnelUpdateSchema,
        request.body,
        '{"name": "new name", "response_timeout": "30s"}',
      );
      const updated = {
        ...tunnel,
        name: body.name ?? tunnel.name,
        description: body.description ?? tunnel.description,
        organization_ids: body.organization_ids
          ? checkOrganizations(principal, body.organization_ids)
          : tunnel.organization_ids,
        response_timeout: body.response_timeout ?? tunnel.response_timeout,
        connector_access: body.connector_access ?? tunnel.connector_access,
        updated_at: nowIso(),
      };
      await store.tunnels.update(updated);
      return tunnelRecord(updated);
    },
  });

  /** What the console's live view shows: who polls, open MCP sessions, the last calls. */
  app.get<TunnelParams>(
    '/v1/tunnels/:tunnel_id/live',
    { config: { action: 'tunnel.live' } },
    async (request) => {
      const principal = principalOf(request);
      const tunnel = await visibleTunnel(context, principal, request.params.tunnel_id);
      requireAny(principal, ['tunnel.read']);
      const clients = await context.broker.clients(tunnel.id);
      const sessions = await store.mcpSessions.listOpen(tunnel.id, LIVE_SESSIONS);
      return {
        object: 'tunnel.live',
        tunnel_id: tunnel.id,
        online: await context.broker.isOnline(tunnel.id),
        clients: clients.map((client) => ({
          instance_id: client.instanceId,
          client_name: client.name,
          client_version: client.version,
          channels: client.serverInfo?.channels ?? [],
          last_poll_at: client.lastPollAt,
        })),
        sessions: sessions.map((session) => ({
          id: session.id,
          channel: session.channel,
          created_at: session.created_at,
          last_used_at: session.last_used_at,
        })),
        recent_traffic: await context.trafficLog.recent(tunnel.id),
      };
    },
  );

  app.delete<TunnelParams>(
    '/v1/tunnels/:tunnel_id',
    { config: { action: 'tunnel.delete' } },
    async (request) => {
      const principal = principalOf(request);
      const tunnel = await visibleTunnel(context, principal, request.params.tunnel_id);
      requireManage(principal);
      await store.tunnels.delete(tunnel.id);
      request.log.info({ tunnel_id: tunnel.id }, 'tunnel deleted');
      return { id: tunnel.id, object: 'tunnel', deleted: true };
    },
  );
}
