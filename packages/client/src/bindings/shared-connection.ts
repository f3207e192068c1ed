import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { jsonRpcKind, type JsonRpcMessage, type WireHeaders } from '@mcp-tunnel/protocol';
import type { Logger } from '../observability/logger.ts';
import type { ChannelStatus } from '../observability/status.ts';
import {
  BindingFailure,
  abortError,
  unexpectedAnswer,
  type Binding,
  type ServerReply,
  type BindingRequest,
  type OpenStream,
  type StreamRequest,
} from './binding.ts';
import { ServerLifecycle, initializeRequest } from './lifecycle.ts';
import { Multiplexer } from './multiplexer.ts';

/** Opens a fresh, not yet started connection to the server. */
export interface Connector {
  kind: 'stdio' | 'memory';
  open(): Promise<Transport>;
  /** Whether a closed connection is opened again (a process that exited is restarted). */
  restarts: boolean;
  onRestart?: () => void;
  /** How long a request waits for a starting or restarting server (mcp.server_wait_timeout). */
  startupWaitMs?: number;
}

const HANDSHAKE_TIMEOUT_MS = 30_000;
const WAIT_FOR_SERVER_MS = 10_000;
const RESTART_MIN_MS = 250;
const RESTART_MAX_MS = 30_000;
/** A connection that lived this long resets the restart backoff. */
const STABLE_MS = 10_000;
const OWN_SESSION = '\u0001tunnel-client';
const JSON_HEADERS: WireHeaders = { 'Content-Type': ['application/json'] };

/**
 * A binding over one long-lived server connection shared by every caller session (a stdio child or an
 * in-process server). The binding runs its own initialize handshake when a connection opens, so that
 * readiness is true and a restarted server is initialized before callers reach it; callers' own
 * initialize requests are forwarded to the server too (so it learns their capabilities) and answered
 * by it.
 */
export class SharedConnectionBinding implements Binding {
  readonly channel: string;
  readonly kind: 'stdio' | 'memory';
  readonly procAffinity = true;
  private readonly connector: Connector;
  private readonly log: Logger;
  private readonly life: ServerLifecycle;
  private transport: Transport | undefined;
  private mux: Multiplexer | undefined;
  private lastInitializeParams: unknown;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private openedAt = 0;
  /** The last attempt to start the server failed: requests fail at once instead of waiting. */
  private startFailed = false;
  private readonly upWaiters = new Set<() => void>();
  /** Ends each open standalone stream; run when the connection closes, since its messages stop there. */
  private readonly streamEnds = new Set<() => void>();
  private restarts = 0;

  constructor(channel: string, connector: Connector, log: Logger) {
    this.channel = channel;
    this.kind = connector.kind;
    this.connector = connector;
    this.log = log;
    this.life = new ServerLifecycle({
      channel,
      kind: connector.kind,
      log,
      detail: 'starting the MCP server',
      retryMinMs: RESTART_MIN_MS,
      retryMaxMs: RESTART_MAX_MS,
    });
  }

  async start(): Promise<void> {
    void this.open();
  }

  status(): ChannelStatus {
    // A stdio transport knows its child's pid; an in-process server has none.
    const pid = (this.transport as { pid?: number | null } | undefined)?.pid ?? undefined;
    return this.life.status(this.kind === 'stdio' ? { pid, restarts: this.restarts } : {});
  }

  async send(request: BindingRequest): Promise<ServerReply> {
    const mux = await this.connected(request.signal);
    const { message } = request;
    if (jsonRpcKind(message) !== 'request') {
      if (!(await mux.write(message, request.sessionId))) return unexpectedAnswer(message);
      return { message: undefined, status: 202, headers: {} };
    }
    if (message.method === 'initialize') this.lastInitializeParams = message.params;
    const answer = await mux.request(message, request.sessionId, request.onMessage, request.signal);
    if (message.method === 'initialize' && answer.result) this.life.markReady();
    return { message: answer, status: 200, headers: JSON_HEADERS };
  }

  /**
   * A standalone stream hears the server's messages that belong to no request. The connection is shared by
   * every session, so every open stream hears all of them.
   */
  async openStream(request: StreamRequest): Promise<OpenStream> {
    const mux = await this.connected(request.signal);
    return mux.openStream(request, this.streamEnds);
  }

