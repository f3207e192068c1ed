import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { PermissionAtom } from './permissions.ts';
import type { Session } from './types.ts';

export interface SessionState {
  session: Session;
  can: (atom: PermissionAtom) => boolean;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession is used outside the signed-in console');
  return state;
}
