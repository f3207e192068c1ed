import { nullable, stringList, Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';
import { sqlMembers, type MemberRow } from './members.ts';

/** An invitation to become a user of an organization, accepted once with the token sent to the email. */
const INVITATIONS = new Table('invitations', {
  id: text,
  organization_id: text,
  email: text,
  role_ids: stringList(),
  /** The hash of the token; the token itself is stored nowhere. Unique across the service. */
  token_hash: text,
  created_by: text,
  created_at: text,
  expires_at: text,
  accepted_at: nullable(text),
});
export type InvitationRow = RowOf<typeof INVITATIONS>;

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

export function sqlInvitations(sql: SqlRunner): InvitationRepository {
  return {
    create: (invitation) => INVITATIONS.insert(sql, invitation),
    get: (id) => INVITATIONS.one(sql, 'WHERE id = ?', [id]),
    findByHash: (tokenHash) => INVITATIONS.one(sql, 'WHERE token_hash = ?', [tokenHash]),
    list: (organizationId) =>
      INVITATIONS.all(sql, 'WHERE organization_id = ? AND accepted_at IS NULL ORDER BY created_at, id', [
        organizationId,
      ]),
    delete: async (id) => {
      await sql.run('DELETE FROM invitations WHERE id = ?', [id]);
    },
    accept: (invitationId, member, at) =>
      sql.transaction(async (tx) => {
        const used = await tx.run(
          'UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL',
          [at, invitationId],
        );
        if (used !== 1) return false;
        await sqlMembers(tx).create(member);
        return true;
      }),
  };
}
