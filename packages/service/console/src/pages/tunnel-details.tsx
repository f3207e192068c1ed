import { call } from '../api.ts';
import { CopyField } from '../components/copy-button.tsx';
import { ErrorNote, Page, useLoad } from '../components/common.tsx';
import { TunnelLiveTables } from '../components/tunnel-live.tsx';
import type { Tunnel } from '../types.ts';
import { accessLabel } from './tunnels.tsx';

export function TunnelDetailsPage({ id }: { id: string }) {
  const tunnel = useLoad(() => call<Tunnel>('GET', `/v1/tunnels/${id}`), [id]);
  return (
    <Page title={tunnel.data ? `Tunnel ${tunnel.data.name}` : 'Tunnel'}>
      <p>
        <a href="#/tunnels">All tunnels</a>
      </p>
      <ErrorNote error={tunnel.error} />
      {tunnel.data && (
        <dl class="facts card">
          <dt>Tunnel id</dt>
          <dd>
            <CopyField value={tunnel.data.id} label="tunnel id" />
          </dd>
          <dt>Connector URL</dt>
          <dd>
            <CopyField value={`${location.origin}/v1/mcp/${tunnel.data.id}`} label="connector URL" />
          </dd>
          <dt>Connector access</dt>
          <dd>{accessLabel(tunnel.data)}</dd>
          <dt>Response deadline</dt>
          <dd>{tunnel.data.response_timeout}</dd>
        </dl>
      )}
      <TunnelLiveTables tunnelId={id} />
    </Page>
  );
}
