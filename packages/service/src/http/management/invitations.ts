import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ListResponse } from '@mcp-tunnel/protocol';
import { generateInvitationToken, INVITATION_LIFETIME_MS } from '../../auth/invitations.ts';
import { roleAtoms } from '../../auth/permissions.ts';
import { newId, nowIso } from '../../store/ids.ts';
import type { InvitationRow } from '../../store/repositories/invitations.ts';
import { conflict, notFound } from '../errors.ts';
import { noteAudit } from '../audit.ts';
import { requireAny, type ServiceContext } from '../context.ts';
import { principalOf } from '../request-principal.ts';
import { parseBody } from './body.ts';
import { requireHeld } from './grants.ts';
import { assignableRoles } from './members.ts';
import { requireOwnerToGrant } from './ownership.ts';
import { signsInHere } from './auth.ts';

const InvitationCreateSchema = z.strictObject({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .max(320)
    .regex(/^[^\s@]+@[^\s@]+$/, 'email must be an address like ada@example.com'),
  role_ids: z.array(z.string().min(1)).max(32).default([]),
});

type InvitationParams = { Params: { invitation_id: string } };

/** Never the token or its hash: the token is shown once, when the invitation is made. */
function invitationRecord(row: InvitationRow) {
  return {
    id: row.id,
    object: 'invitation' as const,
    email: row.email,
    role_ids: row.role_ids,
    created_by: row.created_by,
    created_at: row.created_at,
    expires_at: row.expires_at,
    expired: row.expires_at <= nowIso(),
  };
}

/** Members join by invitation: a single-use token, stored hashed, valid for seven days. */
export function registerInvitationRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { store } = context;

  app.post('/v1/invitations', { config: { action: 'invitation.create' } }, async (request, reply) => {
    const principal = principalOf(request);
    requireAny(principal, ['member.write']);
    const body = parseBody(
      InvitationCreateSchema,
      request.body,
      '{"email": "ada@example.com", "role_ids": ["role_..."]}',
    );
    const roleIds = [...new Set(body.role_ids)].sort();
    const roles = await assignableRoles(store, principal, roleIds);
    requireHeld(principal, roleAtoms(roles), 'The invitation', 'role_ids');
    await requireOwnerToGrant(store, principal, roles, 'An invitation to the Owner role');
    // Only an address of the caller's own organization is refused: another organization's is not its business.
    if (await signsInHere(context, body.email, principal.organizationId))
      throw conflict('email_taken', `${body.email} is already a member of your organization.`, 'email');
    const { token, hash } = generateInvitationToken();
    const at = Date.now();
    const invitation: InvitationRow = {
      id: newId('inv'),
      organization_id: principal.organizationId,
      email: body.email,
      role_ids: roleIds,
      token_hash: hash,
      created_by: principal.owner.id,
      created_at: new Date(at).toISOString(),
      expires_at: new Date(at + INVITATION_LIFETIME_MS).toISOString(),
      accepted_at: null,
    };
    await store.invitations.create(invitation);
    noteAudit(request, { target: invitation.id });
    return reply.status(201).send({ ...invitationRecord(invitation), token });
  });

  app.get('/v1/invitations', { config: { action: 'invitation.list' } }, async (request) => {
    const principal = principalOf(request);
    requireAny(principal, ['member.write']);
    const list: ListResponse<ReturnType<typeof invitationRecord>> = {
      object: 'list',
      data: (await store.invitations.list(principal.organizationId)).map(invitationRecord),
    };
    return list;
  });

  app.delete<InvitationParams>(
    '/v1/invitations/:invitation_id',
    { config: { action: 'invitation.delete' } },
    async (request, reply) => {
      const principal = principalOf(request);
      requireAny(principal, ['member.write']);
      const invitation = await store.invitations.get(request.params.invitation_id);
      if (!invitation || invitation.accepted_at || invitation.organization_id !== principal.organizationId)
        throw notFound(
          'not_found',
          `No pending invitation ${request.params.invitation_id} in your organization. GET /v1/invitations lists them.`,
        );
      await store.invitations.delete(invitation.id);
      return reply.status(204).send();
    },
  );
}
