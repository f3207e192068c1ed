import type { JsonRpcMessage } from '@mcp-tunnel/protocol';
import { Backoff, sleep } from '../base/backoff.ts';
import type { Logger } from '../observability/logger.ts';
import type { ChannelStatus } from '../observability/status.ts';
import { scopedSignal } from '../base/scoped-signal.ts';
import { CLIENT_NAME, CLIENT_VERSION } from '../base/version.ts';
import type { BindingKind } from './binding.ts';

/**
 * The newest MCP protocol version with sessions: the one a binding offers when it initializes on its own
 * behalf. It is the MCP SDK's LATEST_PROTOCOL_VERSION (a test holds them equal), written here because
 * that constant's module defines every MCP schema, which the client would otherwise load and keep.
 */
export const LATEST_PROTOCOL_VERSION = '2025-11-25';

/** The initialize request a binding sends on its own behalf; `params` replays a caller's, when it has one. */
export function initializeRequest(params?: unknown): JsonRpcMessage {
  return {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: params ?? {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: CLIENT_NAME, version: CLIENT_VERSION },
    },
  } as JsonRpcMessage;
}

export interface ServerLifecycleOptions {
  channel: string;
  kind: BindingKind;
  /** The binding's logger (it already names the channel). */
  log: Logger;
  /** What the status says until the first attempt to reach the server ends. */
  detail: string;
  /** The first wait between two attempts (a restart or a probe); each failure doubles it up to `retryMaxMs`. */
  retryMinMs: number;
  retryMaxMs: number;
}

/**
 * The life of one binding's MCP server, the same for every binding: whether it answered initialize
 * (readiness, which /readyz reads), the status text the operator sees, and the backoff between attempts
 * to start or probe it. A binding decides what one attempt is (spawn and handshake, an HTTP initialize);
 * this module decides when the next one happens and what is said about it.
 */
export class ServerLifecycle {
  private readonly options: ServerLifecycleOptions;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly stopping = new AbortController();
  private retryTimer: NodeJS.Timeout | undefined;
  private initialized = false;
  private detail: string;

  constructor(options: ServerLifecycleOptions) {
    this.options = options;
    this.log = options.log;
    this.detail = options.detail;
    this.backoff = new Backoff(options.retryMinMs, options.retryMaxMs);
  }

  /** True once the server answered initialize, until it is known to be gone. */
  get ready(): boolean {
    return this.initialized;
  }

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Aborted when the binding closes. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  status(extra: Partial<ChannelStatus> = {}): ChannelStatus {
    return {
      name: this.options.channel,
      kind: this.options.kind,
      initialized: this.initialized,
      detail: this.detail,
      ...extra,
    };
  }

  /** The server answered initialize (the binding's own probe or a caller's). */
  markReady(): void {
    if (!this.initialized) this.log.info({ kind: this.options.kind }, 'MCP server answered initialize');
    this.initialized = true;
    this.detail = 'answered initialize';
  }

  /** Progress that is neither ready nor a failure, e.g. 'waiting for the answer to initialize'. */
  progress(detail: string): void {
    this.detail = detail;
  }

  /** The server is not ready; `detail` says why, in the status and the log (`event`, with `fields`). */
  notReady(detail: string, event = 'MCP server is not ready', fields: Record<string, unknown> = {}): void {
    this.initialized = false;
    this.detail = detail;
    this.log.warn({ reason: detail, ...fields }, event);
  }

  /** The server could not be started at all. */
  startFailed(detail: string): void {
    this.initialized = false;
    this.detail = detail;
    this.log.error({ reason: detail }, 'MCP server start failed');
  }

  /** Runs `attempt` after the next backoff delay, unless the binding closes first. */
  retryLater(attempt: () => void): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(attempt, this.backoff.next());
  }

  /** The server stayed up long enough: the next failure is retried after the shortest delay again. */
  resetBackoff(): void {
    this.backoff.reset();
  }

  /**
   * Probes until the server answers initialize or the binding closes. `attempt` gets a signal that aborts
   * after `timeoutMs` or at close, and resolves undefined when the server answered, or else with what to
   * tell the operator; failed attempts are retried with backoff.
   */
  async probeUntilReady(
    attempt: (signal: AbortSignal) => Promise<string | undefined>,
    timeoutMs: number,
  ): Promise<void> {
    while (!this.initialized && !this.stopped) {
      const scope = scopedSignal(this.stopping.signal, timeoutMs);
      let refusal: string | undefined;
      try {
        refusal = await attempt(scope.signal);
      } finally {
        scope.dispose();
      }
      if (this.stopped) return;
      if (refusal === undefined) return this.markReady();
      this.notReady(refusal);
      await sleep(this.backoff.next(), this.stopping.signal);
    }
  }

  stop(): void {
    this.stopping.abort();
    clearTimeout(this.retryTimer);
  }
}
