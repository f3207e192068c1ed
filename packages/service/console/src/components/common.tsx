import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { errorText } from '../api.ts';
import { needs, PERMISSION_ATOMS, PERMISSION_LABELS, type PermissionAtom } from '../permissions.ts';
import { useSession } from '../session.tsx';

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p role="alert" class="error">
      {errorText(error)}
    </p>
  );
}

/** Data loaded from the API, with its error and a way to load it again after a change. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(() => load().then(setData, setError), deps);
  useEffect(() => {
    setError(null);
    void reload();
  }, [reload]);
  return { data, error, reload, setData };
}

/**
 * A button the member may lack the permission for: disabled, with the reason next to it (and read
 * with it by screen readers). The API refuses the action anyway.
 */
export function GuardedButton({
  atom,
  children,
  id,
  ...props
}: {
  atom: PermissionAtom;
  id: string;
  children: ComponentChildren;
  type?: 'button' | 'submit';
  class?: string;
  onClick?: () => void;
  disabled?: boolean;
}) {
  const { can } = useSession();
  const allowed = can(atom);
  return (
    <span class="guarded">
      <button
        {...props}
        type={props.type ?? 'button'}
        disabled={!allowed || props.disabled}
        aria-describedby={allowed ? undefined : `${id}-why`}
      >
        {children}
      </button>
      {!allowed && (
        <span id={`${id}-why`} class="hint">
          {needs(atom)}
        </span>
      )}
    </span>
  );
}

/** Checkboxes for permission atoms; atoms outside `allowed` are shown disabled. */
export function AtomCheckboxes({
  legend,
  value,
  onChange,
  allowed,
  name,
}: {
  legend: string;
  value: PermissionAtom[];
  onChange: (atoms: PermissionAtom[]) => void;
  allowed?: (atom: PermissionAtom) => boolean;
  name: string;
}) {
  return (
    <fieldset class="atoms">
      <legend>{legend}</legend>
      {PERMISSION_ATOMS.map((atom) => (
        <label key={atom} class="check">
          <input
            type="checkbox"
            name={name}
            value={atom}
            checked={value.includes(atom)}
            disabled={allowed ? !allowed(atom) : false}
            onChange={(event) => {
              const on = (event.currentTarget as HTMLInputElement).checked;
              onChange(on ? [...value, atom] : value.filter((a) => a !== atom));
            }}
          />
          {PERMISSION_LABELS[atom]}
        </label>
      ))}
    </fieldset>
  );
}

export const atomList = (atoms: readonly PermissionAtom[] | null, all = 'All of the owner’s') =>
  atoms === null ? all : atoms.map((atom) => PERMISSION_LABELS[atom] ?? atom).join(', ') || 'None';

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : 'Never');

export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · tunnel-service console`;
  }, [title]);
  return (
    <>
      <h1>{title}</h1>
      {children}
    </>
  );
}

/** A table that scrolls sideways on narrow screens; focusable, so keyboard users can scroll it too. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
