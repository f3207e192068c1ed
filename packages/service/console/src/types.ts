// Records of the management API as the console agreement describes them.
import type { PermissionAtom } from '../../../protocol/src/permissions.ts';

export interface Member {
  id: string;
  kind: 'user' | 'service_account';
  name: string;
  email?: string | null;
  role_ids: string[];
  created_at: string;
}

export interface Organization {
  id: string;
  name?: string;
}

export interface Session {
  member: Member;
  organization: Organization;
  permissions: PermissionAtom[];
  csrf_token: string;
}

export interface List<T> {
  data: T[];
}

export interface Tunnel {
  id: string;
  name: string;
  description: string;
  organization_ids: string[];
  response_timeout: string;
  connector_access?: 'key' | 'public';
  created_at: string;
}

export interface TunnelLive {
  clients: {
    instance_id: string;
    client_name: string;
    client_version: string;
    channels: { name: string; proc_affinity?: string }[];
    last_poll_at: string;
  }[];
  sessions: { id: string; channel: string; created_at: string; last_used_at: string }[];
  recent_traffic: {
    at: string;
    channel: string;
    method: string;
    tool?: string;
    status: string | number;
    duration_ms: number;
  }[];
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  owner_id: string;
  owner_name?: string;
  /** The key's own atoms; null: all of its owner's. */
  permissions: PermissionAtom[] | null;
  /** What the key may do now: its atoms that its owner's roles grant; none once revoked. */
  effective_permissions: PermissionAtom[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface Role {
  id: string;
  name: string;
  permissions: PermissionAtom[];
  builtin?: boolean;
}

export interface Invitation {
  id: string;
  email: string;
  role_ids: string[];
  expires_at: string;
  token?: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: { kind: string; id: string; name: string };
  action: string;
  target: string | null;
  outcome: 'allowed' | 'refused';
  reason?: string | null;
  ip: string | null;
}

export interface Connector {
  id: string;
  name: string;
  tunnel_id: string;
  authentication: 'none' | 'api_key';
  created_by: string;
  created_at: string;
}

export interface OAuthGrant {
  id: string;
  client_id: string;
  client_name: string;
  redirect_host: string;
  member_id: string;
  member_name: string | null;
  tunnel_id: string;
  channel: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
}
