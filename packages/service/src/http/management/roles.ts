import type { FastifyInstance } from 'fastify';
import { RoleCreateSchema, type ListResponse } from '@mcp-tunnel/protocol';
import { newId, nowIso } from '../../store/ids.ts';
import type { RoleRow } from '../../store/repositories/roles.ts';
import type { Principal } from '../../auth/principal.ts';
import { sortedAtoms } from '../../auth/permissions.ts';
import { badRequest, notFound, ApiRefusal } from '../errors.ts';
import { requireAny, type ServiceContext } from '../context.ts';
import { roleRecord } from '../records.ts';
import { principalOf } from '../request-principal.ts';
import { parseBody } from './body.ts';
import { noteAudit } from '../audit.ts';
import { requireHeld } from './grants.ts';

const EXAMPLE = '{"name": "tunnel runtime", "permissions": ["tunnel.read", "tunnel.use"]}';
const RoleUpdateSchema = RoleCreateSchema.partial();

type RoleParams = { Params: { role_id: string } };

export function registerRoleRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { store } = context;

  async function roleOf(principal: Principal, roleId: string): Promise<RoleRow> {
    const role = await store.roles.get(roleId);
    if (!role || role.organization_id !== principal.organizationId)
      throw notFound('not_found', `No role ${roleId} in your organization. GET /v1/roles lists them.`);
    return role;
  }

  async function checkNameFree(principal: Principal, name: string, except?: string): Promise<void> {
    const roles = await store.roles.list(principal.organizationId);
    if (roles.some((role) => role.name === name && role.id !== except))
      throw new ApiRefusal(
        409,
        'invalid_request_error',
        'role_name_taken',
        `A role named ${JSON.stringify(name)} already exists in your organization; choose another name or update that role.`,
        'name',
      );
  }

  app.post('/v1/roles', { config: { action: 'role.create' } }, async (request) => {
    const principal = principalOf(request);
    requireAny(principal, ['role.write']);
    const body = parseBody(RoleCreateSchema, request.body, EXAMPLE);
    requireHeld(principal, body.permissions, 'The role', 'permissions');
    await checkNameFree(principal, body.name);
    const at = nowIso();
    const role: RoleRow = {
      id: newId('role'),
      organization_id: principal.organizationId,
      name: body.name,
      permissions: sortedAtoms(body.permissions),
      builtin: null,
      created_at: at,
      updated_at: at,
    };
    await store.roles.create(role);
    noteAudit(request, { target: role.id });
    return roleRecord(role);
  });

  app.get('/v1/roles', { config: { action: 'role.list' } }, async (request) => {
    const principal = principalOf(request);
    requireAny(principal, ['role.write', 'member.write']);
    const roles = await store.roles.list(principal.organizationId);
    const list: ListResponse<ReturnType<typeof roleRecord>> = { object: 'list', data: roles.map(roleRecord) };
    return list;
  });

  // PATCH is what the console sends; POST is the OpenAI-style spelling the CLI uses.
  app.route<RoleParams>({
    method: ['POST', 'PATCH'],
    url: '/v1/roles/:role_id',
    config: { action: 'role.update' },
    handler: async (request) => {
      const principal = principalOf(request);
      requireAny(principal, ['role.write']);
      const role = await roleOf(principal, request.params.role_id);
      if (role.builtin)
        throw badRequest(
          'invalid_request',
          'The built-in Owner role always holds every permission and cannot be changed.',
        );
      const body = parseBody(RoleUpdateSchema, request.body, '{"permissions": ["tunnel.read"]}');
      if (body.permissions) requireHeld(principal, body.permissions, 'The role', 'permissions');
      if (body.name) await checkNameFree(principal, body.name, role.id);
      const updated: RoleRow = {
        ...role,
        name: body.name ?? role.name,
        permissions: body.permissions ? sortedAtoms(body.permissions) : role.permissions,
        updated_at: nowIso(),
      };
      await store.roles.update(updated);
      return roleRecord(updated);
    },
  });

  app.delete<RoleParams>('/v1/roles/:role_id', { config: { action: 'role.delete' } }, async (request) => {
    const principal = principalOf(request);
    requireAny(principal, ['role.write']);
    const role = await roleOf(principal, request.params.role_id);
    if (role.builtin) throw badRequest('invalid_request', 'The built-in Owner role cannot be deleted.');
    await store.roles.delete(role.id);
    return { id: role.id, object: 'role', deleted: true };
  });
}
