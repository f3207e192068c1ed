import { nullable, oneOf, Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner, SqlValue } from '../runner.ts';

const AUDIT_LOG = new Table('audit_log', {
  id: text,
  organization_id: text,
  at: text,
  actor_kind: text,
  actor_id: nullable(text),
  actor_name: nullable(text),
  action: text,
  target: nullable(text),
  outcome: oneOf('allowed', 'refused'),
  reason: nullable(text),
  ip: nullable(text),
});
export type AuditRow = RowOf<typeof AUDIT_LOG>;

export interface AuditFilter {
  action?: string;
  actorId?: string;
  outcome?: 'allowed' | 'refused';
  /** RFC 3339; entries at or after. */
  since?: string;
  limit: number;
}

/** Each organization's audit log: appended to, read newest first, pruned by age. */
export interface AuditRepository {
  append(entry: AuditRow): Promise<void>;
  /** Newest first. */
  list(organizationId: string, filter: AuditFilter): Promise<AuditRow[]>;
  /** Deletes the entries of every organization recorded before `before`; returns how many went. */
  prune(before: string): Promise<number>;
}

export function sqlAudit(sql: SqlRunner): AuditRepository {
  return {
    append: (entry) => AUDIT_LOG.insert(sql, entry),
    list: (organizationId, filter) => {
      const where = ['organization_id = ?'];
      const params: SqlValue[] = [organizationId];
      const match = (condition: string, value: string | undefined) => {
        if (!value) return;
        where.push(condition);
        params.push(value);
      };
      match('action = ?', filter.action);
      match('actor_id = ?', filter.actorId);
      match('outcome = ?', filter.outcome);
      match('at >= ?', filter.since);
      return AUDIT_LOG.all(sql, `WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ?`, [
        ...params,
        filter.limit,
      ]);
    },
    prune: (before) => sql.run('DELETE FROM audit_log WHERE at < ?', [before]),
  };
}
