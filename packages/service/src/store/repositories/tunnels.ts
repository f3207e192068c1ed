import { oneOf, Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/** The tunnels table; the organizations that see a tunnel live in tunnel_organizations. */
const TUNNELS = new Table('tunnels', {
  id: text,
  name: text,
  description: text,
  response_timeout: text,
  /** `public`: the connector endpoint needs no key and forwards the caller's Authorization to the MCP server. */
  connector_access: oneOf('key', 'public'),
  created_at: text,
  updated_at: text,
});

const TUNNEL_ORGANIZATIONS = new Table('tunnel_organizations', { tunnel_id: text, organization_id: text });

export interface TunnelRow extends RowOf<typeof TUNNELS> {
  /** The organizations that see the tunnel, sorted; one at creation, more when it is shared. */
  organization_ids: string[];
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

export function sqlTunnels(sql: SqlRunner): TunnelRepository {
  const withOrganizations = async (tunnel: RowOf<typeof TUNNELS>): Promise<TunnelRow> => {
    const shares = await TUNNEL_ORGANIZATIONS.all(sql, 'WHERE tunnel_id = ? ORDER BY organization_id', [
      tunnel.id,
    ]);
    return { ...tunnel, organization_ids: shares.map((share) => share.organization_id) };
  };
  const share = async (tx: SqlRunner, tunnel: TunnelRow) => {
    await tx.run('DELETE FROM tunnel_organizations WHERE tunnel_id = ?', [tunnel.id]);
    for (const organizationId of tunnel.organization_ids)
      await TUNNEL_ORGANIZATIONS.insert(tx, { tunnel_id: tunnel.id, organization_id: organizationId });
  };
  return {
    create: (tunnel) =>
      sql.transaction(async (tx) => {
        await TUNNELS.insert(tx, tunnel);
        await share(tx, tunnel);
      }),
    get: async (id) => {
      const tunnel = await TUNNELS.one(sql, 'WHERE id = ?', [id]);
      return tunnel && withOrganizations(tunnel);
    },
    list: async (organizationId) => {
      const tunnels = await TUNNELS.all(
        sql,
        'WHERE id IN (SELECT tunnel_id FROM tunnel_organizations WHERE organization_id = ?) ORDER BY created_at, id',
        [organizationId],
      );
      return Promise.all(tunnels.map(withOrganizations));
    },
    update: (tunnel) =>
      sql.transaction(async (tx) => {
        await TUNNELS.update(tx, tunnel, [
          'name',
          'description',
          'response_timeout',
          'connector_access',
          'updated_at',
        ]);
        await share(tx, tunnel);
      }),
    delete: async (id) => {
      await sql.run('DELETE FROM tunnels WHERE id = ?', [id]);
    },
  };
}
