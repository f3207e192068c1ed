import { useEffect, useState } from 'preact/hooks';
import { call, errorText } from '../api.ts';
import type { TunnelLive } from '../types.ts';
import { TableWrap, when } from './common.tsx';

const REFRESH_MS = 3000;

/** GET /v1/tunnels/{id}/live, again every few seconds while the page shows it. */
export function useTunnelLive(tunnelId: string) {
  const [live, setLive] = useState<TunnelLive | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = async () => {
      try {
        const next = await call<TunnelLive>('GET', `/v1/tunnels/${tunnelId}/live`);
        if (!stopped) {
          setLive(next);
          setError('');
        }
      } catch (failure) {
        if (!stopped) setError(errorText(failure));
      }
      if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
    };
    void refresh();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [tunnelId]);
  return { live, error };
}

export function TunnelLiveSummary({ tunnelId }: { tunnelId: string }) {
  const { live, error } = useTunnelLive(tunnelId);
  if (error) return <p class="hint">Live state unavailable: {error}</p>;
  if (!live) return <p class="hint">Loading live state…</p>;
  const online = live.clients.length > 0;
  return (
    <p class="live" aria-live="polite">
      <span class={online ? 'badge online' : 'badge offline'}>{online ? 'Online' : 'Offline'}</span>{' '}
      {live.clients.length} client{live.clients.length === 1 ? '' : 's'} polling · {live.sessions.length}{' '}
      session
      {live.sessions.length === 1 ? '' : 's'} · {live.recent_traffic.length} recent request
      {live.recent_traffic.length === 1 ? '' : 's'}
    </p>
  );
}

export function TunnelLiveTables({ tunnelId }: { tunnelId: string }) {
  const { live, error } = useTunnelLive(tunnelId);
  if (error)
    return (
      <p role="alert" class="error">
        Live state unavailable: {error}
      </p>
    );
  if (!live) return <p role="status">Loading live state…</p>;
  return (
    <>
      <section aria-labelledby="live-clients">
        <h2 id="live-clients">Clients polling</h2>
        {live.clients.length === 0 ? (
          <p>No tunnel-client is polling this tunnel.</p>
        ) : (
          <TableWrap label="Clients polling table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Client</th>
                  <th scope="col">Instance</th>
                  <th scope="col">Channels</th>
                  <th scope="col">Last poll</th>
                </tr>
              </thead>
              <tbody>
                {live.clients.map((client) => (
                  <tr key={client.instance_id}>
                    <td>
                      {client.client_name} {client.client_version}
                    </td>
                    <td>
                      <code>{client.instance_id}</code>
                    </td>
                    <td>
                      {client.channels
                        .map((c) => (c.proc_affinity ? `${c.name} (${c.proc_affinity})` : c.name))
                        .join(', ')}
                    </td>
                    <td>{when(client.last_poll_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
      <section aria-labelledby="live-sessions">
        <h2 id="live-sessions">MCP sessions</h2>
        {live.sessions.length === 0 ? (
          <p>No open MCP sessions.</p>
        ) : (
          <TableWrap label="MCP sessions table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Session</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Opened</th>
                  <th scope="col">Last used</th>
                </tr>
              </thead>
              <tbody>
                {live.sessions.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <code>{s.id}</code>
                    </td>
                    <td>{s.channel}</td>
                    <td>{when(s.created_at)}</td>
                    <td>{when(s.last_used_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
      <section aria-labelledby="live-traffic">
        <h2 id="live-traffic">Recent traffic</h2>
        {live.recent_traffic.length === 0 ? (
          <p>No requests yet.</p>
        ) : (
          <TableWrap label="Recent traffic table">
            <table>
              <thead>
                <tr>
                  <th scope="col">At</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Method</th>
                  <th scope="col">Status</th>
                  <th scope="col">Duration</th>
                </tr>
              </thead>
              <tbody>
                {live.recent_traffic.map((t, index) => (
                  <tr key={`${t.at}-${index}`}>
                    <td>{when(t.at)}</td>
                    <td>{t.channel}</td>
                    <td>{t.tool ? `${t.method} (${t.tool})` : t.method}</td>
                    <td>{t.status}</td>
                    <td>{t.duration_ms} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
    </>
  );
}
