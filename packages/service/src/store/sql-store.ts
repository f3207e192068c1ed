import { sqlApiKeys } from './repositories/api-keys.ts';
import { sqlAudit } from './repositories/audit.ts';
import { sqlBrowserSessions } from './repositories/browser-sessions.ts';
import { sqlConnectors } from './repositories/connectors.ts';
import { sqlInvitations } from './repositories/invitations.ts';
import { sqlMcpSessions } from './repositories/mcp-sessions.ts';
import { sqlMembers } from './repositories/members.ts';
import { sqlOAuthClients } from './repositories/oauth-clients.ts';
import { sqlOAuthGrants } from './repositories/oauth-grants.ts';
import { sqlOrganizations } from './repositories/organizations.ts';
import { sqlRoles } from './repositories/roles.ts';
import { sqlSettings } from './repositories/settings.ts';
import { sqlSignInAttempts } from './repositories/sign-in-attempts.ts';
import { sqlTunnels } from './repositories/tunnels.ts';
import { withRecentReads } from './recent-reads.ts';
import type { SqlRunner } from './runner.ts';
import type { Store } from './types.ts';

/**
 * Every repository over one runner: the store of any SQL database that has a runner and a migrated schema.
 * The reads each call makes are remembered briefly (recent-reads.ts).
 */
export function sqlStore(sql: SqlRunner, close: () => Promise<void>): Store {
  return withRecentReads(sql, (sql) => ({
    organizations: sqlOrganizations(sql),
    members: sqlMembers(sql),
    roles: sqlRoles(sql),
    apiKeys: sqlApiKeys(sql),
    tunnels: sqlTunnels(sql),
    mcpSessions: sqlMcpSessions(sql),
    browserSessions: sqlBrowserSessions(sql),
    invitations: sqlInvitations(sql),
    signInAttempts: sqlSignInAttempts(sql),
    audit: sqlAudit(sql),
    connectors: sqlConnectors(sql),
    settings: sqlSettings(sql),
    oauthClients: sqlOAuthClients(sql),
    oauthGrants: sqlOAuthGrants(sql),
    close,
  }));
}