  /** A shared server has no per-session state to close. */
  async terminateSession(): Promise<ServerReply> {
    return { message: undefined, status: 204, headers: {} };
  }

  async close(): Promise<void> {
    this.life.stop();
    clearTimeout(this.handshakeTimer);
    for (const wake of this.upWaiters) wake();
    const transport = this.transport;
    this.transport = undefined;
    this.mux?.failAll(
      new BindingFailure(
        { source: 'transport_closed', kind: 'connection_closed' },
        'tunnel-client is stopping',
      ),
    );
    this.mux = undefined;
    for (const end of [...this.streamEnds]) end();
    await transport?.close().catch(() => {});
  }

  private async open(): Promise<void> {
    if (this.life.stopped) return;
    let transport: Transport;
    try {
      transport = await this.connector.open();
      const mux = new Multiplexer(transport, this.log);
      transport.onclose = () => this.onClosed(transport);
      await transport.start();
      if (this.life.stopped) {
        await transport.close().catch(() => {});
        return;
      }
      this.transport = transport;
      this.mux = mux;
    } catch (error) {
      this.startFailed = true;
      this.life.startFailed(
        `the MCP server could not be started (${(error as NodeJS.ErrnoException).code ?? (error as Error).name})`,
      );
      this.scheduleRestart();
      return;
    }
    this.startFailed = false;
    this.openedAt = performance.now();
    this.life.progress('waiting for the answer to initialize');
    for (const wake of this.upWaiters) wake();
    void this.handshake();
  }

  private async handshake(): Promise<void> {
    const mux = this.mux;
    if (!mux || this.life.stopped) return;
    const signal = AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS);
    try {
      const answer = await mux.request(
        initializeRequest(this.lastInitializeParams),
        OWN_SESSION,
        () => {},
        signal,
      );
      if (!answer.result)
        return this.life.notReady('the MCP server refused initialize', 'MCP server refused initialize', {
          error: answer.error,
        });
      await mux.write({ jsonrpc: '2.0', method: 'notifications/initialized' } as JsonRpcMessage, OWN_SESSION);
      this.life.markReady();
    } catch {
      if (mux !== this.mux || this.life.stopped) return;
      this.life.notReady(
        signal.aborted
          ? `the MCP server did not answer initialize within ${HANDSHAKE_TIMEOUT_MS / 1000} s`
          : 'the MCP server closed before answering initialize',
      );
      if (signal.aborted) this.handshakeTimer = setTimeout(() => void this.handshake(), HANDSHAKE_TIMEOUT_MS);
    }
  }

  private onClosed(transport: Transport): void {
    if (transport !== this.transport) return;
    this.transport = undefined;
    const mux = this.mux;
    this.mux = undefined;
    clearTimeout(this.handshakeTimer);
    for (const end of [...this.streamEnds]) end();
    mux?.failAll(new BindingFailure({ source: 'transport_closed', kind: 'eof' }, 'the MCP server exited'));
    if (this.life.stopped) return;
    const detail = this.connector.restarts ? 'the MCP server exited; restarting' : 'the MCP server closed';
    this.life.notReady(detail, detail);
    if (performance.now() - this.openedAt > STABLE_MS) this.life.resetBackoff();
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (!this.connector.restarts) return;
    this.life.retryLater(() => {
      this.restarts += 1;
      this.connector.onRestart?.();
      void this.open();
    });
  }

  /** Waits briefly for a connection: a request that arrives during a restart need not fail. */
  private async connected(signal: AbortSignal): Promise<Multiplexer> {
    if (this.mux) return this.mux;
    if (this.startFailed)
      throw new BindingFailure({ source: 'connect', kind: 'dial' }, 'the MCP server is not running');
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.upWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.connector.startupWaitMs ?? WAIT_FOR_SERVER_MS);
      signal.addEventListener('abort', done, { once: true });
      this.upWaiters.add(done);
    });
    if (signal.aborted) throw abortError(signal);
    if (!this.mux)
      throw new BindingFailure({ source: 'connect', kind: 'dial' }, 'the MCP server is not running');
    return this.mux;
  }
}
