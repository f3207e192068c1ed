import type { PermissionAtom } from '@mcp-tunnel/protocol';

/**
 * The persistent state of the service. The embedded store is SQLite; a cluster store (PostgreSQL) implements
 * the same interface over the same migrations, so nothing above this seam knows which one runs.
 * Timestamps are RFC 3339 strings; permission lists are arrays of atoms.
 */
export interface OrganizationRow {
  id: string;
  name: string;
  created_at: string;
}

export type MemberKind = 'user' | 'service_account';

export interface MemberRow {
  id: string;
  organization_id: string;
  kind: MemberKind;
  name: string;
  role_ids: string[];
  created_at: string;
  /** Sign-in of a user; null for service accounts and for users who have not set a password yet. */
  email: string | null;
  password_hash: string | null;
  /** Removed members stay for the audit trail's names; they can no longer sign in or use keys. */
  deleted_at: string | null;
}

export interface RoleRow {
  id: string;
  organization_id: string;
  name: string;
  permissions: PermissionAtom[];
  /** `owner` for the built-in Owner role, which always holds every atom; null for custom roles. */
  builtin: 'owner' | null;
  created_at: string;
  updated_at: string;
}

export interface ApiKeyRow {
  id: string;
  organization_id: string;
  owner_id: string;
  name: string;
  prefix: string;
  secret_hash: string;
  /** null = unrestricted: the key may do whatever its owner may do. */
  permissions: PermissionAtom[] | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface TunnelRow {
  id: string;
  name: string;
  description: string;
  organization_ids: string[];
  response_timeout: string;
  /** `public`: the connector endpoint needs no key and forwards the caller's Authorization to the MCP server. */
  connector_access: ConnectorAccess;
  created_at: string;
  updated_at: string;
}

export type ConnectorAccess = 'key' | 'public';

/** A signed-in browser. The cookie carries a random token; only its hash is stored. */
export interface BrowserSessionRow {
  id_hash: string;
  member_id: string;
  organization_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface InvitationRow {
  id: string;
  organization_id: string;
  email: string;
  role_ids: string[];
  token_hash: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
}

export interface FailedSignIn {
  email: string | null;
  ip: string;
  at: string;
}

export interface AuditRow {
  id: string;
  organization_id: string;
  at: string;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target: string | null;
  outcome: 'allowed' | 'refused';
  reason: string | null;
  ip: string | null;
}

export interface AuditFilter {
  action?: string;
  actorId?: string;
  outcome?: 'allowed' | 'refused';
  /** RFC 3339; entries at or after. */
  since?: string;
  limit: number;
}

export interface ConnectorRow {
  id: string;
  organization_id: string;
  tunnel_id: string;
  name: string;
  authentication: 'none' | 'api_key';
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface McpSessionRow {
  id: string;
  tunnel_id: string;
  channel: string;
  /** true when the service minted the id because the MCP server's binding has no sessions of its own. */
  minted: boolean;
  created_at: string;
  last_used_at: string;
  ended_at: string | null;
}

export interface OwnerBootstrap {
  organization: OrganizationRow;
  ownerRole: RoleRow;
  owner: MemberRow;
  ownerKey: ApiKeyRow;
}

export interface Store {
  /** Creates the first organization, its Owner role, owner member and owner key, all or nothing. */
  bootstrap(input: OwnerBootstrap): Promise<void>;
  listOrganizations(): Promise<OrganizationRow[]>;
  countOrganizations(): Promise<number>;
  getOrganization(id: string): Promise<OrganizationRow | undefined>;

  createMember(member: MemberRow): Promise<void>;
  getMember(id: string): Promise<MemberRow | undefined>;
  /** Members not removed, oldest first. */
  listMembers(organizationId: string): Promise<MemberRow[]>;
  getMemberByEmail(email: string): Promise<MemberRow | undefined>;
  setMemberSignIn(id: string, signIn: { name: string; email: string; passwordHash: string }): Promise<void>;
  setMemberRoles(id: string, roleIds: string[]): Promise<void>;
  /** Marks the member removed, drops its roles and sign-in, revokes its keys and ends its sessions. */
  removeMember(id: string, at: string): Promise<void>;
  /** Whether any member of the service (or of one organization) can sign in with a password. */
  hasSignIn(organizationId?: string): Promise<boolean>;

