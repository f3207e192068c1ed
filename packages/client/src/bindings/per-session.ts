import { randomBytes } from 'node:crypto';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  HEADER,
  JSONRPC_INVALID_REQUEST,
  JSONRPC_SERVER_ERROR,
  jsonRpcError,
  jsonRpcKind,
  type JsonRpcId,
  type JsonRpcMessage,
  type WireHeaders,
} from '@mcp-tunnel/protocol';
import type { Logger } from '../observability/logger.ts';
import type { ChannelStatus } from '../observability/status.ts';
import {
  BindingFailure,
  unexpectedAnswer,
  type Binding,
  type ServerReply,
  type BindingRequest,
  type OpenStream,
  type StreamRequest,
} from './binding.ts';
import { ServerLifecycle, initializeRequest } from './lifecycle.ts';
import { Multiplexer } from './multiplexer.ts';

const JSON_HEADERS: WireHeaders = { 'Content-Type': ['application/json'] };
const PROBE_TIMEOUT_MS = 30_000;
const PROBE_RETRY_MIN_MS = 500;
const PROBE_RETRY_MAX_MS = 30_000;

/** The cap on per-session children running at once, shared by every per_session channel of a client. */
export class SessionProcessBudget {
  readonly limit: number;
  running = 0;
  constructor(limit: number) {
    this.limit = limit;
  }
}

interface SessionChild {
  transport: Transport;
  mux: Multiplexer;
  idleTimer: NodeJS.Timeout | undefined;
  /** Ends the session's open standalone streams when the child goes. */
  streamEnds: Set<() => void>;
}

export interface PerSessionOptions {
  channel: string;
  /** Opens a fresh, not yet started connection to a new child. */
  open: () => Promise<Transport>;
  log: Logger;
  idleTimeoutMs: number;
  budget: SessionProcessBudget;
}

function reply(message: JsonRpcMessage, status: number, headers: WireHeaders = JSON_HEADERS): ServerReply {
  return { message, status, headers };
}

/**
 * One child per MCP session, for stdio servers that keep per-client state. A caller's `initialize` starts
 * a child and opens a session whose id this binding mints (like a Streamable HTTP server's); DELETE, the
 * child's exit or an idle timeout end it. Like a Streamable HTTP server, it answers 404 for a session it
 * does not know, so callers start again with initialize.
 */
export class PerSessionBinding implements Binding {
  readonly channel: string;
  readonly kind = 'stdio' as const;
  readonly procAffinity = true;
  private readonly options: PerSessionOptions;
  private readonly log: Logger;
  private readonly sessions = new Map<string, SessionChild>();
  private readonly life: ServerLifecycle;

  constructor(options: PerSessionOptions) {
    this.channel = options.channel;
    this.options = options;
    this.log = options.log;
    this.life = new ServerLifecycle({
      channel: options.channel,
      kind: this.kind,
      log: options.log,
      detail: 'checking that the MCP server command answers initialize',
      retryMinMs: PROBE_RETRY_MIN_MS,
      retryMaxMs: PROBE_RETRY_MAX_MS,
    });
  }

  async start(): Promise<void> {
    void this.life.probeUntilReady((signal) => this.probe(signal), PROBE_TIMEOUT_MS);
  }

  status(): ChannelStatus {
    if (!this.life.ready) return this.life.status();
    return this.life.status({
      detail: `answered initialize; one process per MCP session (${this.sessions.size} running)`,
    });
  }

  async send(request: BindingRequest): Promise<ServerReply> {
    const { message } = request;
    const kind = jsonRpcKind(message);
    if (kind === 'request' && message.method === 'initialize') return this.openSession(request);
    const id = kind === 'request' ? (message.id as JsonRpcId) : null;
    if (!request.sessionId)
      return reply(
        jsonRpcError(
          id,
          JSONRPC_INVALID_REQUEST,
          'Bad Request: Mcp-Session-Id header is required; start a session with initialize first.',
        ),
        400,
      );
    const child = this.sessions.get(request.sessionId);
    if (!child) return reply(jsonRpcError(id, -32001, 'Session not found'), 404);
    this.touch(request.sessionId, child);
    try {
      if (kind !== 'request') {
        if (!(await child.mux.write(message, request.sessionId))) return unexpectedAnswer(message);
        return { message: undefined, status: 202, headers: {} };
      }
      const answer = await child.mux.request(message, request.sessionId, request.onMessage, request.signal);
      return reply(answer, 200);
    } finally {
      this.touch(request.sessionId, child);
    }
  }

  /** A session's standalone stream hears its own child's messages that belong to no request. */
  async openStream(request: StreamRequest): Promise<OpenStream> {
    const child = request.sessionId === undefined ? undefined : this.sessions.get(request.sessionId);
    if (!child)
      throw new BindingFailure({ source: 'target_http', upstreamStatus: 404 }, 'no such MCP session');
    return child.mux.openStream(request, child.streamEnds);
  }

