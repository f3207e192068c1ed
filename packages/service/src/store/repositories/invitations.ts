import { nullable, stringList, Table, text } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';
import { SqlMemberRepository, type MemberRow } from './members.ts';

/** An invitation to become a user of an organization, accepted once with the token sent to the email. */
export interface InvitationRow {
  id: string;
  organization_id: string;
  email: string;
  role_ids: string[];
  /** The hash of the token; the token itself is stored nowhere. Unique across the service. */
  token_hash: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
}

export interface InvitationRepository {
  create(invitation: InvitationRow): Promise<void>;
  get(id: string): Promise<InvitationRow | undefined>;
  findByHash(tokenHash: string): Promise<InvitationRow | undefined>;
  /** Invitations not yet accepted, expired ones included (the console shows them as expired), oldest first. */
  list(organizationId: string): Promise<InvitationRow[]>;
  delete(id: string): Promise<void>;
  /** Creates the member and uses the invitation up, all or nothing; false if it was used meanwhile. */
  accept(invitationId: string, member: MemberRow, at: string): Promise<boolean>;
}

const INVITATIONS = new Table<InvitationRow>('invitations', {
  id: text,
  organization_id: text,
  email: text,
  role_ids: stringList(),
  token_hash: text,
  created_by: text,
  created_at: text,
  expires_at: text,
  accepted_at: nullable(text),
});

export class SqlInvitationRepository implements InvitationRepository {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async create(invitation: InvitationRow): Promise<void> {
    await INVITATIONS.insert(this.#sql, invitation);
  }

  async get(id: string): Promise<InvitationRow | undefined> {
    return INVITATIONS.one(this.#sql, 'WHERE id = ?', [id]);
  }

  async findByHash(tokenHash: string): Promise<InvitationRow | undefined> {
    return INVITATIONS.one(this.#sql, 'WHERE token_hash = ?', [tokenHash]);
  }

  async list(organizationId: string): Promise<InvitationRow[]> {
    return INVITATIONS.all(
      this.#sql,
      'WHERE organization_id = ? AND accepted_at IS NULL ORDER BY created_at, id',
      [organizationId],
    );
  }

  async delete(id: string): Promise<void> {
    await this.#sql.run('DELETE FROM invitations WHERE id = ?', [id]);
  }

  async accept(invitationId: string, member: MemberRow, at: string): Promise<boolean> {
    return this.#sql.transaction(async (sql) => {
      const used = await sql.run(
        'UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL',
        [at, invitationId],
      );
      if (used !== 1) return false;
      await new SqlMemberRepository(sql).create(member);
      return true;
    });
  }
}
