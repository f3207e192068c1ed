// The OAuth consent page: an application (ChatGPT, Claude, an SDK client) asks to use one tunnel's
// connector URL on the signed-in member's behalf. The service checked the request before sending the
// browser here and checks it again with the decision; the page only shows it and sends the choice.
import { useState } from 'preact/hooks';
import { call } from '../api.ts';
import { ErrorNote, Page, useLoad } from '../components/common.tsx';

interface AuthorizationView {
  client: { id: string; name: string; client_uri: string | null; verified_host: string | null };
  redirect_host: string;
  resource: string;
  tunnel: { id: string; name: string; channel: string } | null;
  scope: string;
  can_approve: boolean;
  reason?: string;
}

export function AuthorizePage({ query }: { query: URLSearchParams }) {
  const request = query.toString();
  const view = useLoad(() => call<AuthorizationView>('GET', `/v1/oauth/authorization?${request}`), [request]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const decide = async (decision: 'approve' | 'deny') => {
    setBusy(true);
    setError(null);
    try {
      const answer = await call<{ redirect_to: string }>('POST', '/v1/oauth/authorization', {
        ...Object.fromEntries(query),
        decision,
      });
      location.assign(answer.redirect_to);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };

  const data = view.data;
  return (
    <Page title="Authorize an application">
      <ErrorNote error={view.error} />
      {data && (
        <section class="card narrow" aria-labelledby="consent-heading">
          <h2 id="consent-heading">
            {data.client.name} asks to use {data.tunnel ? `the tunnel ${data.tunnel.name}` : 'a tunnel'}
          </h2>
          <dl class="facts">
            <dt>Application</dt>
            <dd>
              {data.client.name}
              {data.client.verified_host
                ? ` (identified by ${data.client.verified_host})`
                : ' (the name is the application’s own claim: check where it returns you)'}
            </dd>
            <dt>Returns you to</dt>
            <dd>
              <code>{data.redirect_host}</code>
            </dd>
            <dt>Tunnel</dt>
            <dd>
              {data.tunnel ? (
                <>
                  {data.tunnel.name} <code>{data.tunnel.id}</code>
                  {data.tunnel.channel !== 'main' && ` (channel ${data.tunnel.channel})`}
                </>
              ) : (
                '—'
              )}
            </dd>
            <dt>It may</dt>
            <dd>call the tunnel’s MCP server as you, while your role has Tunnels Use</dd>
          </dl>
          {!data.can_approve && (
            <p role="alert" class="error">
              {data.reason}
            </p>
          )}
          <ErrorNote error={error} />
          <div class="actions">
            {data.can_approve && (
              <button type="button" class="primary" disabled={busy} onClick={() => void decide('approve')}>
                Approve
              </button>
            )}
            <button type="button" disabled={busy} onClick={() => void decide('deny')}>
              Deny
            </button>
          </div>
        </section>
      )}
    </Page>
  );
}
