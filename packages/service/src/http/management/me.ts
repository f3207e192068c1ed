import type { FastifyInstance } from 'fastify';
import { sortedAtoms } from '../../auth/permissions.ts';
import type { ServiceContext } from '../context.ts';
import { apiKeyRecord, memberRecord } from '../records.ts';
import { principalOf } from '../request-principal.ts';

export function registerMeRoute(app: FastifyInstance, context: ServiceContext): void {
  app.get('/v1/me', async (request) => {
    const principal = principalOf(request);
    const organization = await context.store.organizations.get(principal.organizationId);
    return {
      object: 'me',
      api_key: principal.key ? apiKeyRecord(principal.key) : null,
      owner: memberRecord(principal.owner),
      organization: organization ?? { id: principal.organizationId },
      permissions: sortedAtoms(principal.permissions),
    };
  });
}
