import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { call, errorText, setCsrfToken, whenSignedOut } from './api.ts';
import { navigate, useRoute, type Route } from './router.ts';
import { SessionContext, type SessionState } from './session.tsx';
import type { Session } from './types.ts';
import { AcceptInvitationPage, SetupPage, SignInPage } from './pages/auth.tsx';
import { TunnelsPage } from './pages/tunnels.tsx';
import { TunnelDetailsPage } from './pages/tunnel-details.tsx';
import { ApiKeysPage } from './pages/api-keys.tsx';
import { MembersPage } from './pages/members.tsx';
import { RolesPage } from './pages/roles.tsx';
import { AuditPage } from './pages/audit.tsx';
import { ConnectorsPage } from './pages/connectors.tsx';
import { ConnectorDetailsPage } from './pages/connector-details.tsx';
import { ApplicationsPage } from './pages/applications.tsx';
import { AuthorizePage } from './pages/authorize.tsx';

type Start =
  { kind: 'loading' } | { kind: 'failed'; message: string } | { kind: 'setup' } | { kind: 'signed-out' };

const SECTIONS = [
  ['tunnels', 'Tunnels'],
  ['connectors', 'Connectors'],
  ['applications', 'Applications'],
  ['api-keys', 'API keys'],
  ['members', 'Members'],
  ['roles', 'Roles'],
  ['audit', 'Audit log'],
] as const;

/** Sections whose table has more columns than the usual page width holds: they take the screen's width. */
const WIDE_SECTIONS = new Set(['audit']);

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(null);
  const [start, setStart] = useState<Start>({ kind: 'loading' });

  const signedIn = useCallback(
    (next: Session) => {
      setCsrfToken(next.csrf_token);
      setSession(next);
      if (['', 'sign-in', 'setup', 'accept'].includes(route.segments[0] ?? '')) navigate('tunnels');
    },
    [route],
  );

  useEffect(() => {
    whenSignedOut(() => {
      setSession(null);
      setStart({ kind: 'signed-out' });
    });
    (async () => {
      const state = await call<{ setup_required: boolean }>('GET', '/v1/auth/state');
      if (state.setup_required) return setStart({ kind: 'setup' });
      try {
        const current = await call<Session>('GET', '/v1/auth/session');
        setCsrfToken(current.csrf_token);
        setSession(current);
      } catch {
        setStart({ kind: 'signed-out' });
      }
    })().catch((error: unknown) => setStart({ kind: 'failed', message: errorText(error) }));
  }, []);

  const state = useMemo<SessionState | null>(() => {
    if (!session) return null;
    const held = new Set<string>(session.permissions);
    return {
      session,
      can: (atom) => held.has(atom),
      signOut: async () => {
        await call('POST', '/v1/auth/sign_out').catch(() => undefined);
        setCsrfToken('');
        setSession(null);
        setStart({ kind: 'signed-out' });
        navigate('sign-in');
      },
    };
  }, [session]);

  if (route.segments[0] === 'accept' && !state)
    return (
      <Frame>
        <AcceptInvitationPage token={route.query.get('token') ?? ''} onSignedIn={signedIn} />
      </Frame>
    );
  if (!state) {
    if (start.kind === 'loading')
      return (
        <Frame>
          <p role="status">Loading…</p>
        </Frame>
      );
    if (start.kind === 'failed')
      return (
        <Frame>
          <p role="alert" class="error">
            The console could not reach the service: {start.message}
          </p>
        </Frame>
      );
    if (start.kind === 'setup')
      return (
        <Frame>
          <SetupPage onSignedIn={signedIn} />
        </Frame>
      );
    return (
      <Frame>
        {route.segments[0] === 'authorize' && (
          <p role="status">An application asks to use one of your tunnels: sign in to review the request.</p>
        )}
        <SignInPage onSignedIn={signedIn} />
      </Frame>
    );
  }
  return (
    <SessionContext.Provider value={state}>
      <Frame signedIn={state} current={route.segments[0] ?? 'tunnels'}>
        <Content route={route} />
      </Frame>
    </SessionContext.Provider>
  );
}

function Content({ route }: { route: Route }) {
  const [section = 'tunnels', id] = route.segments;
  switch (section) {
    case 'tunnels':
      return id ? <TunnelDetailsPage id={id} /> : <TunnelsPage />;
    case 'connectors':
      return id ? <ConnectorDetailsPage id={id} /> : <ConnectorsPage />;
    case 'applications':
      return <ApplicationsPage />;
    case 'authorize':
      return <AuthorizePage query={route.query} />;
    case 'api-keys':
      return <ApiKeysPage />;
    case 'members':
      return <MembersPage />;
    case 'roles':
      return <RolesPage />;
    case 'audit':
      return <AuditPage />;
    default:
      return <TunnelsPage />;
  }
}

function Frame({
  children,
  signedIn,
  current,
}: {
  children: preact.ComponentChildren;
  signedIn?: SessionState;
  current?: string;
}) {
  return (
    <>
      <header class="top">
        <a class="brand" href="#/tunnels">
          tunnel-service
        </a>
        {signedIn && (
          <>
            <nav aria-label="Console sections">
              <ul>
                {SECTIONS.map(([path, label]) => (
                  <li key={path}>
                    <a href={`#/${path}`} aria-current={current === path ? 'page' : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <div class="who">
              <span>
                {signedIn.session.member.name}
                {signedIn.session.organization.name ? ` · ${signedIn.session.organization.name}` : ''}
              </span>
              <button type="button" class="small" onClick={() => void signedIn.signOut()}>
                Sign out
              </button>
            </div>
          </>
        )}
      </header>
      <main class={current && WIDE_SECTIONS.has(current) ? 'wide' : undefined}>{children}</main>
    </>
  );
}