  createBrowserSession(session: BrowserSessionRow): Promise<void>;
  getBrowserSession(idHash: string): Promise<BrowserSessionRow | undefined>;
  deleteBrowserSession(idHash: string): Promise<void>;
  /** Drops sessions that expired before `at`. */
  deleteExpiredBrowserSessions(at: string): Promise<void>;

  createInvitation(invitation: InvitationRow): Promise<void>;
  getInvitation(id: string): Promise<InvitationRow | undefined>;
  findInvitationByHash(tokenHash: string): Promise<InvitationRow | undefined>;
  /** Invitations not yet accepted, expired ones included (the console shows them as expired). */
  listInvitations(organizationId: string): Promise<InvitationRow[]>;
  deleteInvitation(id: string): Promise<void>;
  /** Creates the member and uses the invitation up, all or nothing; false if it was used meanwhile. */
  acceptInvitation(invitationId: string, member: MemberRow, at: string): Promise<boolean>;

  recordFailedSignIn(email: string | null, ip: string, at: string): Promise<void>;
  /** Failures since `since` for this email or from this ip, oldest first. */
  failedSignIns(email: string | null, ip: string, since: string): Promise<FailedSignIn[]>;

  appendAudit(entry: AuditRow): Promise<void>;
  /** Newest first. */
  listAudit(organizationId: string, filter: AuditFilter): Promise<AuditRow[]>;
  /** Deletes the entries of every organization recorded before `before`; returns how many went. */
  pruneAudit(before: string): Promise<number>;

  createConnector(connector: ConnectorRow): Promise<void>;
  getConnector(id: string): Promise<ConnectorRow | undefined>;
  listConnectors(organizationId: string): Promise<ConnectorRow[]>;
  updateConnector(connector: ConnectorRow): Promise<void>;
  deleteConnector(id: string): Promise<void>;

  createRole(role: RoleRow): Promise<void>;
  getRole(id: string): Promise<RoleRow | undefined>;
  getRoles(ids: string[]): Promise<RoleRow[]>;
  listRoles(organizationId: string): Promise<RoleRow[]>;
  updateRole(role: RoleRow): Promise<void>;
  deleteRole(id: string): Promise<void>;

  createApiKey(key: ApiKeyRow): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRow | undefined>;
  findApiKeyByHash(secretHash: string): Promise<ApiKeyRow | undefined>;
  listApiKeys(organizationId: string): Promise<ApiKeyRow[]>;
  revokeApiKey(id: string, at: string): Promise<void>;
  touchApiKey(id: string, at: string): Promise<void>;

  createTunnel(tunnel: TunnelRow): Promise<void>;
  getTunnel(id: string): Promise<TunnelRow | undefined>;
  listTunnels(organizationId: string): Promise<TunnelRow[]>;
  updateTunnel(tunnel: TunnelRow): Promise<void>;
  deleteTunnel(id: string): Promise<void>;

  createSession(session: McpSessionRow): Promise<void>;
  getSession(tunnelId: string, id: string): Promise<McpSessionRow | undefined>;
  /** Sessions not ended, most recently used first. */
  listOpenSessions(tunnelId: string, limit: number): Promise<McpSessionRow[]>;
  /** Whether the service ever minted a session id for this tunnel and channel. */
  hasMintedSessions(tunnelId: string, channel: string): Promise<boolean>;
  touchSession(tunnelId: string, id: string, at: string): Promise<void>;
  endSession(tunnelId: string, id: string, at: string): Promise<void>;

  /** Service-wide values that must survive restarts and be shared by every node (the shard-token key). */
  getSetting(key: string): Promise<string | undefined>;
  /** Sets the value only if none exists yet and returns the value that holds afterwards. */
  initSetting(key: string, value: string): Promise<string>;

  close(): Promise<void>;
}
