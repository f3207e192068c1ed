import { useState } from 'preact/hooks';
import { call } from '../api.ts';
import { CopyField } from '../components/copy-button.tsx';
import { ErrorNote, GuardedButton, Page, useLoad, when } from '../components/common.tsx';
import { RoleCheckboxes } from '../components/role-checkboxes.tsx';
import { ATOM } from '../permissions.ts';
import { useSession } from '../session.tsx';
import type { Invitation, List, Member, Role } from '../types.ts';

function InviteForm({ roles, onInvited }: { roles: Role[]; onInvited: () => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [roleIds, setRoleIds] = useState<string[]>([]);
  const [sent, setSent] = useState<{ email: string; link: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const invite = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setSent(null);
    try {
      const invitation = await call<Invitation>('POST', '/v1/invitations', { email, role_ids: roleIds });
      // The token rides in the fragment, so it never appears in a server's request log.
      setSent({
        email: invitation.email,
        link: `${location.origin}/console/#/accept?token=${encodeURIComponent(invitation.token ?? '')}`,
      });
      setEmail('');
      setRoleIds([]);
      await onInvited();
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <>
      <form class="card" onSubmit={invite}>
        <div class="field">
          <label for="invite-email">Email</label>
          <input
            id="invite-email"
            type="email"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
        <RoleCheckboxes roles={roles} value={roleIds} onChange={setRoleIds} name="invite-role" />
        <ErrorNote error={error} />
        <GuardedButton id="invite" atom={ATOM.membersManage} type="submit" class="primary">
          Invite
        </GuardedButton>
      </form>
      {sent && (
        <section class="card secret" aria-labelledby="invite-link-heading">
          <h3 id="invite-link-heading">Invitation link for {sent.email}</h3>
          <p>Send this link to the person you invited. It is shown once, works once and expires in 7 days.</p>
          <CopyField value={sent.link} label="invitation link" />
        </section>
      )}
    </>
  );
}

function MemberRow({
  member,
  roles,
  onChanged,
}: {
  member: Member;
  roles: Role[];
  onChanged: () => Promise<void>;
}) {
  const { session } = useSession();
  const [editing, setEditing] = useState(false);
  const [roleIds, setRoleIds] = useState(member.role_ids);
  const [error, setError] = useState<unknown>(null);
  const roleNames = member.role_ids.map((id) => roles.find((r) => r.id === id)?.name ?? id).join(', ');
  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await call('PATCH', `/v1/members/${member.id}`, { role_ids: roleIds });
      setEditing(false);
      await onChanged();
    } catch (failure) {
      setError(failure);
    }
  };
  const remove = async () => {
    if (!confirm(`Remove ${member.name}? Their keys and sessions stop working at once.`)) return;
    setError(null);
    await call('DELETE', `/v1/members/${member.id}`).then(onChanged, setError);
  };
  return (
    <li class="card">
      <h3>
        {member.name}
        {member.id === session.member.id ? ' (you)' : ''}
      </h3>
      <p>
        {member.kind === 'service_account' ? 'Service account' : member.email} · joined{' '}
        {when(member.created_at)}
      </p>
      {editing ? (
        <form onSubmit={save}>
          <RoleCheckboxes roles={roles} value={roleIds} onChange={setRoleIds} name={`roles-${member.id}`} />
          <div class="actions">
            <button type="submit" class="primary">
              Save roles
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <p>Roles: {roleNames || 'none'}</p>
      )}
      <ErrorNote error={error} />
      {!editing && (
        <div class="actions">
          <GuardedButton id={`roles-${member.id}`} atom={ATOM.membersManage} onClick={() => setEditing(true)}>
            Change roles <span class="sr-only">of {member.name}</span>
          </GuardedButton>
          <GuardedButton
            id={`remove-${member.id}`}
            atom={ATOM.membersManage}
            class="danger"
            onClick={() => void remove()}
          >
            Remove <span class="sr-only">{member.name}</span>
          </GuardedButton>
        </div>
      )}
    </li>
  );
}

export function MembersPage() {
  const members = useLoad(() => call<List<Member>>('GET', '/v1/members'));
  const roles = useLoad(() => call<List<Role>>('GET', '/v1/roles'));
  const invitations = useLoad(() => call<List<Invitation>>('GET', '/v1/invitations'));
  const [error, setError] = useState<unknown>(null);
  const roleList = roles.data?.data ?? [];
  const cancel = async (invitation: Invitation) => {
    setError(null);
    await call('DELETE', `/v1/invitations/${invitation.id}`).then(invitations.reload, setError);
  };
  return (
    <Page title="Members">
      <section aria-labelledby="invite-heading">
        <h2 id="invite-heading">Invite a member</h2>
        <InviteForm roles={roleList} onInvited={invitations.reload} />
      </section>
      <section aria-labelledby="pending-heading">
        <h2 id="pending-heading">Pending invitations</h2>
        <ErrorNote error={invitations.error ?? error} />
        {invitations.data?.data.length === 0 && <p>No pending invitations.</p>}
        <ul class="cards" aria-label="Pending invitations">
          {invitations.data?.data.map((invitation) => (
            <li key={invitation.id} class="card">
              <p>
                {invitation.email} · expires {when(invitation.expires_at)}
              </p>
              <GuardedButton
                id={`cancel-${invitation.id}`}
                atom={ATOM.membersManage}
                class="danger"
                onClick={() => void cancel(invitation)}
              >
                Cancel invitation <span class="sr-only">for {invitation.email}</span>
              </GuardedButton>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        <ErrorNote error={members.error ?? roles.error} />
        <ul class="cards" aria-label="Members">
          {members.data?.data.map((member) => (
            <MemberRow key={member.id} member={member} roles={roleList} onChanged={members.reload} />
          ))}
        </ul>
      </section>
    </Page>
  );
}
