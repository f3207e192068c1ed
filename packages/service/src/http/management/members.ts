import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ListResponse } from '@mcp-tunnel/protocol';
import { newId, nowIso } from '../../store/ids.ts';
import type { ApiKeyRow } from '../../store/repositories/api-keys.ts';
import type { MemberRow } from '../../store/repositories/members.ts';
import type { RoleRow } from '../../store/repositories/roles.ts';
import type { Store } from '../../store/types.ts';
import type { Principal } from '../../auth/principal.ts';
import { generateApiKey } from '../../auth/api-keys.ts';
import { roleAtoms } from '../../auth/permissions.ts';
import { badRequest, notFound } from '../errors.ts';
import { noteAudit } from '../audit.ts';
import { requireAll, requireAny, type ServiceContext } from '../context.ts';
import { apiKeyRecord, memberRecord } from '../records.ts';
import { principalOf } from '../request-principal.ts';
import { parseBody } from './body.ts';
import { requireHeld } from './grants.ts';
import { holdsOwnerRole, keepAnOwner, requireOwner, requireOwnerToGrant } from './ownership.ts';

const ServiceAccountCreateSchema = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200),
  role_ids: z.array(z.string().min(1)).min(1, 'give at least one role id (GET /v1/roles lists them)').max(32),
});
const EXAMPLE = '{"name": "laptop", "role_ids": ["role_..."]}';

export function registerMemberRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { store } = context;

  app.get('/v1/members', { config: { action: 'member.list' } }, async (request) => {
    const principal = principalOf(request);
    requireAny(principal, ['member.write', 'role.write']);
    const members = await store.members.list(principal.organizationId);
    const list: ListResponse<ReturnType<typeof memberRecord>> = {
      object: 'list',
      data: members.map(memberRecord),
    };
    return list;
  });

  /** A non-human member holding the given roles, and its first API key (shown once). */
  app.post('/v1/service_accounts', { config: { action: 'service_account.create' } }, async (request) => {
    const principal = principalOf(request);
    requireAll(principal, ['member.write', 'api_key.write']);
    const body = parseBody(ServiceAccountCreateSchema, request.body, EXAMPLE);
    const roleIds = [...new Set(body.role_ids)];
    const roles = await assignableRoles(store, principal, roleIds);
    requireHeld(principal, roleAtoms(roles), 'The service account', 'role_ids');
    await requireOwnerToGrant(store, principal, roles, 'A service account holding the Owner role');
    const at = nowIso();
    const member: MemberRow = {
      id: newId('sa'),
      organization_id: principal.organizationId,
      kind: 'service_account',
      name: body.name,
      role_ids: roleIds.sort(),
      created_at: at,
      email: null,
      password_hash: null,
      deleted_at: null,
    };
    const secret = generateApiKey();
    const key: ApiKeyRow = {
      id: newId('key'),
      organization_id: principal.organizationId,
      owner_id: member.id,
      name: `${body.name} key`,
      prefix: secret.prefix,
      secret_hash: secret.hash,
      permissions: null,
      created_at: at,
      last_used_at: null,
      revoked_at: null,
    };
    await store.members.create(member);
    await store.apiKeys.create(key);
    noteAudit(request, { target: member.id });
    request.log.info({ member_id: member.id, key_id: key.id }, 'service account created');
    return { ...memberRecord(member), api_key: { ...apiKeyRecord(key), secret: secret.secret } };
  });

  app.patch<MemberParams>(
    '/v1/members/:member_id',
    { config: { action: 'member.update' } },
    async (request) => {
      const principal = principalOf(request);
      requireAny(principal, ['member.write']);
      const member = await memberOf(store, principal, request.params.member_id);
      const body = parseBody(MemberUpdateSchema, request.body, '{"role_ids": ["role_..."]}');
      const roleIds = [...new Set(body.role_ids)].sort();
      const roles = await assignableRoles(store, principal, roleIds);
      requireHeld(principal, roleAtoms(roles), 'The member', 'role_ids');
      const wasOwner = await holdsOwnerRole(store, member);
      const willBeOwner = roles.some((role) => role.builtin === 'owner');
      if (!wasOwner && willBeOwner)
        await requireOwnerToGrant(store, principal, roles, 'Giving the Owner role');
      if (wasOwner && !willBeOwner) {
        await requireOwner(store, principal, 'Taking the Owner role from a member', 'role_ids');
        await keepAnOwner(store, principal.organizationId, member.id);
      }
      await store.members.setRoles(member.id, roleIds);
      return memberRecord({ ...member, role_ids: roleIds });
    },
  );

  app.delete<MemberParams>(
    '/v1/members/:member_id',
    { config: { action: 'member.remove' } },
    async (request, reply) => {
      const principal = principalOf(request);
      requireAny(principal, ['member.write']);
      const member = await memberOf(store, principal, request.params.member_id);
      if (await holdsOwnerRole(store, member)) {
        await requireOwner(store, principal, 'Removing an owner');
        await keepAnOwner(store, principal.organizationId, member.id);
      }
      await store.members.remove(member.id, nowIso());
      request.log.info({ member_id: member.id }, 'member removed');
      return reply.status(204).send();
    },
  );
}

type MemberParams = { Params: { member_id: string } };

const MemberUpdateSchema = z.strictObject({
  role_ids: z.array(z.string().min(1)).max(32),
});

async function memberOf(store: Store, principal: Principal, memberId: string): Promise<MemberRow> {
  const member = await store.members.get(memberId);
  if (!member || member.deleted_at || member.organization_id !== principal.organizationId)
    throw notFound('not_found', `No member ${memberId} in your organization. GET /v1/members lists them.`);
  return member;
}

/** The roles behind ids given by a caller, all of which must be its organization's. */
export async function assignableRoles(
  store: Store,
  principal: Principal,
  roleIds: string[],
): Promise<RoleRow[]> {
  const roles = (await store.roles.getMany(roleIds)).filter(
    (r) => r.organization_id === principal.organizationId,
  );
  const unknown = roleIds.filter((id) => !roles.some((role) => role.id === id));
  if (unknown.length > 0)
    throw badRequest(
      'invalid_request',
      `Unknown role id ${unknown.join(', ')} in your organization; GET /v1/roles lists the roles you can assign.`,
      'role_ids',
    );
  return roles;
}
