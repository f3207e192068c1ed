import type { FastifyInstance } from 'fastify';
import type { ListResponse } from '@mcp-tunnel/protocol';
import type { Principal } from '../../auth/principal.ts';
import { nowIso } from '../../store/ids.ts';
import type { OAuthGrantRow } from '../../store/repositories/oauth-grants.ts';
import { noteAudit } from '../audit.ts';
import { requireAny, type ServiceContext } from '../context.ts';
import { forbidden, notFound } from '../errors.ts';
import { principalOf } from '../request-principal.ts';

type GrantParams = { Params: { grant_id: string } };

/** A grant as the console shows it: never a token or its hash. */
function grantRecord(row: OAuthGrantRow, memberName: string | undefined) {
  return {
    id: row.id,
    object: 'oauth_grant' as const,
    client_id: row.client_id,
    client_name: row.client_name,
    redirect_host: new URL(row.redirect_uri).host,
    member_id: row.member_id,
    member_name: memberName ?? null,
    tunnel_id: row.tunnel_id,
    channel: row.channel,
    resource: row.resource,
    scope: row.scope,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
    revoked_reason: row.revoked_reason,
  };
}

/** Seeing and revoking everyone's applications is managing the organization's tunnels. */
const requireManage = (principal: Principal) =>
  requireAny(principal, ['tunnel.write'], 'permission_denied', () =>
    forbidden(
      'permission_denied',
      "Listing or revoking other members' applications needs Tunnels Manage (tunnel.write). Your own are at GET /v1/oauth/grants.",
    ),
  );

/** The applications members let use a tunnel with OAuth: a member's own, and the organization's. */
export function registerOAuthGrantRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { store } = context;

  app.get<{ Querystring: { all?: string } }>(
    '/v1/oauth/grants',
    { config: { action: 'oauth.grant.list' } },
    async (request) => {
      const principal = principalOf(request);
      const all = request.query.all === 'true';
      if (all) requireManage(principal);
      const grants = await store.oauthGrants.list(
        principal.organizationId,
        all ? undefined : principal.owner.id,
      );
      const names = new Map((await store.members.list(principal.organizationId)).map((m) => [m.id, m.name]));
      const list: ListResponse<ReturnType<typeof grantRecord>> = {
        object: 'list',
        data: grants.map((grant) => grantRecord(grant, names.get(grant.member_id))),
      };
      return list;
    },
  );

  /** Takes effect on the application's next request: its access and refresh tokens stop working at once. */
  app.delete<GrantParams>(
    '/v1/oauth/grants/:grant_id',
    { config: { action: 'oauth.grant.revoke' } },
    async (request, reply) => {
      const principal = principalOf(request);
      const grant = await store.oauthGrants.get(request.params.grant_id);
      if (!grant || grant.organization_id !== principal.organizationId)
        throw notFound(
          'not_found',
          `No authorized application ${request.params.grant_id} in your organization. GET /v1/oauth/grants lists them.`,
        );
      if (grant.member_id !== principal.owner.id) requireManage(principal);
      await store.oauthGrants.revoke(grant.id, nowIso(), 'member');
      noteAudit(request, { target: grant.id });
      return reply.status(204).send();
    },
  );
}
