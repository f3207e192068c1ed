import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { jsonRpcKind, type JsonRpcMessage, type WireHeaders } from '@mcp-tunnel/protocol';
import { CLIENT_NAME, CLIENT_VERSION } from '../base/version.ts';
import type { Logger } from '../observability/logger.ts';
import type { ChannelStatus } from '../observability/status.ts';
import {
  BindingFailure,
  unexpectedAnswer,
  type Binding,
  type BindingRequest,
  type OpenStream,
  type ServerReply,
  type StreamRequest,
} from './binding.ts';
import { Multiplexer } from './multiplexer.ts';

/** The per-request envelope key that claims a protocol revision (2026-07-28 and later). */
export const PROTOCOL_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';
const MODERN_REVISION = '2026-07-28';
const JSON_HEADERS: WireHeaders = { 'Content-Type': ['application/json'] };
const PROBE_TIMEOUT_MS = 30_000;

interface Opened {
  transport: Transport;
  mux: Multiplexer;
}

/**
 * Whether a caller message belongs to the 2026-07-28 era: such callers put the per-request envelope in
 * every request and notification, 2025 callers never do (the `io.modelcontextprotocol/` prefix is
 * reserved), so the claim alone tells the eras apart, as the SDK's own stdio entry decides.
 */
export function claimsModernEra(message: JsonRpcMessage): boolean {
  const meta = (message.params as { _meta?: unknown } | undefined)?._meta;
  return typeof meta === 'object' && meta !== null && PROTOCOL_VERSION_META_KEY in meta;
}

/** The tunnel-client's own `server/discover`, enveloped as a 2026-07-28 client sends it. */
export function discoverRequest(): JsonRpcMessage {
  return {
    jsonrpc: '2.0',
    id: 0,
    method: 'server/discover',
    params: {
      _meta: {
        [PROTOCOL_VERSION_META_KEY]: MODERN_REVISION,
        'io.modelcontextprotocol/clientInfo': { name: CLIENT_NAME, version: CLIENT_VERSION },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  } as JsonRpcMessage;
}

/**
 * The connection to a stdio server that 2026-07-28 callers share. A stdio connection speaks one era for
 * its whole life (its opening message picks it, and the 2025 `initialize` the legacy connection opens
 * with pins that one to 2025), so modern callers get a child of their own: opened on first use, it
 * starts with whatever the first modern caller sends (normally `server/discover`), and every answer is
 * the server's own. The era has no sessions, so one child serves every modern caller; ids are rewritten
 * as on any shared connection. A child that exits is opened again by the next modern message.
 */
export class ModernConnection {
  private readonly open: () => Promise<Transport>;
  private readonly log: Logger;
  private connection: Promise<Opened> | undefined;
  private current: Opened | undefined;

  constructor(open: () => Promise<Transport>, log: Logger) {
    this.open = open;
    this.log = log.child({ era: MODERN_REVISION });
  }

  async send(request: BindingRequest): Promise<ServerReply> {
    const { mux } = await this.connected();
    const { message } = request;
    if (jsonRpcKind(message) !== 'request') {
      if (!(await mux.write(message, request.sessionId))) return unexpectedAnswer(message);
      return { message: undefined, status: 202, headers: {} };
    }
    const answer = await mux.request(message, request.sessionId, request.onMessage, request.signal);
    return { message: answer, status: 200, headers: JSON_HEADERS };
  }

  /** Asks the server for `server/discover`: true when it serves 2026-07-28 (it answered with a result). */
  async probe(): Promise<boolean> {
    const { mux } = await this.connected();
    const answer = await mux.request(
      discoverRequest(),
      undefined,
      () => {},
      AbortSignal.timeout(PROBE_TIMEOUT_MS),
    );
    return answer.result !== undefined;
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.current = undefined;
    const opened = await connection?.catch(() => undefined);
    if (!opened) return;
    opened.transport.onclose = undefined;
    opened.mux.failAll(
      new BindingFailure({ source: 'transport_closed', kind: 'connection_closed' }, 'the connection closed'),
    );
    await opened.transport.close().catch(() => {});
  }

  private connected(): Promise<Opened> {
    this.connection ??= this.start();
    return this.connection;
  }

  private async start(): Promise<Opened> {
    try {
      const transport = await this.open();
      const mux = new Multiplexer(transport, this.log);
      const opened = { transport, mux };
      transport.onclose = () => {
        mux.failAll(new BindingFailure({ source: 'transport_closed', kind: 'eof' }, 'the MCP server exited'));
        if (this.current !== opened) return;
        this.current = undefined;
        this.connection = undefined;
      };
      await transport.start();
      this.current = opened;
      return opened;
    } catch {
      this.connection = undefined;
      throw new BindingFailure({ source: 'connect', kind: 'dial' }, 'the MCP server could not be started');
    }
  }
}

/**
 * A stdio channel serving both eras: 2026-07-28 messages (those with the per-request envelope) go to the
 * channel's ModernConnection, everything else to the 2025 binding (shared or per-session children), which
 * keeps its sessions, streams and readiness. At start the modern child is asked for `server/discover` once:
 * a server that answers it is ready even when it refuses 2025's `initialize` (a 2026-only server); one
 * that does not has its modern child closed until a modern caller comes.
 */
export class EraRoutingBinding implements Binding {
  readonly channel: string;
  readonly kind: Binding['kind'];
  readonly procAffinity: boolean;
  private readonly legacy: Binding;
  private readonly modern: ModernConnection;
  private readonly log: Logger;
  private servesModern: boolean | undefined;

  constructor(legacy: Binding, modern: ModernConnection, log: Logger) {
    this.channel = legacy.channel;
    this.kind = legacy.kind;
    this.procAffinity = legacy.procAffinity;
    this.legacy = legacy;
    this.modern = modern;
    this.log = log;
  }

  async start(): Promise<void> {
    await this.legacy.start();
    void this.probeModern();
  }

  send(request: BindingRequest): Promise<ServerReply> {
    return claimsModernEra(request.message) ? this.modern.send(request) : this.legacy.send(request);
  }

  terminateSession(sessionId: string | undefined, headers: WireHeaders, signal: AbortSignal) {
    return this.legacy.terminateSession(sessionId, headers, signal);
  }

  openStream(request: StreamRequest): Promise<OpenStream> {
    return this.legacy.openStream(request);
  }

  status(): ChannelStatus {
    const status = this.legacy.status();
    if (status.initialized) return status;
    return this.servesModern
      ? {
          ...status,
          initialized: true,
          detail: `answered server/discover (${MODERN_REVISION}); ${status.detail}`,
        }
      : status;
  }

  async close(): Promise<void> {
    await Promise.all([this.legacy.close(), this.modern.close()]);
  }

  private async probeModern(): Promise<void> {
    try {
      this.servesModern = await this.modern.probe();
    } catch {
      this.servesModern = false;
    }
    this.log.info(
      { serves_modern: this.servesModern },
      `MCP server asked for server/discover (${MODERN_REVISION})`,
    );
    if (!this.servesModern) await this.modern.close();
  }
}
