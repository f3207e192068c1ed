import { Table, text } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/** A signed-in browser. The cookie carries a random token; only its hash is stored. */
export interface BrowserSessionRow {
  id_hash: string;
  member_id: string;
  organization_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface BrowserSessionRepository {
  create(session: BrowserSessionRow): Promise<void>;
  /** Found by the hash of the cookie's token; expired sessions included until deleted. */
  get(idHash: string): Promise<BrowserSessionRow | undefined>;
  delete(idHash: string): Promise<void>;
  /** Drops sessions that expired before `at`. */
  deleteExpired(at: string): Promise<void>;
}

const BROWSER_SESSIONS = new Table<BrowserSessionRow>('browser_sessions', {
  id_hash: text,
  member_id: text,
  organization_id: text,
  csrf_token: text,
  created_at: text,
  expires_at: text,
});

export class SqlBrowserSessionRepository implements BrowserSessionRepository {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async create(session: BrowserSessionRow): Promise<void> {
    await BROWSER_SESSIONS.insert(this.#sql, session);
  }

  async get(idHash: string): Promise<BrowserSessionRow | undefined> {
    return BROWSER_SESSIONS.one(this.#sql, 'WHERE id_hash = ?', [idHash]);
  }

  async delete(idHash: string): Promise<void> {
    await this.#sql.run('DELETE FROM browser_sessions WHERE id_hash = ?', [idHash]);
  }

  async deleteExpired(at: string): Promise<void> {
    await this.#sql.run('DELETE FROM browser_sessions WHERE expires_at < ?', [at]);
  }
}
