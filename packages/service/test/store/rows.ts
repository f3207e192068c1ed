// Rows for the store's contract suites: valid by default, with unique ids, and explicit timestamps so tests
// can order them. Pass overrides for what a test is about.
import { randomBytes } from 'node:crypto';
import { PERMISSION_ATOMS } from '@mcp-tunnel/protocol';
import { newId } from '../../src/store/ids.ts';
import type { ApiKeyRow } from '../../src/store/repositories/api-keys.ts';
import type { AuditRow } from '../../src/store/repositories/audit.ts';
import type { BrowserSessionRow } from '../../src/store/repositories/browser-sessions.ts';
import type { ConnectorRow } from '../../src/store/repositories/connectors.ts';
import type { InvitationRow } from '../../src/store/repositories/invitations.ts';
import type { McpSessionRow } from '../../src/store/repositories/mcp-sessions.ts';
import type { MemberRow } from '../../src/store/repositories/members.ts';
import type { OAuthClientRow } from '../../src/store/repositories/oauth-clients.ts';
import type { OAuthGrantRow, OAuthTokenRow } from '../../src/store/repositories/oauth-grants.ts';
import type { OwnerBootstrap } from '../../src/store/repositories/organizations.ts';
import type { RoleRow } from '../../src/store/repositories/roles.ts';
import type { TunnelRow } from '../../src/store/repositories/tunnels.ts';
import type { Store } from '../../src/store/types.ts';

/** The RFC 3339 time `seconds` after a fixed start, so rows sort as a test lays them out. */
export function at(seconds: number): string {
  return new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString();
}

const hash = () => randomBytes(32).toString('hex');

export function ownerBootstrap(name = 'Org', createdAt = at(0)): OwnerBootstrap {
  const organizationId = newId('org');
  const ownerRole = role(organizationId, {
    name: 'Owner',
    permissions: [...PERMISSION_ATOMS],
    builtin: 'owner',
    created_at: createdAt,
  });
  const owner = member(organizationId, { name: 'Owner', role_ids: [ownerRole.id], created_at: createdAt });
  return {
    organization: { id: organizationId, name, created_at: createdAt },
    ownerRole,
    owner,
    ownerKey: apiKey(owner, { name: 'Owner key', created_at: createdAt }),
  };
}

/** Creates an organization with its owner: what most tests start from. */
export async function organization(store: Store, name = 'Org'): Promise<OwnerBootstrap> {
  const rows = ownerBootstrap(name);
  await store.organizations.create(rows);
  return rows;
}

export function role(organizationId: string, overrides: Partial<RoleRow> = {}): RoleRow {
  return {
    id: newId('role'),
    organization_id: organizationId,
    name: `role ${randomBytes(4).toString('hex')}`,
    permissions: ['tunnel.read'],
    builtin: null,
    created_at: at(1),
    updated_at: at(1),
    ...overrides,
  };
}

export function member(organizationId: string, overrides: Partial<MemberRow> = {}): MemberRow {
  return {
    id: newId('member'),
    organization_id: organizationId,
    kind: 'user',
    name: 'Ada',
    role_ids: [],
    created_at: at(1),
    email: null,
    password_hash: null,
    deleted_at: null,
    ...overrides,
  };
}

export function apiKey(owner: MemberRow, overrides: Partial<ApiKeyRow> = {}): ApiKeyRow {
  return {
    id: newId('key'),
    organization_id: owner.organization_id,
    owner_id: owner.id,
    name: 'laptop',
    prefix: 'mcpt_abc',
    secret_hash: hash(),
    permissions: null,
    created_at: at(1),
    last_used_at: null,
    revoked_at: null,
    ...overrides,
  };
}

export function tunnel(organizationIds: string[], overrides: Partial<TunnelRow> = {}): TunnelRow {
  return {
    id: `tunnel_${randomBytes(16).toString('hex')}`,
    name: 'calculator',
    description: '',
    organization_ids: organizationIds,
    response_timeout: '30s',
    connector_access: 'key',
    created_at: at(1),
    updated_at: at(1),
    ...overrides,
  };
}

export function mcpSession(tunnelId: string, overrides: Partial<McpSessionRow> = {}): McpSessionRow {
  return {
    id: randomBytes(24).toString('hex'),
    tunnel_id: tunnelId,
    channel: 'main',
    minted: false,
    created_at: at(1),
    last_used_at: at(1),
    ended_at: null,
    ...overrides,
  };
}

export function browserSession(of: MemberRow, overrides: Partial<BrowserSessionRow> = {}): BrowserSessionRow {
  return {
    id_hash: hash(),
    member_id: of.id,
    organization_id: of.organization_id,
    csrf_token: randomBytes(16).toString('hex'),
    created_at: at(1),
    expires_at: at(3600),
    ...overrides,
  };
}

export function invitation(by: MemberRow, overrides: Partial<InvitationRow> = {}): InvitationRow {
  return {
    id: newId('inv'),
    organization_id: by.organization_id,
    email: `${randomBytes(4).toString('hex')}@example.com`,
    role_ids: [],
    token_hash: hash(),
    created_by: by.id,
    created_at: at(1),
    expires_at: at(86_400),
    accepted_at: null,
    ...overrides,
  };
}

export function auditEntry(organizationId: string, overrides: Partial<AuditRow> = {}): AuditRow {
  return {
    id: newId('audit'),
    organization_id: organizationId,
    at: at(1),
    actor_kind: 'api_key',
    actor_id: null,
    actor_name: null,
    action: 'tunnel.create',
    target: null,
    outcome: 'allowed',
    reason: null,
    ip: '127.0.0.1',
    ...overrides,
  };
}

export function connector(
  by: MemberRow,
  tunnelId: string,
  overrides: Partial<ConnectorRow> = {},
): ConnectorRow {
  return {
    id: newId('conn'),
    organization_id: by.organization_id,
    tunnel_id: tunnelId,
    name: 'Claude',
    authentication: 'api_key',
    created_by: by.id,
    created_at: at(1),
    updated_at: at(1),
    ...overrides,
  };
}

export function oauthClient(overrides: Partial<OAuthClientRow> = {}): OAuthClientRow {
  return {
    id: `oauthc_${randomBytes(8).toString('hex')}`,
    kind: 'registered',
    name: 'Claude',
    redirect_uris: ['https://claude.example/callback'],
    client_uri: null,
    created_at: at(1),
    fetched_at: null,
    ...overrides,
  };
}

export function oauthGrant(
  of: MemberRow,
  tunnelId: string,
  overrides: Partial<OAuthGrantRow> = {},
): OAuthGrantRow {
  return {
    id: newId('grant'),
    organization_id: of.organization_id,
    member_id: of.id,
    client_id: 'oauthc_0123',
    client_name: 'Claude',
    redirect_uri: 'https://claude.example/callback',
    tunnel_id: tunnelId,
    channel: 'main',
    resource: `https://tunnels.example/v1/mcp/${tunnelId}`,
    scope: 'tunnel.use',
    created_at: at(1),
    last_used_at: null,
    revoked_at: null,
    revoked_reason: null,
    ...overrides,
  };
}

export function oauthToken(grantId: string, overrides: Partial<OAuthTokenRow> = {}): OAuthTokenRow {
  return {
    token_hash: hash(),
    grant_id: grantId,
    kind: 'access',
    created_at: at(1),
    expires_at: at(3600),
    used_at: null,
    ...overrides,
  };
}
