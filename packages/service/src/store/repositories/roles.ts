import type { PermissionAtom } from '@mcp-tunnel/protocol';
import { nullable, oneOf, stringList, Table, text } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

export interface RoleRow {
  id: string;
  organization_id: string;
  name: string;
  permissions: PermissionAtom[];
  /** `owner` for the built-in Owner role, which always holds every atom; null for custom roles. */
  builtin: 'owner' | null;
  created_at: string;
  updated_at: string;
}

/** Roles of an organization; a role's name is unique within its organization. */
export interface RoleRepository {
  create(role: RoleRow): Promise<void>;
  get(id: string): Promise<RoleRow | undefined>;
  /** The roles among `ids` that exist, in no particular order. */
  getMany(ids: string[]): Promise<RoleRow[]>;
  /** Oldest first. */
  list(organizationId: string): Promise<RoleRow[]>;
  /** Writes the name, permissions and updated_at. */
  update(role: RoleRow): Promise<void>;
  /** Deletes the role and takes it from every member holding it. */
  delete(id: string): Promise<void>;
}

const ROLES = new Table<RoleRow>('roles', {
  id: text,
  organization_id: text,
  name: text,
  permissions: stringList<PermissionAtom>(),
  builtin: nullable(oneOf('owner')),
  created_at: text,
  updated_at: text,
});

export class SqlRoleRepository implements RoleRepository {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async create(role: RoleRow): Promise<void> {
    await ROLES.insert(this.#sql, role);
  }

  async get(id: string): Promise<RoleRow | undefined> {
    return ROLES.one(this.#sql, 'WHERE id = ?', [id]);
  }

  async getMany(ids: string[]): Promise<RoleRow[]> {
    if (ids.length === 0) return [];
    return ROLES.all(this.#sql, `WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
  }

  async list(organizationId: string): Promise<RoleRow[]> {
    return ROLES.all(this.#sql, 'WHERE organization_id = ? ORDER BY created_at, id', [organizationId]);
  }

  async update(role: RoleRow): Promise<void> {
    await ROLES.update(this.#sql, role, ['name', 'permissions', 'updated_at']);
  }

  async delete(id: string): Promise<void> {
    await this.#sql.transaction(async (sql) => {
      await sql.run('DELETE FROM member_roles WHERE role_id = ?', [id]);
      await sql.run('DELETE FROM roles WHERE id = ?', [id]);
    });
  }
}
