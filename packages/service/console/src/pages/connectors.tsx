import { useEffect, useState } from 'preact/hooks';
import { call } from '../api.ts';
import { ErrorNote, GuardedButton, Page, useLoad, when } from '../components/common.tsx';
import { forgetKey, storeKey } from '../mcp.ts';
import { ATOM } from '../permissions.ts';
import { useSession } from '../session.tsx';
import type { Connector, List, Tunnel } from '../types.ts';

function CreateConnector({ onCreated }: { onCreated: () => Promise<void> }) {
  const { can } = useSession();
  const tunnels = useLoad(() =>
    can(ATOM.tunnelsRead) ? call<List<Tunnel>>('GET', '/v1/tunnels') : Promise.resolve({ data: [] }),
  );
  const [name, setName] = useState('');
  const [manual, setManual] = useState(false);
  const [tunnelId, setTunnelId] = useState('');
  const [authentication, setAuthentication] = useState<'none' | 'api_key'>('api_key');
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const choices = tunnels.data?.data ?? [];
  const loading = !tunnels.data && !tunnels.error;
  const typing = manual || (!loading && choices.length === 0);
  const selected = tunnelId || choices[0]?.id || '';
  // The first tunnel is the choice until the member picks another; set once its option exists.
  useEffect(() => {
    if (!tunnelId && choices[0]) setTunnelId(choices[0].id);
  }, [choices, tunnelId]);

  const create = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const chosen = typing ? tunnelId.trim() : selected;
      const connector = await call<Connector>('POST', '/v1/connectors', {
        name,
        tunnel_id: chosen,
        authentication,
      });
      if (authentication === 'api_key') storeKey(connector.id, apiKey.trim());
      setName('');
      setApiKey('');
      await onCreated();
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <form class="card" onSubmit={create}>
      <div class="field">
        <label for="connector-name">Name</label>
        <input id="connector-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <fieldset>
        <legend>Connection</legend>
        <p class="hint">Tunnel</p>
        {loading ? (
          <p role="status">Loading your tunnels…</p>
        ) : typing ? (
          <div class="field">
            <label for="connector-tunnel-id">Tunnel id</label>
            <input
              id="connector-tunnel-id"
              required
              placeholder="tunnel_…"
              value={tunnelId}
              onInput={(e) => setTunnelId(e.currentTarget.value)}
            />
          </div>
        ) : (
          <div class="field">
            <label for="connector-tunnel">Tunnel</label>
            <select
              id="connector-tunnel"
              value={selected}
              onChange={(e) => setTunnelId(e.currentTarget.value)}
            >
              {choices.map((tunnel) => (
                <option key={tunnel.id} value={tunnel.id}>
                  {tunnel.name} ({tunnel.id})
                </option>
              ))}
            </select>
          </div>
        )}
        {choices.length > 0 && (
          <button type="button" class="link" onClick={() => setManual(!manual)}>
            {manual ? 'Choose from your tunnels instead' : 'Enter tunnel ID instead'}
          </button>
        )}
      </fieldset>
      <fieldset>
        <legend>Authentication</legend>
        <label class="check">
          <input
            type="radio"
            name="connector-auth"
            value="none"
            checked={authentication === 'none'}
            onChange={() => setAuthentication('none')}
          />
          No authentication
        </label>
        <label class="check">
          <input
            type="radio"
            name="connector-auth"
            value="api_key"
            checked={authentication === 'api_key'}
            onChange={() => setAuthentication('api_key')}
          />
          API key
        </label>
        {authentication === 'api_key' && (
          <div class="field">
            <label for="connector-key">API key</label>
            <input
              id="connector-key"
              type="password"
              required
              autocomplete="off"
              aria-describedby="connector-key-hint"
              value={apiKey}
              onInput={(e) => setApiKey(e.currentTarget.value)}
            />
            <span id="connector-key-hint" class="hint">
              Kept in this browser tab only; the service never stores it. It needs Tunnels Use.
            </span>
          </div>
        )}
      </fieldset>
      <ErrorNote error={error} />
      <GuardedButton id="create-connector" atom={ATOM.tunnelsUse} type="submit" class="primary">
        Create
      </GuardedButton>
    </form>
  );
}

export function ConnectorsPage() {
  const connectors = useLoad(() => call<List<Connector>>('GET', '/v1/connectors'));
  const [error, setError] = useState<unknown>(null);
  const remove = async (connector: Connector) => {
    if (!confirm(`Delete connector ${connector.name}?`)) return;
    setError(null);
    forgetKey(connector.id);
    await call('DELETE', `/v1/connectors/${connector.id}`).then(connectors.reload, setError);
  };
  return (
    <Page title="Connectors">
      <p>
        A connector is an MCP client's view of a tunnel, as a chat app's “Create app” would set it up: open
        one to see its tools, try them, and copy configurations for other MCP clients.
      </p>
      <section aria-labelledby="new-connector-heading">
        <h2 id="new-connector-heading">Create a connector</h2>
        <CreateConnector onCreated={connectors.reload} />
      </section>
      <section aria-labelledby="connectors-heading">
        <h2 id="connectors-heading">Connectors</h2>
        <ErrorNote error={connectors.error ?? error} />
        {connectors.data?.data.length === 0 && <p>No connectors yet.</p>}
        <ul class="cards" aria-label="Connectors">
          {connectors.data?.data.map((connector) => (
            <li key={connector.id} class="card">
              <h3>
                <a href={`#/connectors/${connector.id}`}>{connector.name}</a>
              </h3>
              <p>
                Tunnel <code>{connector.tunnel_id}</code> ·{' '}
                {connector.authentication === 'api_key' ? 'API key' : 'No authentication'} · created{' '}
                {when(connector.created_at)}
              </p>
              <button type="button" class="danger" onClick={() => void remove(connector)}>
                Delete <span class="sr-only">{connector.name}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
    </Page>
  );
}
