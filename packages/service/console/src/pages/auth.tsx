import { useState } from 'preact/hooks';
import { call } from '../api.ts';
import { ErrorNote, Page } from '../components/common.tsx';
import type { Session } from '../types.ts';

type SignedIn = { onSignedIn: (session: Session) => void };

const MIN_PASSWORD = 12;

/** Runs a form's request, keeping its error for display and its button busy meanwhile. */
function useSubmit() {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = (run: () => Promise<void>) => async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await run();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, submit };
}

function PasswordField({
  id,
  value,
  onInput,
  autocomplete,
}: {
  id: string;
  value: string;
  onInput: (value: string) => void;
  autocomplete: 'new-password' | 'current-password';
}) {
  const isNew = autocomplete === 'new-password';
  return (
    <div class="field">
      <label for={id}>Password</label>
      <input
        id={id}
        type="password"
        required
        minLength={isNew ? MIN_PASSWORD : undefined}
        autocomplete={autocomplete}
        aria-describedby={isNew ? `${id}-hint` : undefined}
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
      {isNew && (
        <span id={`${id}-hint`} class="hint">
          At least {MIN_PASSWORD} characters.
        </span>
      )}
    </div>
  );
}

function TextField({
  id,
  label,
  value,
  onInput,
  type = 'text',
  autocomplete,
}: {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'email';
  autocomplete?: string;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {type === 'email' ? (
        <input
          id={id}
          type="email"
          required
          autocomplete={autocomplete}
          value={value}
          onInput={(e) => onInput(e.currentTarget.value)}
        />
      ) : (
        <input
          id={id}
          type="text"
          required
          autocomplete={autocomplete}
          value={value}
          onInput={(e) => onInput(e.currentTarget.value)}
        />
      )}
    </div>
  );
}

export function SetupPage({ onSignedIn }: SignedIn) {
  const [ownerKey, setOwnerKey] = useState('');
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useSubmit();
  const onSubmit = submit(async () => {
    const session = await call<Session>(
      'POST',
      '/v1/auth/setup',
      { email, name, password },
      {
        authorization: `Bearer ${ownerKey.trim()}`,
      },
    );
    onSignedIn(session);
  });
  return (
    <Page title="Set up the owner's sign-in">
      <p>
        This service has no sign-in yet. Paste the owner key that tunnel-service printed when it first started
        (or wrote to its owner key file), then choose the owner's email and password.
      </p>
      <form class="card narrow" onSubmit={onSubmit}>
        <div class="field">
          <label for="setup-key">Owner key</label>
          <input
            id="setup-key"
            type="password"
            required
            autocomplete="off"
            value={ownerKey}
            onInput={(e) => setOwnerKey(e.currentTarget.value)}
          />
        </div>
        <TextField id="setup-name" label="Your name" value={name} onInput={setName} autocomplete="name" />
        <TextField
          id="setup-email"
          label="Email"
          type="email"
          value={email}
          onInput={setEmail}
          autocomplete="email"
        />
        <PasswordField
          id="setup-password"
          value={password}
          onInput={setPassword}
          autocomplete="new-password"
        />
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Create owner sign-in
        </button>
      </form>
    </Page>
  );
}

export function SignInPage({ onSignedIn }: SignedIn) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useSubmit();
  const onSubmit = submit(async () =>
    onSignedIn(await call<Session>('POST', '/v1/auth/sign_in', { email, password })),
  );
  return (
    <Page title="Sign in">
      <form class="card narrow" onSubmit={onSubmit}>
        <TextField
          id="sign-in-email"
          label="Email"
          type="email"
          value={email}
          onInput={setEmail}
          autocomplete="username"
        />
        <PasswordField
          id="sign-in-password"
          value={password}
          onInput={setPassword}
          autocomplete="current-password"
        />
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </Page>
  );
}

export function AcceptInvitationPage({ token, onSignedIn }: SignedIn & { token: string }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useSubmit();
  const onSubmit = submit(async () =>
    onSignedIn(await call<Session>('POST', '/v1/auth/accept_invitation', { token, name, password })),
  );
  if (!token)
    return (
      <Page title="Accept invitation">
        <p role="alert" class="error">
          This link has no invitation token. Open the whole link you were sent; it ends with #/accept?token=….
        </p>
      </Page>
    );
  return (
    <Page title="Accept invitation">
      <p>Choose the name others will see and a password to sign in with.</p>
      <form class="card narrow" onSubmit={onSubmit}>
        <TextField id="accept-name" label="Your name" value={name} onInput={setName} autocomplete="name" />
        <PasswordField
          id="accept-password"
          value={password}
          onInput={setPassword}
          autocomplete="new-password"
        />
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Join the organization
        </button>
      </form>
    </Page>
  );
}
