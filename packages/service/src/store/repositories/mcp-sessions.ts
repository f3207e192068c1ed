import { flag, nullable, Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/** An MCP session opened through a tunnel's connector endpoint; ids are unique within a tunnel. */
const MCP_SESSIONS = new Table('mcp_sessions', {
  id: text,
  tunnel_id: text,
  channel: text,
  /** true when the service minted the id because the MCP server's binding has no sessions of its own. */
  minted: flag,
  created_at: text,
  last_used_at: text,
  ended_at: nullable(text),
});
export type McpSessionRow = RowOf<typeof MCP_SESSIONS>;

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

export function sqlMcpSessions(sql: SqlRunner): McpSessionRepository {
  return {
    create: (session) => MCP_SESSIONS.insert(sql, session),
    get: (tunnelId, id) => MCP_SESSIONS.one(sql, 'WHERE tunnel_id = ? AND id = ?', [tunnelId, id]),
    listOpen: (tunnelId, limit) =>
      MCP_SESSIONS.all(sql, 'WHERE tunnel_id = ? AND ended_at IS NULL ORDER BY last_used_at DESC LIMIT ?', [
        tunnelId,
        limit,
      ]),
    hasMinted: async (tunnelId, channel) => {
      const row = await sql.one(
        'SELECT 1 AS x FROM mcp_sessions WHERE tunnel_id = ? AND channel = ? AND minted = ? LIMIT 1',
        [tunnelId, channel, flag.write(true)],
      );
      return row !== undefined;
    },
    touch: async (tunnelId, id, at) => {
      await sql.run('UPDATE mcp_sessions SET last_used_at = ? WHERE tunnel_id = ? AND id = ?', [
        at,
        tunnelId,
        id,
      ]);
    },
    end: async (tunnelId, id, at) => {
      await sql.run(
        'UPDATE mcp_sessions SET ended_at = ? WHERE tunnel_id = ? AND id = ? AND ended_at IS NULL',
        [at, tunnelId, id],
      );
    },
  };
}
