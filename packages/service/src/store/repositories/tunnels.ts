import { oneOf, Table, text } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

export type ConnectorAccess = 'key' | 'public';

export interface TunnelRow {
  id: string;
  name: string;
  description: string;
  /** The organizations that see the tunnel; one at creation, more when it is shared. */
  organization_ids: string[];
  response_timeout: string;
  /** `public`: the connector endpoint needs no key and forwards the caller's Authorization to the MCP server. */
  connector_access: ConnectorAccess;
  created_at: string;
  updated_at: string;
}

export interface TunnelRepository {
  /** Creates the tunnel and its organizations, all or nothing. */
  create(tunnel: TunnelRow): Promise<void>;
  get(id: string): Promise<TunnelRow | undefined>;
  /** The tunnels an organization sees, oldest first. */
  list(organizationId: string): Promise<TunnelRow[]>;
  /** Writes every field but the creation time, organizations included, all or nothing. */
  update(tunnel: TunnelRow): Promise<void>;
  /** Deletes the tunnel with its MCP sessions and connectors. */
  delete(id: string): Promise<void>;
}

/** The tunnels table; the organizations that see a tunnel live in tunnel_organizations. */
const TUNNELS = new Table<Omit<TunnelRow, 'organization_ids'>>('tunnels', {
  id: text,
  name: text,
  description: text,
  response_timeout: text,
  connector_access: oneOf('key', 'public'),
  created_at: text,
  updated_at: text,
});

const TUNNEL_ORGANIZATIONS = new Table<{ tunnel_id: string; organization_id: string }>(
  'tunnel_organizations',
  {
    tunnel_id: text,
    organization_id: text,
  },
);

export class SqlTunnelRepository implements TunnelRepository {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async create(tunnel: TunnelRow): Promise<void> {
    await this.#sql.transaction(async (sql) => {
      await TUNNELS.insert(sql, tunnel);
      await setOrganizations(sql, tunnel);
    });
  }

  async get(id: string): Promise<TunnelRow | undefined> {
    const tunnel = await TUNNELS.one(this.#sql, 'WHERE id = ?', [id]);
    return tunnel && this.#withOrganizations(tunnel);
  }

  async list(organizationId: string): Promise<TunnelRow[]> {
    const tunnels = await TUNNELS.all(
      this.#sql,
      `WHERE id IN (SELECT tunnel_id FROM tunnel_organizations WHERE organization_id = ?)
       ORDER BY created_at, id`,
      [organizationId],
    );
    return Promise.all(tunnels.map((tunnel) => this.#withOrganizations(tunnel)));
  }

  async update(tunnel: TunnelRow): Promise<void> {
    await this.#sql.transaction(async (sql) => {
      await TUNNELS.update(sql, tunnel, [
        'name',
        'description',
        'response_timeout',
        'connector_access',
        'updated_at',
      ]);
      await setOrganizations(sql, tunnel);
    });
  }

  async delete(id: string): Promise<void> {
    await this.#sql.run('DELETE FROM tunnels WHERE id = ?', [id]);
  }

  async #withOrganizations(tunnel: Omit<TunnelRow, 'organization_ids'>): Promise<TunnelRow> {
    const shares = await TUNNEL_ORGANIZATIONS.all(this.#sql, 'WHERE tunnel_id = ? ORDER BY organization_id', [
      tunnel.id,
    ]);
    return { ...tunnel, organization_ids: shares.map((share) => share.organization_id) };
  }
}

async function setOrganizations(sql: SqlRunner, tunnel: TunnelRow): Promise<void> {
  await sql.run('DELETE FROM tunnel_organizations WHERE tunnel_id = ?', [tunnel.id]);
  for (const organizationId of tunnel.organization_ids)
    await TUNNEL_ORGANIZATIONS.insert(sql, { tunnel_id: tunnel.id, organization_id: organizationId });
}
