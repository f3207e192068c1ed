import { createHash, randomBytes } from 'node:crypto';
import type { BrowserSessionRow } from '../store/repositories/browser-sessions.ts';
import type { MemberRow } from '../store/repositories/members.ts';
import type { Store } from '../store/types.ts';

export { SESSION_COOKIE } from '@mcp-tunnel/protocol';
/** A browser sign-in lasts this long; then the member signs in again. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

export const hashSessionToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** Opens a session for the member: the cookie token (never stored) and the row (with its CSRF token). */
export async function openBrowserSession(
  store: Store,
  member: MemberRow,
): Promise<{ token: string; session: BrowserSessionRow }> {
  const token = randomBytes(32).toString('base64url');
  const now = Date.now();
  const session: BrowserSessionRow = {
    id_hash: hashSessionToken(token),
    member_id: member.id,
    organization_id: member.organization_id,
    csrf_token: randomBytes(24).toString('base64url'),
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + SESSION_LIFETIME_MS).toISOString(),
  };
  // Sessions nobody signed out of would otherwise stay forever; each sign-in sweeps the expired ones.
  await store.browserSessions.deleteExpired(session.created_at);
  await store.browserSessions.create(session);
  return { token, session };
}
