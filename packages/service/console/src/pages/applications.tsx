// Authorized applications: what members let use a tunnel with OAuth, with last use; revoking one stops its
// next request. Every member sees and revokes their own; Tunnels Manage sees and revokes everyone's.
import { useState } from 'preact/hooks';
import { call } from '../api.ts';
import { ErrorNote, Page, TableWrap, useLoad, when } from '../components/common.tsx';
import { ATOM } from '../permissions.ts';
import { useSession } from '../session.tsx';
import type { List, OAuthGrant } from '../types.ts';

function GrantsTable({
  label,
  grants,
  showMember,
  onRevoke,
}: {
  label: string;
  grants: OAuthGrant[];
  showMember: boolean;
  onRevoke: (grant: OAuthGrant) => void;
}) {
  if (grants.length === 0) return <p>None yet.</p>;
  return (
    <TableWrap label={label}>
      <table>
        <thead>
          <tr>
            <th scope="col">Application</th>
            {showMember && <th scope="col">Member</th>}
            <th scope="col">Tunnel</th>
            <th scope="col">Returns to</th>
            <th scope="col">Approved</th>
            <th scope="col">Last use</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {grants.map((grant) => (
            <tr key={grant.id}>
              <td>{grant.client_name}</td>
              {showMember && <td>{grant.member_name ?? grant.member_id}</td>}
              <td>
                <a href={`#/tunnels/${grant.tunnel_id}`}>
                  <code>{grant.tunnel_id}</code>
                </a>
                {grant.channel !== 'main' && ` / ${grant.channel}`}
              </td>
              <td>
                <code>{grant.redirect_host}</code>
              </td>
              <td>{when(grant.created_at)}</td>
              <td>{when(grant.last_used_at)}</td>
              <td>
                {grant.revoked_at ? (
                  `Revoked ${when(grant.revoked_at)}`
                ) : (
                  <button type="button" class="danger small" onClick={() => onRevoke(grant)}>
                    Revoke <span class="sr-only">{grant.client_name}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function ApplicationsPage() {
  const { can } = useSession();
  const manage = can(ATOM.tunnelsManage);
  const mine = useLoad(() => call<List<OAuthGrant>>('GET', '/v1/oauth/grants'));
  const all = useLoad(
    () =>
      manage ? call<List<OAuthGrant>>('GET', '/v1/oauth/grants?all=true') : Promise.resolve({ data: [] }),
    [manage],
  );
  const [error, setError] = useState<unknown>(null);

  const revoke = async (grant: OAuthGrant) => {
    if (!confirm(`Revoke ${grant.client_name}? Its next request to the tunnel is refused.`)) return;
    setError(null);
    try {
      await call('DELETE', `/v1/oauth/grants/${grant.id}`);
      await Promise.all([mine.reload(), all.reload()]);
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <Page title="Authorized applications">
      <p>
        Applications such as ChatGPT or Claude that you let call a tunnel with OAuth. Revoking one takes
        effect on its next request.
      </p>
      <ErrorNote error={error} />
      <section aria-labelledby="mine-heading">
        <h2 id="mine-heading">Yours</h2>
        <ErrorNote error={mine.error} />
        {mine.data && (
          <GrantsTable
            label="Your authorized applications"
            grants={mine.data.data}
            showMember={false}
            onRevoke={revoke}
          />
        )}
      </section>
      {manage && (
        <section aria-labelledby="all-heading">
          <h2 id="all-heading">The organization’s</h2>
          <ErrorNote error={all.error} />
          {all.data && (
            <GrantsTable
              label="The organization's authorized applications"
              grants={all.data.data}
              showMember
              onRevoke={revoke}
            />
          )}
        </section>
      )}
    </Page>
  );
}
