import { useState } from 'preact/hooks';
import { call } from '../api.ts';
import { AtomCheckboxes, atomList, ErrorNote, GuardedButton, Page, useLoad } from '../components/common.tsx';
import { ATOM, type PermissionAtom } from '../permissions.ts';
import type { List, Role } from '../types.ts';

function RoleForm({
  initial,
  idPrefix,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial: { name: string; permissions: PermissionAtom[] };
  idPrefix: string;
  submitLabel: string;
  onSubmit: (role: { name: string; permissions: PermissionAtom[] }) => Promise<void>;
  onCancel?: () => void;
}) {
  const [name, setName] = useState(initial.name);
  const [atoms, setAtoms] = useState(initial.permissions);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    await onSubmit({ name, permissions: atoms }).catch(setError);
  };
  return (
    <form class="card" onSubmit={submit}>
      <div class="field">
        <label for={`${idPrefix}-name`}>Role name</label>
        <input
          id={`${idPrefix}-name`}
          required
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </div>
      <AtomCheckboxes legend="Permissions" name={`${idPrefix}-atom`} value={atoms} onChange={setAtoms} />
      <ErrorNote error={error} />
      <div class="actions">
        <GuardedButton id={`${idPrefix}-submit`} atom={ATOM.rolesManage} type="submit" class="primary">
          {submitLabel}
        </GuardedButton>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

export function RolesPage() {
  const roles = useLoad(() => call<List<Role>>('GET', '/v1/roles'));
  const [editing, setEditing] = useState<string | null>(null);
  const [formKey, setFormKey] = useState(0);
  const [error, setError] = useState<unknown>(null);

  const remove = async (role: Role) => {
    if (!confirm(`Delete role ${role.name}? Members holding only this role lose its permissions.`)) return;
    setError(null);
    await call('DELETE', `/v1/roles/${role.id}`).then(roles.reload, setError);
  };

  return (
    <Page title="Roles">
      <p>
        A role is a named set of permissions; members hold roles, and what they may do is the union of them.
      </p>
      <section aria-labelledby="new-role-heading">
        <h2 id="new-role-heading">Create a role</h2>
        <RoleForm
          key={formKey}
          idPrefix="new-role"
          submitLabel="Create role"
          initial={{ name: '', permissions: [] }}
          onSubmit={async (role) => {
            await call('POST', '/v1/roles', role);
            setFormKey(formKey + 1);
            await roles.reload();
          }}
        />
      </section>
      <section aria-labelledby="roles-heading">
        <h2 id="roles-heading">Roles</h2>
        <ErrorNote error={roles.error ?? error} />
        <ul class="cards" aria-label="Roles">
          {roles.data?.data.map((role) => (
            <li key={role.id} class="card">
              {editing === role.id ? (
                <RoleForm
                  idPrefix={`edit-${role.id}`}
                  submitLabel="Save"
                  initial={role}
                  onSubmit={async (next) => {
                    await call('PATCH', `/v1/roles/${role.id}`, next);
                    setEditing(null);
                    await roles.reload();
                  }}
                  onCancel={() => setEditing(null)}
                />
              ) : (
                <>
                  <h3>{role.name}</h3>
                  <p>{atomList(role.permissions)}</p>
                  {role.builtin ? (
                    <p class="hint">Built in; not editable.</p>
                  ) : (
                    <div class="actions">
                      <GuardedButton
                        id={`edit-role-${role.id}`}
                        atom={ATOM.rolesManage}
                        onClick={() => setEditing(role.id)}
                      >
                        Edit <span class="sr-only">{role.name}</span>
                      </GuardedButton>
                      <GuardedButton
                        id={`delete-role-${role.id}`}
                        atom={ATOM.rolesManage}
                        class="danger"
                        onClick={() => void remove(role)}
                      >
                        Delete <span class="sr-only">{role.name}</span>
                      </GuardedButton>
                    </div>
                  )}
                </>
              )}
            </li>
          ))}
        </ul>
      </section>
    </Page>
  );
}
