import { closeSync, existsSync, openSync } from 'node:fs';
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { PermissionAtom } from '@mcp-tunnel/protocol';
import { loadMigrations, MIGRATIONS_TABLE_SQL, type Migration } from './migrations.ts';
import type {
  ApiKeyRow,
  AuditFilter,
  AuditRow,
  BrowserSessionRow,
  ConnectorAccess,
  ConnectorRow,
  FailedSignIn,
  InvitationRow,
  McpSessionRow,
  MemberKind,
  MemberRow,
  OrganizationRow,
  OwnerBootstrap,
  RoleRow,
  Store,
  TunnelRow,
} from './types.ts';

type Row = Record<string, unknown>;

const str = (value: unknown): string => String(value);
const optStr = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);
const atoms = (value: unknown): PermissionAtom[] => JSON.parse(String(value)) as PermissionAtom[];

function toRole(row: Row): RoleRow {
  return {
    id: str(row.id),
    organization_id: str(row.organization_id),
    name: str(row.name),
    permissions: atoms(row.permissions),
    builtin: row.builtin === 'owner' ? 'owner' : null,
    created_at: str(row.created_at),
    updated_at: str(row.updated_at),
  };
}

function toApiKey(row: Row): ApiKeyRow {
  return {
    id: str(row.id),
    organization_id: str(row.organization_id),
    owner_id: str(row.owner_id),
    name: str(row.name),
    prefix: str(row.prefix),
    secret_hash: str(row.secret_hash),
    permissions: row.permissions === null ? null : atoms(row.permissions),
    created_at: str(row.created_at),
    last_used_at: optStr(row.last_used_at),
    revoked_at: optStr(row.revoked_at),
  };
}

function toSession(row: Row): McpSessionRow {
  return {
    id: str(row.id),
    tunnel_id: str(row.tunnel_id),
    channel: str(row.channel),
    minted: Number(row.minted) === 1,
    created_at: str(row.created_at),
    last_used_at: str(row.last_used_at),
    ended_at: optStr(row.ended_at),
  };
}

function toBrowserSession(row: Row): BrowserSessionRow {
  return {
    id_hash: str(row.id_hash),
    member_id: str(row.member_id),
    organization_id: str(row.organization_id),
    csrf_token: str(row.csrf_token),
    created_at: str(row.created_at),
    expires_at: str(row.expires_at),
  };
}

function toInvitation(row: Row): InvitationRow {
  return {
    id: str(row.id),
    organization_id: str(row.organization_id),
    email: str(row.email),
    role_ids: JSON.parse(str(row.role_ids)) as string[],
    token_hash: str(row.token_hash),
    created_by: str(row.created_by),
    created_at: str(row.created_at),
    expires_at: str(row.expires_at),
    accepted_at: optStr(row.accepted_at),
  };
}

function toAudit(row: Row): AuditRow {
  return {
    id: str(row.id),
    organization_id: str(row.organization_id),
    at: str(row.at),
    actor_kind: str(row.actor_kind),
    actor_id: optStr(row.actor_id),
    actor_name: optStr(row.actor_name),
    action: str(row.action),
    target: optStr(row.target),
    outcome: row.outcome === 'allowed' ? 'allowed' : 'refused',
    reason: optStr(row.reason),
    ip: optStr(row.ip),
  };
}

function toConnector(row: Row): ConnectorRow {
  return {
    id: str(row.id),
    organization_id: str(row.organization_id),
    tunnel_id: str(row.tunnel_id),
    name: str(row.name),
    authentication: row.authentication === 'api_key' ? 'api_key' : 'none',
    created_by: str(row.created_by),
    created_at: str(row.created_at),
    updated_at: str(row.updated_at),
  };
}

/** The embedded store: one SQLite file through Node's built-in `node:sqlite`. */
export class SqliteStore implements Store {
  readonly #db: DatabaseSync;

