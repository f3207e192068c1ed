import { Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/** A signed-in browser. The cookie carries a random token; only its hash is stored. */
const BROWSER_SESSIONS = new Table('browser_sessions', {
  id_hash: text,
  member_id: text,
  organization_id: text,
  csrf_token: text,
  created_at: text,
  expires_at: text,
});
export type BrowserSessionRow = RowOf<typeof BROWSER_SESSIONS>;

export interface BrowserSessionRepository {
  create(session: BrowserSessionRow): Promise<void>;
  /** Found by the hash of the cookie's token; expired sessions included until deleted. */
  get(idHash: string): Promise<BrowserSessionRow | undefined>;
  delete(idHash: string): Promise<void>;
  /** Drops sessions that expired before `at`. */
  deleteExpired(at: string): Promise<void>;
}

export function sqlBrowserSessions(sql: SqlRunner): BrowserSessionRepository {
  return {
    create: (session) => BROWSER_SESSIONS.insert(sql, session),
    get: (idHash) => BROWSER_SESSIONS.one(sql, 'WHERE id_hash = ?', [idHash]),
    delete: async (idHash) => {
      await sql.run('DELETE FROM browser_sessions WHERE id_hash = ?', [idHash]);
    },
    deleteExpired: async (at) => {
      await sql.run('DELETE FROM browser_sessions WHERE expires_at < ?', [at]);
    },
  };
}
