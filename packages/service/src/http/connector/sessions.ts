import { randomBytes } from 'node:crypto';
import { HEADER, headerValue, JSONRPC_SERVER_ERROR, type TunnelResponsePayload } from '@mcp-tunnel/protocol';
import type { Store } from '../../store/types.ts';
import { nowIso } from '../../store/ids.ts';
import { JsonRpcRefusal } from '../errors.ts';

/**
 * A session's last use is written at most this often: every call carries its session id, and a write per
 * call (a SQLite commit, a PostgreSQL round trip) would cost more than the call itself.
 */
const TOUCH_INTERVAL_MS = 10_000;

/**
 * The connector's session table. Sessions are recorded at `initialize`; when the MCP server's binding has no
 * sessions of its own (stdio), the service mints the id so the session can be terminated and shown.
 */
export class ConnectorSessions {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Refuses a session id the service knows to be ended, or unknown on a channel whose ids the service mints. */
  async check(tunnelId: string, channel: string, sessionId: string): Promise<void> {
    const session = await this.#store.mcpSessions.get(tunnelId, sessionId);
    const unknown = !session || session.channel !== channel;
    if (session && !unknown && !session.ended_at) {
      if (Date.now() - Date.parse(session.last_used_at) >= TOUCH_INTERVAL_MS)
        await this.#store.mcpSessions.touch(tunnelId, sessionId, nowIso());
      return;
    }
    if (unknown && !(await this.#store.mcpSessions.hasMinted(tunnelId, channel))) return;
    throw new JsonRpcRefusal(
      404,
      JSONRPC_SERVER_ERROR,
      `Session not found: Mcp-Session-Id ${JSON.stringify(sessionId)} ${session?.ended_at ? 'was terminated' : 'is unknown on this tunnel and channel'}. Start a new session with an initialize request (without Mcp-Session-Id).`,
    );
  }

  /**
   * Records the session an `initialize` answer opened. Returns the id the service minted, if it had to,
   * for the caller's response headers.
   */
  async opened(
    tunnelId: string,
    channel: string,
    payload: TunnelResponsePayload,
  ): Promise<string | undefined> {
    const at = nowIso();
    const upstream = headerValue(payload.resp_headers, HEADER.mcpSessionId);
    const id = upstream ?? randomBytes(24).toString('hex');
    if (upstream && (await this.#store.mcpSessions.get(tunnelId, upstream))) return undefined;
    await this.#store.mcpSessions.create({
      id,
      tunnel_id: tunnelId,
      channel,
      minted: !upstream,
      created_at: at,
      last_used_at: at,
      ended_at: null,
    });
    return upstream ? undefined : id;
  }

  async ended(tunnelId: string, sessionId: string): Promise<void> {
    await this.#store.mcpSessions.end(tunnelId, sessionId, nowIso());
  }
}
