import type { ApiKeyRecord, RoleRecord, TunnelRecord } from '@mcp-tunnel/protocol';
import { PERMISSION_ATOMS } from '@mcp-tunnel/protocol';
import type { ApiKeyRow } from '../store/repositories/api-keys.ts';
import type { MemberRow } from '../store/repositories/members.ts';
import type { RoleRow } from '../store/repositories/roles.ts';
import type { TunnelRow } from '../store/repositories/tunnels.ts';

/** Stored rows as the API shows them: never a secret or its hash. */
export function tunnelRecord(row: TunnelRow): TunnelRecord {
  return {
    id: row.id,
    object: 'tunnel',
    name: row.name,
    description: row.description,
    organization_ids: row.organization_ids,
    response_timeout: row.response_timeout,
    connector_access: row.connector_access,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function roleRecord(row: RoleRow): RoleRecord & { builtin: boolean } {
  return {
    id: row.id,
    object: 'role',
    name: row.name,
    permissions: row.builtin === 'owner' ? [...PERMISSION_ATOMS] : row.permissions,
    organization_id: row.organization_id,
    created_at: row.created_at,
    builtin: row.builtin !== null,
  };
}

export function apiKeyRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    object: 'api_key',
    name: row.name,
    prefix: row.prefix,
    permissions: row.permissions,
    owner_id: row.owner_id,
    organization_id: row.organization_id,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  };
}

export function memberRecord(row: MemberRow) {
  return {
    id: row.id,
    object: row.kind === 'service_account' ? ('service_account' as const) : ('member' as const),
    name: row.name,
    kind: row.kind,
    ...(row.email ? { email: row.email } : {}),
    role_ids: row.role_ids,
    organization_id: row.organization_id,
    created_at: row.created_at,
  };
}
