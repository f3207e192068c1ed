import { useState } from 'preact/hooks';
import { call } from '../api.ts';
import { CopyField } from '../components/copy-button.tsx';
import { ErrorNote, GuardedButton, Page, useLoad } from '../components/common.tsx';
import { TunnelLiveSummary } from '../components/tunnel-live.tsx';
import { ATOM } from '../permissions.ts';
import { useSession } from '../session.tsx';
import type { List, Tunnel } from '../types.ts';

type TunnelDraft = {
  name: string;
  description: string;
  organization_ids: string;
  connector_access: 'key' | 'public';
  response_timeout: string;
};

const ACCESS_LABELS = {
  key: 'API key required',
  public: 'Public (no key; the caller’s Authorization header reaches the MCP server)',
};

export const accessLabel = (tunnel: Tunnel) => ACCESS_LABELS[tunnel.connector_access ?? 'key'];

function TunnelForm({
  initial,
  submitLabel,
  idPrefix,
  onSubmit,
  onCancel,
}: {
  initial: TunnelDraft;
  submitLabel: string;
  idPrefix: string;
  onSubmit: (draft: TunnelDraft) => Promise<void>;
  onCancel?: () => void;
}) {
  const [draft, setDraft] = useState(initial);
  const [error, setError] = useState<unknown>(null);
  const set = (patch: Partial<TunnelDraft>) => setDraft({ ...draft, ...patch });
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await onSubmit(draft);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <form class="card" onSubmit={submit}>
      <div class="field">
        <label for={`${idPrefix}-name`}>Name</label>
        <input
          id={`${idPrefix}-name`}
          required
          value={draft.name}
          onInput={(e) => set({ name: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for={`${idPrefix}-description`}>Description</label>
        <input
          id={`${idPrefix}-description`}
          value={draft.description}
          onInput={(e) => set({ description: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for={`${idPrefix}-orgs`}>Organization ids</label>
        <input
          id={`${idPrefix}-orgs`}
          required
          aria-describedby={`${idPrefix}-orgs-hint`}
          value={draft.organization_ids}
          onInput={(e) => set({ organization_ids: e.currentTarget.value })}
        />
        <span id={`${idPrefix}-orgs-hint`} class="hint">
          Separate several with commas. Members of these organizations can reach the tunnel.
        </span>
      </div>
      <div class="field">
        <label for={`${idPrefix}-access`}>Connector access</label>
        <select
          id={`${idPrefix}-access`}
          value={draft.connector_access}
          onChange={(e) => set({ connector_access: e.currentTarget.value as 'key' | 'public' })}
        >
          <option value="key">{ACCESS_LABELS.key}</option>
          <option value="public">{ACCESS_LABELS.public}</option>
        </select>
      </div>
      <div class="field">
        <label for={`${idPrefix}-timeout`}>Response deadline</label>
        <input
          id={`${idPrefix}-timeout`}
          required
          pattern="[1-9][0-9]*(ms|s|m|h)"
          aria-describedby={`${idPrefix}-timeout-hint`}
          value={draft.response_timeout}
          onInput={(e) => set({ response_timeout: e.currentTarget.value })}
        />
        <span id={`${idPrefix}-timeout-hint`} class="hint">
          How long a connector call waits for the tunnel-client, e.g. 60s or 2m.
        </span>
      </div>
      <ErrorNote error={error} />
      <div class="actions">
        <button type="submit" class="primary">
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

const toBody = (draft: TunnelDraft) => ({
  name: draft.name,
  description: draft.description,
  organization_ids: draft.organization_ids
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean),
  connector_access: draft.connector_access,
  response_timeout: draft.response_timeout,
});

export function TunnelsPage() {
  const { session, can } = useSession();
  const tunnels = useLoad(() => call<List<Tunnel>>('GET', '/v1/tunnels'));
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const remove = async (tunnel: Tunnel) => {
    if (!confirm(`Delete tunnel ${tunnel.name}? Connected tunnel-clients stop working.`)) return;
    setError(null);
    await call('DELETE', `/v1/tunnels/${tunnel.id}`).then(tunnels.reload, setError);
  };

  return (
    <Page title="Tunnels">
      <p>
        A tunnel joins a tunnel-client next to a private MCP server to the connector URL MCP clients call.
      </p>
      <div class="actions">
        <GuardedButton
          id="create-tunnel"
          atom={ATOM.tunnelsManage}
          class="primary"
          onClick={() => setCreating(true)}
        >
          Create tunnel
        </GuardedButton>
      </div>
      {creating && (
        <section aria-labelledby="new-tunnel-heading">
          <h2 id="new-tunnel-heading">New tunnel</h2>
          <TunnelForm
            idPrefix="new-tunnel"
            submitLabel="Create"
            initial={{
              name: '',
              description: '',
              organization_ids: session.organization.id,
              connector_access: 'key',
              response_timeout: '60s',
            }}
            onSubmit={async (draft) => {
              await call('POST', '/v1/tunnels', toBody(draft));
              setCreating(false);
              await tunnels.reload();
            }}
            onCancel={() => setCreating(false)}
          />
        </section>
      )}
      <ErrorNote error={tunnels.error ?? error} />
      {tunnels.data?.data.length === 0 && <p>No tunnels yet.</p>}
      <ul class="cards" aria-label="Tunnels">
        {tunnels.data?.data.map((tunnel) => (
          <li key={tunnel.id} class="card">
            {editing === tunnel.id ? (
              <TunnelForm
                idPrefix={`edit-${tunnel.id}`}
                submitLabel="Save"
                initial={{
                  name: tunnel.name,
                  description: tunnel.description,
                  organization_ids: tunnel.organization_ids.join(', '),
                  connector_access: tunnel.connector_access ?? 'key',
                  response_timeout: tunnel.response_timeout,
                }}
                onSubmit={async (draft) => {
                  await call('POST', `/v1/tunnels/${tunnel.id}`, toBody(draft));
                  setEditing(null);
                  await tunnels.reload();
                }}
                onCancel={() => setEditing(null)}
              />
            ) : (
              <>
                <h2>
                  <a href={`#/tunnels/${tunnel.id}`}>{tunnel.name}</a>
                </h2>
                {tunnel.description && <p>{tunnel.description}</p>}
                <dl class="facts">
                  <dt>Tunnel id</dt>
                  <dd>
                    <CopyField value={tunnel.id} label={`tunnel id of ${tunnel.name}`} />
                  </dd>
                  <dt>Connector access</dt>
                  <dd>{accessLabel(tunnel)}</dd>
                  <dt>Response deadline</dt>
                  <dd>{tunnel.response_timeout}</dd>
                </dl>
                {can(ATOM.tunnelsRead) && <TunnelLiveSummary tunnelId={tunnel.id} />}
                <div class="actions">
                  <GuardedButton
                    id={`edit-${tunnel.id}`}
                    atom={ATOM.tunnelsManage}
                    onClick={() => setEditing(tunnel.id)}
                  >
                    Edit <span class="sr-only">{tunnel.name}</span>
                  </GuardedButton>
                  <GuardedButton
                    id={`delete-${tunnel.id}`}
                    atom={ATOM.tunnelsManage}
                    class="danger"
                    onClick={() => void remove(tunnel)}
                  >
                    Delete <span class="sr-only">{tunnel.name}</span>
                  </GuardedButton>
                </div>
              </>
            )}
          </li>
        ))}
      </ul>
    </Page>
  );
}
