import { flag, nullable, Table, text } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/** An MCP session opened through a tunnel's connector endpoint; ids are unique within a tunnel. */
export interface McpSessionRow {
  id: string;
  tunnel_id: string;
  channel: string;
  /** true when the service minted the id because the MCP server's binding has no sessions of its own. */
  minted: boolean;
  created_at: string;
  last_used_at: string;
  ended_at: string | null;
}

export interface McpSessionRepository {
  create(session: McpSessionRow): Promise<void>;
  get(tunnelId: string, id: string): Promise<McpSessionRow | undefined>;
  /** Sessions not ended, most recently used first. */
  listOpen(tunnelId: string, limit: number): Promise<McpSessionRow[]>;
  /** Whether the service ever minted a session id for this tunnel and channel. */
  hasMinted(tunnelId: string, channel: string): Promise<boolean>;
  touch(tunnelId: string, id: string, at: string): Promise<void>;
  /** Ends the session unless it already is; the first end's time stays. */
  end(tunnelId: string, id: string, at: string): Promise<void>;
}

const MCP_SESSIONS = new Table<McpSessionRow>('mcp_sessions', {
  id: text,
  tunnel_id: text,
  channel: text,
  minted: flag,
  created_at: text,
  last_used_at: text,
  ended_at: nullable(text),
});

export class SqlMcpSessionRepository implements McpSessionRepository {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async create(session: McpSessionRow): Promise<void> {
    await MCP_SESSIONS.insert(this.#sql, session);
  }

  async get(tunnelId: string, id: string): Promise<McpSessionRow | undefined> {
    return MCP_SESSIONS.one(this.#sql, 'WHERE tunnel_id = ? AND id = ?', [tunnelId, id]);
  }

  async listOpen(tunnelId: string, limit: number): Promise<McpSessionRow[]> {
    return MCP_SESSIONS.all(
      this.#sql,
      'WHERE tunnel_id = ? AND ended_at IS NULL ORDER BY last_used_at DESC LIMIT ?',
      [tunnelId, limit],
    );
  }

  async hasMinted(tunnelId: string, channel: string): Promise<boolean> {
    const row = await this.#sql.one(
      'SELECT 1 AS x FROM mcp_sessions WHERE tunnel_id = ? AND channel = ? AND minted = ? LIMIT 1',
      [tunnelId, channel, flag.write(true)],
    );
    return row !== undefined;
  }

  async touch(tunnelId: string, id: string, at: string): Promise<void> {
    await this.#sql.run('UPDATE mcp_sessions SET last_used_at = ? WHERE tunnel_id = ? AND id = ?', [
      at,
      tunnelId,
      id,
    ]);
  }

  async end(tunnelId: string, id: string, at: string): Promise<void> {
    await this.#sql.run(
      'UPDATE mcp_sessions SET ended_at = ? WHERE tunnel_id = ? AND id = ? AND ended_at IS NULL',
      [at, tunnelId, id],
    );
  }
}
