import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ListResponse } from '@mcp-tunnel/protocol';
import type { Principal } from '../../auth/principal.ts';
import { newId, nowIso } from '../../store/ids.ts';
import type { ConnectorRow } from '../../store/repositories/connectors.ts';
import type { TunnelRow } from '../../store/repositories/tunnels.ts';
import { badRequest, notFound } from '../errors.ts';
import { noteAudit } from '../audit.ts';
import { requireAny, visibleTunnel, type ServiceContext } from '../context.ts';
import { principalOf } from '../request-principal.ts';
import { parseBody } from './body.ts';

const Authentication = z.enum(['none', 'api_key'], {
  message: 'authentication must be "api_key" (callers send an API key) or "none" (public tunnels only)',
});
const ConnectorCreateSchema = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200),
  tunnel_id: z.string().min(1),
  authentication: Authentication.default('api_key'),
});
const ConnectorUpdateSchema = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200).optional(),
  tunnel_id: z.string().min(1).optional(),
  authentication: Authentication.optional(),
});
const EXAMPLE = '{"name": "calculator", "tunnel_id": "tunnel_...", "authentication": "api_key"}';

type ConnectorParams = { Params: { connector_id: string } };

/** The service never holds a connector's key: the console keeps it in the browser for the session. */
function connectorRecord(row: ConnectorRow) {
  return {
    id: row.id,
    object: 'connector' as const,
    name: row.name,
    tunnel_id: row.tunnel_id,
    authentication: row.authentication,
    mcp_url: `/v1/mcp/${row.tunnel_id}`,
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

const requireUse = (principal: Principal) => requireAny(principal, ['tunnel.use'], 'tunnel_use_forbidden');

function checkAuthentication(tunnel: TunnelRow, authentication: ConnectorRow['authentication']): void {
  if (authentication === 'none' && tunnel.connector_access !== 'public')
    throw badRequest(
      'invalid_request',
      `Tunnel ${tunnel.id} needs an API key from its callers, so a connector to it needs "authentication": "api_key". To call it without a key, set the tunnel's connector_access to "public" first.`,
      'authentication',
    );
}

/** Connectors: named ways into a tunnel's MCP endpoint, as ChatGPT's "Create app" makes them. */
export function registerConnectorRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { store } = context;

  async function connectorOf(principal: Principal, connectorId: string): Promise<ConnectorRow> {
    const connector = await store.connectors.get(connectorId);
    if (!connector || connector.organization_id !== principal.organizationId)
      throw notFound(
        'not_found',
        `No connector ${connectorId} in your organization. GET /v1/connectors lists them.`,
      );
    return connector;
  }

  app.post('/v1/connectors', { config: { action: 'connector.create' } }, async (request, reply) => {
    const principal = principalOf(request);
    requireUse(principal);
    const body = parseBody(ConnectorCreateSchema, request.body, EXAMPLE);
    const tunnel = await visibleTunnel(context, principal, body.tunnel_id);
    checkAuthentication(tunnel, body.authentication);
    const at = nowIso();
    const connector: ConnectorRow = {
      id: newId('conn'),
      organization_id: principal.organizationId,
      tunnel_id: tunnel.id,
      name: body.name,
      authentication: body.authentication,
      created_by: principal.owner.id,
      created_at: at,
      updated_at: at,
    };
    await store.connectors.create(connector);
    noteAudit(request, { target: connector.id });
    return reply.status(201).send(connectorRecord(connector));
  });

  app.get('/v1/connectors', { config: { action: 'connector.list' } }, async (request) => {
    const principal = principalOf(request);
    requireUse(principal);
    const list: ListResponse<ReturnType<typeof connectorRecord>> = {
      object: 'list',
      data: (await store.connectors.list(principal.organizationId)).map(connectorRecord),
    };
    return list;
  });

  app.get<ConnectorParams>(
    '/v1/connectors/:connector_id',
    { config: { action: 'connector.read' } },
    async (request) => {
      const principal = principalOf(request);
      requireUse(principal);
      return connectorRecord(await connectorOf(principal, request.params.connector_id));
    },
  );

  app.patch<ConnectorParams>(
    '/v1/connectors/:connector_id',
    { config: { action: 'connector.update' } },
    async (request) => {
      const principal = principalOf(request);
      requireUse(principal);
      const connector = await connectorOf(principal, request.params.connector_id);
      const body = parseBody(ConnectorUpdateSchema, request.body, '{"name": "new name"}');
      const tunnel = await visibleTunnel(context, principal, body.tunnel_id ?? connector.tunnel_id);
      const updated: ConnectorRow = {
        ...connector,
        name: body.name ?? connector.name,
        tunnel_id: tunnel.id,
        authentication: body.authentication ?? connector.authentication,
        updated_at: nowIso(),
      };
      checkAuthentication(tunnel, updated.authentication);
      await store.connectors.update(updated);
      return connectorRecord(updated);
    },
  );

  app.delete<ConnectorParams>(
    '/v1/connectors/:connector_id',
    { config: { action: 'connector.delete' } },
    async (request, reply) => {
      const principal = principalOf(request);
      requireUse(principal);
      const connector = await connectorOf(principal, request.params.connector_id);
      await store.connectors.delete(connector.id);
      return reply.status(204).send();
    },
  );
}
