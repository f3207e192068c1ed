import { nullable, oneOf, Table, text } from '../columns.ts';
import type { SqlRunner, SqlValue } from '../runner.ts';

export interface AuditRow {
  id: string;
  organization_id: string;
  at: string;
  actor_kind: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target: string | null;
  outcome: 'allowed' | 'refused';
  reason: string | null;
  ip: string | null;
}

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

const AUDIT_LOG = new Table<AuditRow>('audit_log', {
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

export class SqlAuditRepository implements AuditRepository {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async append(entry: AuditRow): Promise<void> {
    await AUDIT_LOG.insert(this.#sql, entry);
  }

  async list(organizationId: string, filter: AuditFilter): Promise<AuditRow[]> {
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
    return AUDIT_LOG.all(this.#sql, `WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ?`, [
      ...params,
      filter.limit,
    ]);
  }

  async prune(before: string): Promise<number> {
    return this.#sql.run('DELETE FROM audit_log WHERE at < ?', [before]);
  }
}
