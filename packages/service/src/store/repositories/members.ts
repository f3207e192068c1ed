import { nullable, oneOf, Table, text } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

export type MemberKind = 'user' | 'service_account';

export interface MemberRow {
  id: string;
  organization_id: string;
  kind: MemberKind;
  name: string;
  role_ids: string[];
  created_at: string;
  /** Sign-in of a user; null for service accounts and for users who have not set a password yet. */
  email: string | null;
  password_hash: string | null;
  /** Removed members stay for the audit trail's names; they can no longer sign in or use keys. */
  deleted_at: string | null;
}

/** Users and service accounts, with the roles they hold. An email signs in to one member of the service. */
export interface MemberRepository {
  /** Creates the member and its role grants, all or nothing. */
  create(member: MemberRow): Promise<void>;
  /** Removed members included. */
  get(id: string): Promise<MemberRow | undefined>;
  /** Members not removed, oldest first. */
  list(organizationId: string): Promise<MemberRow[]>;
  /** The member not removed that signs in with this email. */
  getByEmail(email: string): Promise<MemberRow | undefined>;
  setSignIn(id: string, signIn: { name: string; email: string; passwordHash: string }): Promise<void>;
  /** Replaces the member's roles, all or nothing. */
  setRoles(id: string, roleIds: string[]): Promise<void>;
  /** Marks the member removed, drops its roles and sign-in, revokes its keys and ends its sessions. */
  remove(id: string, at: string): Promise<void>;
  /** Whether any member of the service (or of one organization) can sign in with a password. */
  hasSignIn(organizationId?: string): Promise<boolean>;
}

/** The members table; a member's roles live in member_roles. */
const MEMBERS = new Table<Omit<MemberRow, 'role_ids'>>('members', {
  id: text,
  organization_id: text,
  kind: oneOf('user', 'service_account'),
  name: text,
  created_at: text,
  email: nullable(text),
  password_hash: nullable(text),
  deleted_at: nullable(text),
});

const MEMBER_ROLES = new Table<{ member_id: string; role_id: string }>('member_roles', {
  member_id: text,
  role_id: text,
});

export class SqlMemberRepository implements MemberRepository {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async create(member: MemberRow): Promise<void> {
    await this.#sql.transaction(async (sql) => {
      await MEMBERS.insert(sql, member);
      await grantRoles(sql, member.id, member.role_ids);
    });
  }

  async get(id: string): Promise<MemberRow | undefined> {
    const member = await MEMBERS.one(this.#sql, 'WHERE id = ?', [id]);
    return member && this.#withRoles(member);
  }

  async list(organizationId: string): Promise<MemberRow[]> {
    const members = await MEMBERS.all(
      this.#sql,
      'WHERE organization_id = ? AND deleted_at IS NULL ORDER BY created_at, id',
      [organizationId],
    );
    return Promise.all(members.map((member) => this.#withRoles(member)));
  }

  async getByEmail(email: string): Promise<MemberRow | undefined> {
    const member = await MEMBERS.one(this.#sql, 'WHERE email = ? AND deleted_at IS NULL', [email]);
    return member && this.#withRoles(member);
  }

  async setSignIn(id: string, signIn: { name: string; email: string; passwordHash: string }): Promise<void> {
    await this.#sql.run('UPDATE members SET name = ?, email = ?, password_hash = ? WHERE id = ?', [
      signIn.name,
      signIn.email,
      signIn.passwordHash,
      id,
    ]);
  }

  async setRoles(id: string, roleIds: string[]): Promise<void> {
    await this.#sql.transaction(async (sql) => {
      await sql.run('DELETE FROM member_roles WHERE member_id = ?', [id]);
      await grantRoles(sql, id, roleIds);
    });
  }

  async remove(id: string, at: string): Promise<void> {
    await this.#sql.transaction(async (sql) => {
      await sql.run('DELETE FROM member_roles WHERE member_id = ?', [id]);
      await sql.run('DELETE FROM browser_sessions WHERE member_id = ?', [id]);
      await sql.run('UPDATE api_keys SET revoked_at = ? WHERE owner_id = ? AND revoked_at IS NULL', [at, id]);
      await sql.run('UPDATE members SET email = NULL, password_hash = NULL, deleted_at = ? WHERE id = ?', [
        at,
        id,
      ]);
    });
  }

  async hasSignIn(organizationId?: string): Promise<boolean> {
    const row = organizationId
      ? await this.#sql.one(
          'SELECT 1 AS x FROM members WHERE password_hash IS NOT NULL AND organization_id = ? LIMIT 1',
          [organizationId],
        )
      : await this.#sql.one('SELECT 1 AS x FROM members WHERE password_hash IS NOT NULL LIMIT 1');
    return row !== undefined;
  }

  async #withRoles(member: Omit<MemberRow, 'role_ids'>): Promise<MemberRow> {
    const grants = await MEMBER_ROLES.all(this.#sql, 'WHERE member_id = ? ORDER BY role_id', [member.id]);
    return { ...member, role_ids: grants.map((grant) => grant.role_id) };
  }
}

async function grantRoles(sql: SqlRunner, memberId: string, roleIds: string[]): Promise<void> {
  for (const roleId of roleIds) await MEMBER_ROLES.insert(sql, { member_id: memberId, role_id: roleId });
}
