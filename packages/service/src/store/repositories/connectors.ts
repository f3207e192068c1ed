import { oneOf, Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/** A connector made in the console: a named way into one tunnel's MCP endpoint. */
const CONNECTORS = new Table('connectors', {
  id: text,
  organization_id: text,
  tunnel_id: text,
  name: text,
  authentication: oneOf('none', 'api_key'),
  created_by: text,
  created_at: text,
  updated_at: text,
});
export type ConnectorRow = RowOf<typeof CONNECTORS>;

export interface ConnectorRepository {
  create(connector: ConnectorRow): Promise<void>;
  get(id: string): Promise<ConnectorRow | undefined>;
  /** Oldest first. */
  list(organizationId: string): Promise<ConnectorRow[]>;
  /** Writes the name, authentication, tunnel and updated_at. */
  update(connector: ConnectorRow): Promise<void>;
  delete(id: string): Promise<void>;
}

export function sqlConnectors(sql: SqlRunner): ConnectorRepository {
  return {
    create: (connector) => CONNECTORS.insert(sql, connector),
    get: (id) => CONNECTORS.one(sql, 'WHERE id = ?', [id]),
    list: (organizationId) =>
      CONNECTORS.all(sql, 'WHERE organization_id = ? ORDER BY created_at, id', [organizationId]),
    update: (connector) =>
      CONNECTORS.update(sql, connector, ['name', 'authentication', 'tunnel_id', 'updated_at']),
    delete: async (id) => {
      await sql.run('DELETE FROM connectors WHERE id = ?', [id]);
    },
  };
}