  constructor(file: string, migrations: Migration[] = loadMigrations()) {
    // Key hashes and the shard-token secret live here: the file (and its WAL, which inherits the mode) is the
    // owner's alone. SQLite treats an empty file as an empty database.
    if (file !== ':memory:' && !existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    this.#db = new DatabaseSync(file);
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
    this.#migrate(migrations);
  }

  /** Applies each migration not yet recorded, inside one transaction per step. */
  #migrate(migrations: Migration[]): void {
    this.#db.exec(MIGRATIONS_TABLE_SQL);
    const applied = new Set(
      this.#all('SELECT version FROM schema_migrations').map((row) => Number(row.version)),
    );
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      this.#transaction(() => {
        this.#db.exec(migration.sql);
        this.#run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.name,
          new Date().toISOString(),
        ]);
      });
    }
  }

  appliedMigrations(): number[] {
    return this.#all('SELECT version FROM schema_migrations ORDER BY version').map((r) => Number(r.version));
  }

  #run(sql: string, params: SQLInputValue[] = []): void {
    this.#db.prepare(sql).run(...params);
  }
  /** Inserts one row; the keys of `values` are the column names (fixed names from this file, never input). */
  #insert(table: string, values: Record<string, SQLInputValue>): void {
    const columns = Object.keys(values);
    this.#run(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      Object.values(values),
    );
  }
  #get(sql: string, params: SQLInputValue[] = []): Row | undefined {
    return this.#db.prepare(sql).get(...params) as Row | undefined;
  }
  #all(sql: string, params: SQLInputValue[] = []): Row[] {
    return this.#db.prepare(sql).all(...params) as Row[];
  }
  #transaction(work: () => void): void {
    this.#db.exec('BEGIN');
    try {
      work();
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  async bootstrap(input: OwnerBootstrap): Promise<void> {
    this.#transaction(() => {
      const { organization } = input;
      this.#insert('organizations', { ...organization });
      this.#insertRole(input.ownerRole);
      this.#insertMember(input.owner);
      this.#insertApiKey(input.ownerKey);
    });
  }

  async countOrganizations(): Promise<number> {
    return Number(this.#get('SELECT COUNT(*) AS n FROM organizations')?.n ?? 0);
  }

  async listOrganizations(): Promise<OrganizationRow[]> {
    return this.#all('SELECT id, name, created_at FROM organizations ORDER BY created_at, id').map((row) => ({
      id: str(row.id),
      name: str(row.name),
      created_at: str(row.created_at),
    }));
  }

  async getOrganization(id: string): Promise<OrganizationRow | undefined> {
    const row = this.#get('SELECT id, name, created_at FROM organizations WHERE id = ?', [id]);
    return row && { id: str(row.id), name: str(row.name), created_at: str(row.created_at) };
  }

  #insertMember(member: MemberRow): void {
    const { role_ids: roleIds, ...columns } = member;
    this.#insert('members', columns);
    for (const roleId of roleIds) this.#insert('member_roles', { member_id: member.id, role_id: roleId });
  }

  #memberFrom(row: Row): MemberRow {
    const roleIds = this.#all('SELECT role_id FROM member_roles WHERE member_id = ? ORDER BY role_id', [
      str(row.id),
    ]).map((r) => str(r.role_id));
    return {
      id: str(row.id),
      organization_id: str(row.organization_id),
      kind: str(row.kind) as MemberKind,
      name: str(row.name),
      role_ids: roleIds,
      created_at: str(row.created_at),
      email: optStr(row.email),
      password_hash: optStr(row.password_hash),
      deleted_at: optStr(row.deleted_at),
    };
  }

  async createMember(member: MemberRow): Promise<void> {
    this.#transaction(() => this.#insertMember(member));
  }

  async getMember(id: string): Promise<MemberRow | undefined> {
    const row = this.#get('SELECT * FROM members WHERE id = ?', [id]);
    return row && this.#memberFrom(row);
  }

  async listMembers(organizationId: string): Promise<MemberRow[]> {
    return this.#all(
      'SELECT * FROM members WHERE organization_id = ? AND deleted_at IS NULL ORDER BY created_at, id',
      [organizationId],
    ).map((row) => this.#memberFrom(row));
  }

  async getMemberByEmail(email: string): Promise<MemberRow | undefined> {
    const row = this.#get('SELECT * FROM members WHERE email = ? AND deleted_at IS NULL', [email]);
    return row && this.#memberFrom(row);
  }

  async setMemberSignIn(
    id: string,
    signIn: { name: string; email: string; passwordHash: string },
  ): Promise<void> {
    this.#run('UPDATE members SET name = ?, email = ?, password_hash = ? WHERE id = ?', [
      signIn.name,
      signIn.email,
      signIn.passwordHash,
      id,
    ]);
  }

  async setMemberRoles(id: string, roleIds: string[]): Promise<void> {
    this.#transaction(() => {
      this.#run('DELETE FROM member_roles WHERE member_id = ?', [id]);
      for (const roleId of roleIds) this.#insert('member_roles', { member_id: id, role_id: roleId });
    });
  }

  async removeMember(id: string, at: string): Promise<void> {
    this.#transaction(() => {
      this.#run('DELETE FROM member_roles WHERE member_id = ?', [id]);
      this.#run('DELETE FROM browser_sessions WHERE member_id = ?', [id]);
      this.#run('UPDATE api_keys SET revoked_at = ? WHERE owner_id = ? AND revoked_at IS NULL', [at, id]);
      this.#run('UPDATE members SET email = NULL, password_hash = NULL, deleted_at = ? WHERE id = ?', [
        at,
        id,
      ]);
    });
  }

  async hasSignIn(organizationId?: string): Promise<boolean> {
    const row = organizationId
      ? this.#get('SELECT 1 AS x FROM members WHERE password_hash IS NOT NULL AND organization_id = ?', [
          organizationId,
        ])
      : this.#get('SELECT 1 AS x FROM members WHERE password_hash IS NOT NULL');
    return !!row;
  }

  async createBrowserSession(session: BrowserSessionRow): Promise<void> {
    this.#insert('browser_sessions', { ...session });
  }

  async getBrowserSession(idHash: string): Promise<BrowserSessionRow | undefined> {
    const row = this.#get('SELECT * FROM browser_sessions WHERE id_hash = ?', [idHash]);
    return row && toBrowserSession(row);
  }

  async deleteBrowserSession(idHash: string): Promise<void> {
    this.#run('DELETE FROM browser_sessions WHERE id_hash = ?', [idHash]);
  }

  async deleteExpiredBrowserSessions(at: string): Promise<void> {
    this.#run('DELETE FROM browser_sessions WHERE expires_at < ?', [at]);
  }

  async createInvitation(invitation: InvitationRow): Promise<void> {
    this.#insert('invitations', { ...invitation, role_ids: JSON.stringify(invitation.role_ids) });
  }

  async getInvitation(id: string): Promise<InvitationRow | undefined> {
    const row = this.#get('SELECT * FROM invitations WHERE id = ?', [id]);
    return row && toInvitation(row);
  }

  async findInvitationByHash(tokenHash: string): Promise<InvitationRow | undefined> {
    const row = this.#get('SELECT * FROM invitations WHERE token_hash = ?', [tokenHash]);
    return row && toInvitation(row);
  }

  async listInvitations(organizationId: string): Promise<InvitationRow[]> {
    return this.#all(
      'SELECT * FROM invitations WHERE organization_id = ? AND accepted_at IS NULL ORDER BY created_at, id',
      [organizationId],
    ).map(toInvitation);
  }

  async deleteInvitation(id: string): Promise<void> {
    this.#run('DELETE FROM invitations WHERE id = ?', [id]);
  }

  async acceptInvitation(invitationId: string, member: MemberRow, at: string): Promise<boolean> {
    let accepted = false;
    this.#transaction(() => {
      const result = this.#db
        .prepare('UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL')
        .run(at, invitationId);
      if (Number(result.changes) !== 1) return;
      this.#insertMember(member);
      accepted = true;
    });
    return accepted;
  }

  async recordFailedSignIn(email: string | null, ip: string, at: string): Promise<void> {
    this.#insert('sign_in_attempts', { email, ip, at });
  }

  async failedSignIns(email: string | null, ip: string, since: string): Promise<FailedSignIn[]> {
    // Old attempts only matter inside the window; dropping them here keeps the table small.
    this.#run('DELETE FROM sign_in_attempts WHERE at < ?', [since]);
    return this.#all(
      'SELECT email, ip, at FROM sign_in_attempts WHERE (email = ? OR ip = ?) AND at >= ? ORDER BY at',
      [email, ip, since],
    ).map((row) => ({ email: optStr(row.email), ip: str(row.ip), at: str(row.at) }));
  }

  async appendAudit(entry: AuditRow): Promise<void> {
    this.#insert('audit_log', { ...entry });
  }

  async listAudit(organizationId: string, filter: AuditFilter): Promise<AuditRow[]> {
    const where = ['organization_id = ?'];
    const params: SQLInputValue[] = [organizationId];
    if (filter.action) {
      where.push('action = ?');
      params.push(filter.action);
    }
    if (filter.actorId) {
      where.push('actor_id = ?');
      params.push(filter.actorId);
    }
    if (filter.outcome) {
      where.push('outcome = ?');
      params.push(filter.outcome);
    }
    if (filter.since) {
      where.push('at >= ?');
      params.push(filter.since);
    }
    params.push(filter.limit);
    return this.#all(
      `SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ?`,
      params,
    ).map(toAudit);
  }

  async pruneAudit(before: string): Promise<number> {
    return Number(this.#db.prepare('DELETE FROM audit_log WHERE at < ?').run(before).changes);
  }

  async createConnector(connector: ConnectorRow): Promise<void> {
    this.#insert('connectors', { ...connector });
  }

  async getConnector(id: string): Promise<ConnectorRow | undefined> {
    const row = this.#get('SELECT * FROM connectors WHERE id = ?', [id]);
    return row && toConnector(row);
  }

  async listConnectors(organizationId: string): Promise<ConnectorRow[]> {
    return this.#all('SELECT * FROM connectors WHERE organization_id = ? ORDER BY created_at, id', [
      organizationId,
    ]).map(toConnector);
  }

  async updateConnector(connector: ConnectorRow): Promise<void> {
    this.#run(
      'UPDATE connectors SET name = ?, authentication = ?, tunnel_id = ?, updated_at = ? WHERE id = ?',
      [connector.name, connector.authentication, connector.tunnel_id, connector.updated_at, connector.id],
    );
  }

  async deleteConnector(id: string): Promise<void> {
    this.#run('DELETE FROM connectors WHERE id = ?', [id]);
  }

  #insertRole(role: RoleRow): void {
    this.#insert('roles', { ...role, permissions: JSON.stringify(role.permissions) });
  }

  async createRole(role: RoleRow): Promise<void> {
    this.#insertRole(role);
  }

  async getRole(id: string): Promise<RoleRow | undefined> {
    const row = this.#get('SELECT * FROM roles WHERE id = ?', [id]);
    return row && toRole(row);
  }

  async getRoles(ids: string[]): Promise<RoleRow[]> {
    if (ids.length === 0) return [];
    const marks = ids.map(() => '?').join(', ');
    return this.#all(`SELECT * FROM roles WHERE id IN (${marks})`, ids).map(toRole);
  }

  async listRoles(organizationId: string): Promise<RoleRow[]> {
    return this.#all('SELECT * FROM roles WHERE organization_id = ? ORDER BY created_at, id', [
      organizationId,
    ]).map(toRole);
  }

  async updateRole(role: RoleRow): Promise<void> {
    this.#run('UPDATE roles SET name = ?, permissions = ?, updated_at = ? WHERE id = ?', [
      role.name,
      JSON.stringify(role.permissions),
      role.updated_at,
      role.id,
    ]);
  }

  async deleteRole(id: string): Promise<void> {
    this.#transaction(() => {
      this.#run('DELETE FROM member_roles WHERE role_id = ?', [id]);
      this.#run('DELETE FROM roles WHERE id = ?', [id]);
    });
  }

  #insertApiKey(key: ApiKeyRow): void {
    const permissions = key.permissions === null ? null : JSON.stringify(key.permissions);
    this.#insert('api_keys', { ...key, permissions });
  }

  async createApiKey(key: ApiKeyRow): Promise<void> {
    this.#insertApiKey(key);
  }

  async getApiKey(id: string): Promise<ApiKeyRow | undefined> {
    const row = this.#get('SELECT * FROM api_keys WHERE id = ?', [id]);
    return row && toApiKey(row);
  }

  async findApiKeyByHash(secretHash: string): Promise<ApiKeyRow | undefined> {
    const row = this.#get('SELECT * FROM api_keys WHERE secret_hash = ?', [secretHash]);
    return row && toApiKey(row);
  }

  async listApiKeys(organizationId: string): Promise<ApiKeyRow[]> {
    return this.#all('SELECT * FROM api_keys WHERE organization_id = ? ORDER BY created_at, id', [
      organizationId,
    ]).map(toApiKey);
  }

  async revokeApiKey(id: string, at: string): Promise<void> {
    this.#run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id]);
  }

  async touchApiKey(id: string, at: string): Promise<void> {
    this.#run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [at, id]);
  }

  #tunnelFrom(row: Row): TunnelRow {
    const organizationIds = this.#all(
      'SELECT organization_id FROM tunnel_organizations WHERE tunnel_id = ? ORDER BY organization_id',
      [str(row.id)],
    ).map((r) => str(r.organization_id));
    return {
      id: str(row.id),
      name: str(row.name),
      description: str(row.description),
      organization_ids: organizationIds,
      response_timeout: str(row.response_timeout),
      connector_access: str(row.connector_access) as ConnectorAccess,
      created_at: str(row.created_at),
      updated_at: str(row.updated_at),
    };
  }

  #setTunnelOrganizations(tunnel: TunnelRow): void {
    this.#run('DELETE FROM tunnel_organizations WHERE tunnel_id = ?', [tunnel.id]);
    for (const organizationId of tunnel.organization_ids)
      this.#insert('tunnel_organizations', { tunnel_id: tunnel.id, organization_id: organizationId });
  }

  async createTunnel(tunnel: TunnelRow): Promise<void> {
    this.#transaction(() => {
      const { organization_ids: _organizations, ...columns } = tunnel;
      this.#insert('tunnels', columns);
      this.#setTunnelOrganizations(tunnel);
    });
  }

  async getTunnel(id: string): Promise<TunnelRow | undefined> {
    const row = this.#get('SELECT * FROM tunnels WHERE id = ?', [id]);
    return row && this.#tunnelFrom(row);
  }

  async listTunnels(organizationId: string): Promise<TunnelRow[]> {
    return this.#all(
      `SELECT t.* FROM tunnels t JOIN tunnel_organizations o ON o.tunnel_id = t.id
       WHERE o.organization_id = ? ORDER BY t.created_at, t.id`,
      [organizationId],
    ).map((row) => this.#tunnelFrom(row));
  }

  async updateTunnel(tunnel: TunnelRow): Promise<void> {
    this.#transaction(() => {
      this.#run(
        'UPDATE tunnels SET name = ?, description = ?, response_timeout = ?, connector_access = ?, updated_at = ? WHERE id = ?',
        [
          tunnel.name,
          tunnel.description,
          tunnel.response_timeout,
          tunnel.connector_access,
          tunnel.updated_at,
          tunnel.id,
        ],
      );
      this.#setTunnelOrganizations(tunnel);
    });
  }

  async deleteTunnel(id: string): Promise<void> {
    this.#run('DELETE FROM tunnels WHERE id = ?', [id]);
  }

  async createSession(session: McpSessionRow): Promise<void> {
    this.#insert('mcp_sessions', { ...session, minted: session.minted ? 1 : 0 });
  }

  async getSession(tunnelId: string, id: string): Promise<McpSessionRow | undefined> {
    const row = this.#get('SELECT * FROM mcp_sessions WHERE tunnel_id = ? AND id = ?', [tunnelId, id]);
    return row && toSession(row);
  }

  async listOpenSessions(tunnelId: string, limit: number): Promise<McpSessionRow[]> {
    return this.#all(
      'SELECT * FROM mcp_sessions WHERE tunnel_id = ? AND ended_at IS NULL ORDER BY last_used_at DESC LIMIT ?',
      [tunnelId, limit],
    ).map(toSession);
  }

  async hasMintedSessions(tunnelId: string, channel: string): Promise<boolean> {
    return !!this.#get('SELECT 1 AS x FROM mcp_sessions WHERE tunnel_id = ? AND channel = ? AND minted = 1', [
      tunnelId,
      channel,
    ]);
  }

  async touchSession(tunnelId: string, id: string, at: string): Promise<void> {
    this.#run('UPDATE mcp_sessions SET last_used_at = ? WHERE tunnel_id = ? AND id = ?', [at, tunnelId, id]);
  }

  async endSession(tunnelId: string, id: string, at: string): Promise<void> {
    this.#run('UPDATE mcp_sessions SET ended_at = ? WHERE tunnel_id = ? AND id = ? AND ended_at IS NULL', [
      at,
      tunnelId,
      id,
    ]);
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = this.#get('SELECT value FROM service_settings WHERE key = ?', [key]);
    return row ? str(row.value) : undefined;
  }

  async initSetting(key: string, value: string): Promise<string> {
    this.#run('INSERT INTO service_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [
      key,
      value,
    ]);
    return (await this.getSetting(key))!;
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}
