import { SqlApiKeyRepository } from './repositories/api-keys.ts';
import { SqlAuditRepository } from './repositories/audit.ts';
import { SqlBrowserSessionRepository } from './repositories/browser-sessions.ts';
import { SqlConnectorRepository } from './repositories/connectors.ts';
import { SqlInvitationRepository } from './repositories/invitations.ts';
import { SqlMcpSessionRepository } from './repositories/mcp-sessions.ts';
import { SqlMemberRepository } from './repositories/members.ts';
import { SqlOrganizationRepository } from './repositories/organizations.ts';
import { SqlRoleRepository } from './repositories/roles.ts';
import { SqlSettingRepository } from './repositories/settings.ts';
import { SqlSignInAttemptRepository } from './repositories/sign-in-attempts.ts';
import { SqlTunnelRepository } from './repositories/tunnels.ts';
import type { SqlRunner } from './runner.ts';
import type { Store } from './types.ts';

/** Every repository over one runner: the store of any SQL database that has a runner and a migrated schema. */
export function sqlStore(sql: SqlRunner, close: () => Promise<void>): Store {
  return {
    organizations: new SqlOrganizationRepository(sql),
    members: new SqlMemberRepository(sql),
    roles: new SqlRoleRepository(sql),
    apiKeys: new SqlApiKeyRepository(sql),
    tunnels: new SqlTunnelRepository(sql),
    mcpSessions: new SqlMcpSessionRepository(sql),
    browserSessions: new SqlBrowserSessionRepository(sql),
    invitations: new SqlInvitationRepository(sql),
    signInAttempts: new SqlSignInAttemptRepository(sql),
    audit: new SqlAuditRepository(sql),
    connectors: new SqlConnectorRepository(sql),
    settings: new SqlSettingRepository(sql),
    close,
  };
}
