import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuditFilter, AuditRow } from '../../store/repositories/audit.ts';
import { badRequest, describeIssues } from '../errors.ts';
import { requireAny, type ServiceContext } from '../context.ts';
import { principalOf } from '../request-principal.ts';

const LIST_LIMIT = 1000;
const EXPORT_LIMIT = 100_000;

const AuditQuerySchema = z.strictObject({
  action: z.string().min(1).max(100).optional(),
  actor: z.string().min(1).max(100).optional(),
  outcome: z.enum(['allowed', 'refused'], { message: 'outcome must be "allowed" or "refused"' }).optional(),
  since: z
    .string()
    .refine(
      (value) => !Number.isNaN(Date.parse(value)),
      'since must be a date and time, e.g. 2026-01-31T00:00:00Z',
    )
    .optional(),
  limit: z
    .string()
    .regex(/^[1-9][0-9]*$/, 'limit must be a whole number of at least 1')
    .optional(),
});

function auditRecord(row: AuditRow) {
  return {
    id: row.id,
    object: 'audit_entry' as const,
    at: row.at,
    actor: { kind: row.actor_kind, id: row.actor_id, name: row.actor_name },
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    ...(row.reason ? { reason: row.reason } : {}),
    ip: row.ip,
  };
}

function auditFilter(request: FastifyRequest, maxLimit: number, defaultLimit: number): AuditFilter {
  const parsed = AuditQuerySchema.safeParse(request.query ?? {});
  if (!parsed.success) {
    const { message, param } = describeIssues(parsed.error.issues);
    throw badRequest(
      'invalid_request',
      `Invalid audit query: ${message}. Filters: action, actor (member id), outcome, since, limit (up to ${maxLimit}).`,
      param,
    );
  }
  const query = parsed.data;
  return {
    action: query.action,
    actorId: query.actor,
    outcome: query.outcome,
    since: query.since ? new Date(query.since).toISOString() : undefined,
    limit: Math.min(query.limit ? Number(query.limit) : defaultLimit, maxLimit),
  };
}

/** The audit log: who changed what or was refused, when, from which address. Newest first. */
export function registerAuditRoutes(app: FastifyInstance, context: ServiceContext): void {
  app.get('/v1/audit', { config: { action: 'audit.read' } }, async (request) => {
    const principal = principalOf(request);
    requireAny(principal, ['audit.read']);
    const rows = await context.store.audit.list(
      principal.organizationId,
      auditFilter(request, LIST_LIMIT, 100),
    );
    return { object: 'list', data: rows.map(auditRecord) };
  });

  app.get('/v1/audit/export', { config: { action: 'audit.export' } }, async (request, reply) => {
    const principal = principalOf(request);
    requireAny(principal, ['audit.read']);
    const filter = auditFilter(request, EXPORT_LIMIT, EXPORT_LIMIT);
    const rows = await context.store.audit.list(principal.organizationId, filter);
    const lines = rows.map((row) => `${JSON.stringify(auditRecord(row))}\n`).join('');
    return reply
      .type('application/x-ndjson')
      .header('content-disposition', 'attachment; filename="audit.jsonl"')
      .send(lines);
  });
}
