import { z } from 'zod';
import { PERMISSION_ATOMS } from './permissions.ts';
import { parseConfigDuration } from './duration.ts';

/** The longest response_timeout a tunnel may have: no caller waits longer than a day for one answer. */
export const MAX_TUNNEL_RESPONSE_TIMEOUT = '24h';
export const MAX_TUNNEL_RESPONSE_TIMEOUT_MS = 24 * 3_600_000;

/**
 * A tunnel's command deadline, in the wire's `response_timeout` grammar (`30s`, `4500ms`, `2m`). The service's
 * own extension: how long a caller of the connector endpoint waits for the tunnel-client's answer.
 */
export const TunnelResponseTimeoutSchema = z
  .string()
  .regex(
    /^[1-9][0-9]*(ms|s|m|h)$/,
    'response_timeout must be a positive whole number and a unit of ms, s, m or h, e.g. "30s"',
  )
  .refine(
    (value) => (parseConfigDuration(value) ?? Infinity) <= MAX_TUNNEL_RESPONSE_TIMEOUT_MS,
    `response_timeout must be at most ${MAX_TUNNEL_RESPONSE_TIMEOUT} (${MAX_TUNNEL_RESPONSE_TIMEOUT_MS / 1000}s), e.g. "30s" or "10m"`,
  );

/** `key`: callers of the connector endpoint need an API key with Tunnels Use. `public`: anyone with the URL. */
export const ConnectorAccessSchema = z.enum(['key', 'public'], {
  message: 'connector_access must be "key" (callers need an API key) or "public" (no key needed)',
});

/** Bodies and records of the management API, shared by the service and `tunnel-client admin`. */
export const TunnelCreateSchema = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200),
  description: z.string().max(2000).default(''),
  organization_ids: z.array(z.string().min(1)).max(16).optional(),
  response_timeout: TunnelResponseTimeoutSchema.optional(),
  connector_access: ConnectorAccessSchema.optional(),
});
export type TunnelCreate = z.infer<typeof TunnelCreateSchema>;

export const TunnelUpdateSchema = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200).optional(),
  description: z.string().max(2000).optional(),
  organization_ids: z.array(z.string().min(1)).max(16).optional(),
  response_timeout: TunnelResponseTimeoutSchema.optional(),
  connector_access: ConnectorAccessSchema.optional(),
});
export type TunnelUpdate = z.infer<typeof TunnelUpdateSchema>;

export interface TunnelRecord {
  id: string;
  object: 'tunnel';
  name: string;
  description: string;
  organization_ids: string[];
  response_timeout: string;
  connector_access: 'key' | 'public';
  created_at: string;
  updated_at: string;
}

export const PermissionListSchema = z
  .array(z.enum(PERMISSION_ATOMS))
  .min(1, 'at least one permission is needed');

export const ApiKeyCreateSchema = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200),
  permissions: PermissionListSchema.optional(),
});
export type ApiKeyCreate = z.infer<typeof ApiKeyCreateSchema>;

export interface ApiKeyRecord {
  id: string;
  object: 'api_key';
  name: string;
  prefix: string;
  permissions: string[] | null;
  owner_id: string;
  organization_id: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export const RoleCreateSchema = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200),
  permissions: PermissionListSchema,
});
export type RoleCreate = z.infer<typeof RoleCreateSchema>;

export interface RoleRecord {
  id: string;
  object: 'role';
  name: string;
  permissions: string[];
  organization_id: string;
  created_at: string;
}

export interface ListResponse<T> {
  object: 'list';
  data: T[];
}
