import { nullable, oneOf, Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/** The members table; a member's roles live in member_roles. */
const MEMBERS = new Table('members', {
  id: text,
  organization_id: text,
  kind: oneOf('user', 'service_account'),
  name: text,
  created_at: text,
  /** Sign-in of a user; null for service accounts and for users who have not set a password yet. */
  email: nullable(text),
  password_hash: nullable(text),
  /** Removed members stay for the audit trail's names; they can no longer sign in or use keys. */
  deleted_at: nullable(text),
});

const MEMBER_ROLES = new Table('member_roles', { member_id: text, role_id: text });

export interface MemberRow extends RowOf<typeof MEMBERS> {
  /** Sorted. */
  role_ids: string[];
}

/** Users and service accounts, with the roles they hold. An email signs in to one member per organization. */
export interface MemberRepository {
  /** Creates the member and its role grants, all or nothing. */
  create(member: MemberRow): Promise<void>;
  /** Removed members included. */
  get(id: string): Promise<MemberRow | undefined>;
  /** Members not removed, oldest first. */
  list(organizationId: string): Promise<MemberRow[]>;
  /** The members not removed that sign in with this email, one per organization at most, oldest first. */
  listByEmail(email: string): Promise<MemberRow[]>;
  setSignIn(id: string, signIn: { name: string; email: string; passwordHash: string }): Promise<void>;
  /** Replaces the member's roles, all or nothing. */
  setRoles(id: string, roleIds: string[]): Promise<void>;
  /** Marks the member removed, drops its roles and sign-in, revokes its keys and ends its sessions. */
  remove(id: string, at: string): Promise<void>;
  /** Whether any member of the service (or of one organization) can sign in with a password. */
  hasSignIn(organizationId?: string): Promise<boolean>;
}

export function sqlMembers(sql: SqlRunner): MemberRepository {
  const withRoles = async (member: RowOf<typeof MEMBERS>): Promise<MemberRow> => {
    const grants = await MEMBER_ROLES.all(sql, 'WHERE member_id = ? ORDER BY role_id', [member.id]);
    return { ...member, role_ids: grants.map((grant) => grant.role_id) };
  };
  const grant = async (tx: SqlRunner, memberId: string, roleIds: string[]) => {
    for (const roleId of roleIds) await MEMBER_ROLES.insert(tx, { member_id: memberId, role_id: roleId });
  };
  return {
    create: (member) =>
      sql.transaction(async (tx) => {
        await MEMBERS.insert(tx, member);
        await grant(tx, member.id, member.role_ids);
      }),
    get: async (id) => {
      const member = await MEMBERS.one(sql, 'WHERE id = ?', [id]);
      return member && withRoles(member);
    },
    list: async (organizationId) => {
      const members = await MEMBERS.all(
        sql,
        'WHERE organization_id = ? AND deleted_at IS NULL ORDER BY created_at, id',
        [organizationId],
      );
      return Promise.all(members.map(withRoles));
    },
    listByEmail: async (email) => {
      const members = await MEMBERS.all(
        sql,
        'WHERE email = ? AND deleted_at IS NULL ORDER BY created_at, id',
        [email],
      );
      return Promise.all(members.map(withRoles));
    },
    setSignIn: async (id, signIn) => {
      await sql.run('UPDATE members SET name = ?, email = ?, password_hash = ? WHERE id = ?', [
        signIn.name,
        signIn.email,
        signIn.passwordHash,
        id,
      ]);
    },
    setRoles: (id, roleIds) =>
      sql.transaction(async (tx) => {
        await tx.run('DELETE FROM member_roles WHERE member_id = ?', [id]);
        await grant(tx, id, roleIds);
      }),
    remove: (id, at) =>
      sql.transaction(async (tx) => {
        await tx.run('DELETE FROM member_roles WHERE member_id = ?', [id]);
        await tx.run('DELETE FROM browser_sessions WHERE member_id = ?', [id]);
        await tx.run('UPDATE api_keys SET revoked_at = ? WHERE owner_id = ? AND revoked_at IS NULL', [
          at,
          id,
        ]);
        await tx.run('UPDATE members SET email = NULL, password_hash = NULL, deleted_at = ? WHERE id = ?', [
          at,
          id,
        ]);
      }),
    hasSignIn: async (organizationId) => {
      const row = organizationId
        ? await sql.one(
            'SELECT 1 AS x FROM members WHERE password_hash IS NOT NULL AND organization_id = ? LIMIT 1',
            [organizationId],
          )
        : await sql.one('SELECT 1 AS x FROM members WHERE password_hash IS NOT NULL LIMIT 1');
      return row !== undefined;
    },
  };
}
