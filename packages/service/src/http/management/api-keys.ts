import type { FastifyInstance } from 'fastify';
import { ApiKeyCreateSchema, type ListResponse, type PermissionAtom } from '@mcp-tunnel/protocol';
import { newId, nowIso } from '../../store/ids.ts';
import type { ApiKeyRow } from '../../store/repositories/api-keys.ts';
import { generateApiKey } from '../../auth/api-keys.ts';
import { effectivePermissions, roleAtoms, sortedAtoms } from '../../auth/permissions.ts';
import { forbidden, notFound } from '../errors.ts';
import { requireAny, type ServiceContext } from '../context.ts';
import { apiKeyRecord } from '../records.ts';
import { keyCredential, principalOf } from '../request-principal.ts';
import { parseBody } from './body.ts';
import { noteAudit } from '../audit.ts';
import { requireHeld } from './grants.ts';

const EXAMPLE = '{"name": "runtime", "permissions": ["tunnel.read", "tunnel.use"]}';

type KeyParams = { Params: { key_id: string } };

export function registerApiKeyRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { store } = context;

  app.post('/v1/api_keys', { config: { action: 'api_key.create' } }, async (request) => {
    const principal = principalOf(request);
    requireAny(principal, ['api_key.write']);
    const body = parseBody(ApiKeyCreateSchema, request.body, EXAMPLE);
    if (body.permissions) requireHeld(principal, body.permissions, 'The new key', 'permissions');
    // A restricted key cannot mint an unrestricted one: without a list, the new key copies the caller's reach.
    const permissions = body.permissions
      ? sortedAtoms(body.permissions)
      : principal.key === null || principal.key.permissions === null
        ? null
        : sortedAtoms(principal.permissions);
    const secret = generateApiKey();
    const key: ApiKeyRow = {
      id: newId('key'),
      organization_id: principal.organizationId,
      owner_id: principal.owner.id,
      name: body.name,
      prefix: secret.prefix,
      secret_hash: secret.hash,
      permissions,
      created_at: nowIso(),
      last_used_at: null,
      revoked_at: null,
    };
    await store.apiKeys.create(key);
    noteAudit(request, { target: key.id });
    request.log.info({ key_id: key.id }, 'api key created');
    return { ...apiKeyRecord(key), secret: secret.secret };
  });

  app.get('/v1/api_keys', { config: { action: 'api_key.list' } }, async (request) => {
    const principal = principalOf(request);
    const keys = await store.apiKeys.list(principal.organizationId);
    // Without API keys Manage a caller still sees the keys it owns.
    const visible = principal.permissions.has('api_key.write')
      ? keys
      : keys.filter((key) => key.owner_id === principal.owner.id);
    // Removed members' keys stay listed (revoked), under the name they had.
    const owners = new Map((await store.members.list(principal.organizationId)).map((m) => [m.id, m]));
    for (const key of visible)
      if (!owners.has(key.owner_id)) {
        const owner = await store.members.get(key.owner_id);
        if (owner) owners.set(owner.id, owner);
      }
    const roles = new Map((await store.roles.list(principal.organizationId)).map((r) => [r.id, r]));
    /** What the key may do now, worked out as authentication does; nothing once revoked or its owner removed. */
    const effective = (key: ApiKeyRow): PermissionAtom[] => {
      const owner = owners.get(key.owner_id);
      if (key.revoked_at || !owner || owner.deleted_at) return [];
      const ownerRoles = owner.role_ids.flatMap((id) => roles.get(id) ?? []);
      return sortedAtoms(effectivePermissions(key.permissions, roleAtoms(ownerRoles)));
    };
    const list: ListResponse<
      ReturnType<typeof apiKeyRecord> & { owner_name: string | null; effective_permissions: PermissionAtom[] }
    > = {
      object: 'list',
      data: visible.map((key) => ({
        ...apiKeyRecord(key),
        owner_name: owners.get(key.owner_id)?.name ?? null,
        effective_permissions: effective(key),
      })),
    };
    return list;
  });

  app.delete<KeyParams>('/v1/api_keys/:key_id', { config: { action: 'api_key.revoke' } }, async (request) => {
    const principal = principalOf(request);
    const key = await store.apiKeys.get(request.params.key_id);
    if (!key || key.organization_id !== principal.organizationId)
      throw notFound(
        'not_found',
        `No API key ${request.params.key_id} in your organization. GET /v1/api_keys lists them.`,
      );
    if (key.owner_id !== principal.owner.id && !principal.permissions.has('api_key.write'))
      throw forbidden(
        'permission_denied',
        'Revoking another member’s key needs API keys Manage (api_key.write); you may revoke only keys you own.',
      );
    const at = nowIso();
    await store.apiKeys.revoke(key.id, at);
    // Its open polls end now, and what its tunnel-clients hold fails now rather than at the deadline.
    await context.broker.credentialRevoked(keyCredential(key.id));
    request.log.info({ key_id: key.id }, 'api key revoked');
    return apiKeyRecord({ ...key, revoked_at: key.revoked_at ?? at });
  });
}