  async terminateSession(sessionId: string | undefined): Promise<ServerReply> {
    const child = sessionId === undefined ? undefined : this.sessions.get(sessionId);
    if (!child) return { message: undefined, status: 404, headers: {} };
    await this.end(sessionId!, 'the caller ended the session');
    return { message: undefined, status: 204, headers: {} };
  }

  async close(): Promise<void> {
    this.life.stop();
    await Promise.allSettled(
      [...this.sessions.keys()].map((id) => this.end(id, 'tunnel-client is stopping')),
    );
  }

  private async openSession(request: BindingRequest): Promise<ServerReply> {
    const { budget } = this.options;
    const id = request.message.id as JsonRpcId;
    if (budget.running >= budget.limit) {
      this.log.warn({ limit: budget.limit }, 'refused a new MCP session: too many session processes');
      return reply(
        jsonRpcError(
          id,
          JSONRPC_SERVER_ERROR,
          `This tunnel-client already runs ${budget.limit} MCP server processes, one per session (mcp.max_session_processes). End an unused session (HTTP DELETE), wait for idle sessions to time out (mcp.session_idle_timeout), or raise mcp.max_session_processes.`,
          { reason: 'session_process_limit', limit: budget.limit },
        ),
        503,
      );
    }
    budget.running += 1;
    let child: SessionChild;
    try {
      child = await this.spawn();
    } catch (error) {
      budget.running -= 1;
      throw error;
    }
    const sessionId = randomBytes(24).toString('hex');
    this.sessions.set(sessionId, child);
    child.transport.onclose = () => void this.end(sessionId, 'the MCP server process exited');
    let answer: JsonRpcMessage;
    try {
      answer = await child.mux.request(request.message, sessionId, request.onMessage, request.signal);
    } catch (error) {
      await this.end(sessionId, 'initialize failed');
      throw error;
    }
    if (!answer.result) {
      await this.end(sessionId, 'the MCP server refused initialize');
      return reply(answer, 200);
    }
    this.life.markReady();
    this.touch(sessionId, child);
    this.log.info({ sessions: this.sessions.size }, 'started an MCP server process for a new session');
    return reply(answer, 200, { ...JSON_HEADERS, [HEADER.mcpSessionId]: [sessionId] });
  }

  private async spawn(): Promise<SessionChild> {
    let transport: Transport;
    try {
      transport = await this.options.open();
      const mux = new Multiplexer(transport, this.log);
      await transport.start();
      return { transport, mux, idleTimer: undefined, streamEnds: new Set() };
    } catch (error) {
      this.log.error(
        { reason: (error as NodeJS.ErrnoException).code ?? (error as Error).name },
        'MCP server process could not be started',
      );
      throw new BindingFailure({ source: 'connect', kind: 'dial' }, 'the MCP server could not be started');
    }
  }

  /** Restarts the idle clock; a session with requests in flight is not idle. */
  private touch(sessionId: string, child: SessionChild): void {
    clearTimeout(child.idleTimer);
    if (this.sessions.get(sessionId) !== child) return;
    child.idleTimer = setTimeout(() => {
      if (child.mux.inFlight > 0) return this.touch(sessionId, child);
      void this.end(sessionId, `the session was idle for ${this.options.idleTimeoutMs / 1000} s`);
    }, this.options.idleTimeoutMs);
    child.idleTimer.unref();
  }

  private async end(sessionId: string, why: string): Promise<void> {
    const child = this.sessions.get(sessionId);
    if (!child) return;
    this.sessions.delete(sessionId);
    this.options.budget.running -= 1;
    clearTimeout(child.idleTimer);
    for (const endStream of [...child.streamEnds]) endStream();
    child.mux.failAll(
      new BindingFailure({ source: 'transport_closed', kind: 'eof' }, 'the session process ended'),
    );
    child.transport.onclose = undefined;
    await child.transport.close().catch(() => {});
    this.log.info(
      { reason: why, sessions: this.sessions.size },
      'stopped the MCP server process of a session',
    );
  }

  /**
   * Checks, for readiness, that the command starts and answers initialize; the probe's child is stopped.
   * Resolves undefined when it answered, else with what the status says.
   */
  private async probe(signal: AbortSignal): Promise<string | undefined> {
    let child: SessionChild | undefined;
    try {
      child = await this.spawn();
      const answer = await child.mux.request(initializeRequest(), undefined, () => {}, signal);
      return answer.result ? undefined : 'the MCP server refused initialize';
    } catch {
      return 'the MCP server did not answer initialize';
    } finally {
      await child?.transport.close().catch(() => {});
    }
  }
}
