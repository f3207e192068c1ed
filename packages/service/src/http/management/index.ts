import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { registerApiKeyRoutes } from './api-keys.ts';
import { registerAuditRoutes } from './audit.ts';
import { registerAuthRoutes } from './auth.ts';
import { registerConnectorRoutes } from './connectors.ts';
import { registerInvitationRoutes } from './invitations.ts';
import { registerMeRoute } from './me.ts';
import { registerMemberRoutes } from './members.ts';
import { registerOAuthGrantRoutes } from './oauth-grants.ts';
import { registerRoleRoutes } from './roles.ts';
import { registerTunnelRoutes } from './tunnels.ts';

/** Sign-in, and organizations' own resources: tunnels, roles, members and service accounts, API keys. */
export function registerManagement(app: FastifyInstance, context: ServiceContext): void {
  registerAuthRoutes(app, context);
  registerTunnelRoutes(app, context);
  registerRoleRoutes(app, context);
  registerMemberRoutes(app, context);
  registerInvitationRoutes(app, context);
  registerApiKeyRoutes(app, context);
  registerMeRoute(app, context);
  registerAuditRoutes(app, context);
  registerConnectorRoutes(app, context);
  registerOAuthGrantRoutes(app, context);
}
