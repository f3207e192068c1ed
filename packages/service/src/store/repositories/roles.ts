import type { PermissionAtom } from '@mcp-tunnel/protocol';
import { nullable, oneOf, stringList, Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

const ROLES = new Table('roles', {
  id: text,
  organization_id: text,
  name: text,
  permissions: stringList<PermissionAtom>(),
  /** `owner` for the built-in Owner role, which always holds every atom; null for custom roles. */
  builtin: nullable(oneOf('owner')),
  created_at: text,
  updated_at: text,
});
export type RoleRow = RowOf<typeof ROLES>;

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

export function sqlRoles(sql: SqlRunner): RoleRepository {
  return {
    create: (role) => ROLES.insert(sql, role),
    get: (id) => ROLES.one(sql, 'WHERE id = ?', [id]),
    getMany: async (ids) =>
      ids.length === 0 ? [] : ROLES.all(sql, `WHERE id IN (${ids.map(() => '?').join(', ')})`, ids),
    list: (organizationId) =>
      ROLES.all(sql, 'WHERE organization_id = ? ORDER BY created_at, id', [organizationId]),
    update: (role) => ROLES.update(sql, role, ['name', 'permissions', 'updated_at']),
    delete: (id) =>
      sql.transaction(async (tx) => {
        await tx.run('DELETE FROM member_roles WHERE role_id = ?', [id]);
        await tx.run('DELETE FROM roles WHERE id = ?', [id]);
      }),
  };
}
