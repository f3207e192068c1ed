import type { ApiKeyRepository } from './repositories/api-keys.ts';
import type { AuditRepository } from './repositories/audit.ts';
import type { BrowserSessionRepository } from './repositories/browser-sessions.ts';
import type { ConnectorRepository } from './repositories/connectors.ts';
import type { InvitationRepository } from './repositories/invitations.ts';
import type { OAuthClientRepository } from './repositories/oauth-clients.ts';
import type { OAuthGrantRepository } from './repositories/oauth-grants.ts';
import type { McpSessionRepository } from './repositories/mcp-sessions.ts';
import type { MemberRepository } from './repositories/members.ts';
import type { OrganizationRepository } from './repositories/organizations.ts';
import type { RoleRepository } from './repositories/roles.ts';
import type { SettingRepository } from './repositories/settings.ts';
import type { SignInAttemptRepository } from './repositories/sign-in-attempts.ts';
import type { TunnelRepository } from './repositories/tunnels.ts';

/**
 * The persistent state of the service: one repository per aggregate, e.g. `store.tunnels.get(id)`. The
 * embedded store is SQLite (sqlite.ts); a cluster store (PostgreSQL) provides the same repositories, so
 * nothing above this seam knows which one runs. Timestamps are RFC 3339 strings; permission lists are
 * arrays of atoms. Each repository's file holds its rows, its interface and its SQL.
 */
export interface Store {
  organizations: OrganizationRepository;
  members: MemberRepository;
  roles: RoleRepository;
  apiKeys: ApiKeyRepository;
  tunnels: TunnelRepository;
  mcpSessions: McpSessionRepository;
  browserSessions: BrowserSessionRepository;
  invitations: InvitationRepository;
  signInAttempts: SignInAttemptRepository;
  audit: AuditRepository;
  connectors: ConnectorRepository;
  settings: SettingRepository;
  oauthClients: OAuthClientRepository;
  oauthGrants: OAuthGrantRepository;
  close(): Promise<void>;
}
