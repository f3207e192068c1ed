import { oneOf, Table, text } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/** A connector made in the console: a named way into one tunnel's MCP endpoint. */
export interface ConnectorRow {
  id: string;
  organization_id: string;
  tunnel_id: string;
  name: string;
  authentication: 'none' | 'api_key';
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface ConnectorRepository {
  create(connector: ConnectorRow): Promise<void>;
  get(id: string): Promise<ConnectorRow | undefined>;
  /** Oldest first. */
  list(organizationId: string): Promise<ConnectorRow[]>;
  /** Writes the name, authentication, tunnel and updated_at. */
  update(connector: ConnectorRow): Promise<void>;
  delete(id: string): Promise<void>;
}

const CONNECTORS = new Table<ConnectorRow>('connectors', {
  id: text,
  organization_id: text,
  tunnel_id: text,
  name: text,
  authentication: oneOf('none', 'api_key'),
  created_by: text,
  created_at: text,
  updated_at: text,
});

export class SqlConnectorRepository implements ConnectorRepository {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async create(connector: ConnectorRow): Promise<void> {
    await CONNECTORS.insert(this.#sql, connector);
  }

  async get(id: string): Promise<ConnectorRow | undefined> {
    return CONNECTORS.one(this.#sql, 'WHERE id = ?', [id]);
  }

  async list(organizationId: string): Promise<ConnectorRow[]> {
    return CONNECTORS.all(this.#sql, 'WHERE organization_id = ? ORDER BY created_at, id', [organizationId]);
  }

  async update(connector: ConnectorRow): Promise<void> {
    await CONNECTORS.update(this.#sql, connector, ['name', 'authentication', 'tunnel_id', 'updated_at']);
  }

  async delete(id: string): Promise<void> {
    await this.#sql.run('DELETE FROM connectors WHERE id = ?', [id]);
  }
}
