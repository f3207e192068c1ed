import type { FastifyReply, FastifyRequest } from 'fastify';
import { newId, nowIso } from '../store/ids.ts';
import type { AuditRow } from '../store/repositories/audit.ts';
import type { MemberRow } from '../store/repositories/members.ts';
import type { ServiceContext } from './context.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The audit log's name for what the route does, e.g. `tunnel.create`. */
    action?: string;
    /** Record only refusals: the route reads or carries traffic rather than changing state. */
    auditRefusalsOnly?: boolean;
  }
  interface FastifyRequest {
    /** What a handler tells the audit log beyond what the route and caller say. */
    auditNote: AuditNote | null;
  }
}

export interface AuditNote {
  /** The record acted on, when it is not the route's id parameter (e.g. what a create made). */
  target?: string;
  /** Who acted, when no key or session says so (sign-in, setup, accepting an invitation). */
  member?: MemberRow;
  /** Why a refusal happened, when the error code alone does not say. */
  reason?: string;
  /**
   * The request checked that the caller may do something rather than tried to do it (doctor's Use probe):
   * recorded under this action, as allowed, whatever the status of the answer.
   */
  check?: string;
  /** A refusal whatever the status (an OAuth error answers 400, which is otherwise a malformed request). */
  refused?: boolean;
}

/** Adds to what the handler has told the audit log so far. */
export function noteAudit(request: FastifyRequest, note: AuditNote): void {
  request.auditNote = { ...request.auditNote, ...note };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Statuses that mean the caller was turned away; 404 counts once the caller is known (guessed ids). */
function isRefusal(status: number, known: boolean): boolean {
  return status === 401 || status === 403 || status === 429 || (status === 404 && known);
}

function errorCode(payload: unknown): string | null {
  if (typeof payload !== 'string') return null;
  try {
    const body = JSON.parse(payload) as { error?: { code?: unknown } };
    return typeof body.error?.code === 'string' ? body.error.code : null;
  } catch {
    return null;
  }
}

/**
 * Writes one audit entry per state change and per refused attempt. Runs after the response is sent; the
 * error code is taken from the body on its way out.
 */
export function auditHooks(context: ServiceContext) {
  return {
    onSend: async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      if (reply.statusCode >= 400 && !request.auditNote?.reason) {
        const code = errorCode(payload);
        if (code) noteAudit(request, { reason: code });
      }
      return payload;
    },
    onResponse: async (request: FastifyRequest, reply: FastifyReply) => {
      const { action, auditRefusalsOnly } = request.routeOptions.config;
      if (!action) return;
      const status = reply.statusCode;
      const member = request.principal?.owner ?? request.auditNote?.member;
      const check = request.auditNote?.check;
      const refused = !check && (!!request.auditNote?.refused || isRefusal(status, !!member));
      const changed = !refused && status < 400 && !SAFE_METHODS.has(request.method) && !auditRefusalsOnly;
      if (!refused && !changed && !check) return;
      await appendAudit(context, request, {
        action: check ?? action,
        refused,
        reason: refused ? (request.auditNote?.reason ?? `http_${status}`) : null,
      });
    },
  };
}

/**
 * A refusal that no HTTP answer carries (the service ends a command stream whose key may no longer use
 * the tunnel), recorded as the hooks record a refused request: under the caller it was admitted as.
 */
export function auditRefusal(
  context: ServiceContext,
  request: FastifyRequest,
  action: string,
  reason: string,
): Promise<void> {
  return appendAudit(context, request, { action, refused: true, reason });
}

async function appendAudit(
  context: ServiceContext,
  request: FastifyRequest,
  { action, refused, reason }: { action: string; refused: boolean; reason: string | null },
): Promise<void> {
  const member = request.principal?.owner ?? request.auditNote?.member;
  const params = request.params as Record<string, string | undefined>;
  const entry: AuditRow = {
    id: newId('audit'),
    organization_id: member?.organization_id ?? context.operatorOrganizationId,
    at: nowIso(),
    actor_kind: member?.kind ?? 'anonymous',
    actor_id: member?.id ?? null,
    actor_name: member?.name ?? null,
    action,
    target:
      request.auditNote?.target ??
      params.tunnel_id ??
      params.role_id ??
      params.key_id ??
      params.member_id ??
      params.invitation_id ??
      params.connector_id ??
      null,
    outcome: refused ? 'refused' : 'allowed',
    reason,
    ip: request.ip,
  };
  try {
    await context.store.audit.append(entry);
  } catch (error) {
    request.log.error({ err: error, action }, 'could not write the audit entry');
  }
}
