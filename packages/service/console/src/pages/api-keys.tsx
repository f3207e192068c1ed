import { useState } from 'preact/hooks';
import { call } from '../api.ts';
import { CopyField } from '../components/copy-button.tsx';
import {
  AtomCheckboxes,
  atomList,
  ErrorNote,
  GuardedButton,
  Page,
  TableWrap,
  useLoad,
  when,
} from '../components/common.tsx';
import { ATOM, type PermissionAtom } from '../permissions.ts';
import { useSession } from '../session.tsx';
import type { ApiKey, List } from '../types.ts';

/** What the key may do now; an unrestricted key says that it follows its owner's roles. */
function keyPermissions(key: ApiKey): string {
  const atoms = atomList(key.effective_permissions);
  return key.permissions === null && !key.revoked_at ? `${atoms} (all of its owner’s)` : atoms;
}

export function ApiKeysPage() {
  const { can } = useSession();
  const keys = useLoad(() => call<List<ApiKey>>('GET', '/v1/api_keys'));
  const [name, setName] = useState('');
  const [restricted, setRestricted] = useState(false);
  const [atoms, setAtoms] = useState<PermissionAtom[]>([]);
  const [created, setCreated] = useState<(ApiKey & { secret: string }) | null>(null);
  const [error, setError] = useState<unknown>(null);

  const create = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const key = await call<ApiKey & { secret: string }>('POST', '/v1/api_keys', {
        name,
        ...(restricted ? { permissions: atoms } : {}),
      });
      setCreated(key);
      setName('');
      setAtoms([]);
      setRestricted(false);
      await keys.reload();
    } catch (failure) {
      setError(failure);
    }
  };

  const revoke = async (key: ApiKey) => {
    if (!confirm(`Revoke ${key.name}? Anything using it stops working at once.`)) return;
    setError(null);
    await call('DELETE', `/v1/api_keys/${key.id}`).then(keys.reload, setError);
  };

  return (
    <Page title="API keys">
      <section aria-labelledby="new-key-heading">
        <h2 id="new-key-heading">Create a key</h2>
        <form class="card" onSubmit={create}>
          <div class="field">
            <label for="key-name">Name</label>
            <input id="key-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          <label class="check">
            <input
              type="checkbox"
              id="key-restricted"
              checked={restricted}
              onChange={(e) => setRestricted(e.currentTarget.checked)}
            />
            Restrict to chosen permissions (otherwise the key has all of yours)
          </label>
          {restricted && (
            <AtomCheckboxes
              legend="Permissions of the key"
              name="key-atom"
              value={atoms}
              onChange={setAtoms}
              allowed={can}
            />
          )}
          <ErrorNote error={error} />
          <GuardedButton id="create-key" atom={ATOM.apiKeysManage} type="submit" class="primary">
            Create key
          </GuardedButton>
        </form>
      </section>
      {created && (
        <section class="card secret" aria-labelledby="secret-heading">
          <h2 id="secret-heading">New key {created.name}</h2>
          <p>This secret is shown once. Copy it now and keep it somewhere safe.</p>
          <CopyField value={created.secret} label="new API key secret" />
          <div class="actions">
            <button type="button" onClick={() => setCreated(null)}>
              I have stored it
            </button>
          </div>
        </section>
      )}
      <section aria-labelledby="keys-heading">
        <h2 id="keys-heading">Keys</h2>
        <ErrorNote error={keys.error} />
        <TableWrap label="API keys table">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Creator</th>
                <th scope="col">Permissions</th>
                <th scope="col">Last use</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data?.data.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>
                    <code>{key.prefix}</code>
                  </td>
                  <td>{key.owner_name ?? key.owner_id}</td>
                  <td>{keyPermissions(key)}</td>
                  <td>{when(key.last_used_at)}</td>
                  <td>
                    {key.revoked_at ? (
                      `Revoked ${when(key.revoked_at)}`
                    ) : (
                      <button type="button" class="danger small" onClick={() => void revoke(key)}>
                        Revoke <span class="sr-only">{key.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </section>
    </Page>
  );
}
