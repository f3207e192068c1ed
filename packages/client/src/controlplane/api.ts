import { request, type Dispatcher } from 'undici';
import {
  COMMAND_STREAM_PATH,
  EXTENSIONS_HEADER,
  HEADER,
  LEAVE,
  MAX_RELEASED,
  parseExtensions,
  type LeaveRequest,
  type Extension,
  type TunnelResponsePayload,
} from '@mcp-tunnel/protocol';
import { scopedSignal } from '../base/scoped-signal.ts';
import { CLIENT_NAME, CLIENT_VERSION } from '../base/version.ts';
import { CommandStream } from './stream.ts';

export interface ControlPlaneApiOptions {
  baseUrl: string;
  /** Path prefix between the base URL and /v1/... ('' at the root). */
  urlPath: string;
  tunnelId: string;
  apiKey: string;
  instanceId: string;
  /** The X-Tunnel-MCP-Server-Info value, when the configured channels allow one. */
  serverInfo: string | undefined;
  /** Static headers from the configuration; the client's own headers win over them. */
  extraHeaders: Record<string, string>;
  /** Channels to poll for (sorted), or undefined for all. */
  pollChannels: string[] | undefined;
  /** How much longer than the poll wait one poll request may take. */
  pollDeadlineGuardrailMs: number;
  /** Proxy, CA and client certificate for the tunnel service. */
  agent: Dispatcher;
}

/** A stopping client waits this long at most for the service to take its leave. */
const LEAVE_TIMEOUT_MS = 2000;
/** The longest one response post may take. */
const RESPOND_TIMEOUT_MS = 30_000;

/** The tunnel service's reply to one API call (poll, response post, metadata). */
export interface ApiReply {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  body: unknown;
  /** performance.now() when the response headers arrived. */
  receivedAt: number;
}

/** The tunnel API over HTTP: every request carries the key and the client's identity headers. */
export class ControlPlaneApi {
  private readonly options: ControlPlaneApiOptions;
  private readonly tunnelPath: string;
  /**
   * The protocol extensions the service offered on its last poll answer. Only these are declared and
   * used, so a service that offers none (OpenAI's) is sent nothing beyond the contract.
   */
  private offered = new Set<Extension>();
  /** Protocol extension `command-stream`: while it is open, responses go over it instead of POSTs. */
  readonly stream: CommandStream;
  /** What every request carries, made once: the key and the client's identity. */
  private readonly identity: Record<string, string>;

  constructor(options: ControlPlaneApiOptions) {
    this.options = options;
    this.tunnelPath = `${options.baseUrl}${options.urlPath}/v1/tunnels/${encodeURIComponent(options.tunnelId)}`;
    this.identity = {
      ...options.extraHeaders,
      authorization: `Bearer ${options.apiKey}`,
      [HEADER.clientName]: CLIENT_NAME,
      [HEADER.clientVersion]: CLIENT_VERSION,
      [HEADER.clientInstanceId]: options.instanceId,
    };
    this.stream = new CommandStream(() => ({
      url: `${this.tunnelPath}${COMMAND_STREAM_PATH}?${this.channelQuery()}`,
      headers: this.headers(this.declared()),
      agent: options.agent,
    }));
  }

  /** The extensions this client uses, declared as the service offered them (none to OpenAI's service). */
  private declared(): Record<string, string> {
    return this.offered.size ? { [EXTENSIONS_HEADER]: [...this.offered].join(', ') } : {};
  }

  private channelQuery(query = new URLSearchParams()): URLSearchParams {
    for (const channel of this.options.pollChannels ?? []) query.append('channel', channel);
    return query;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { ...this.identity, ...extra };
    if (this.options.serverInfo) headers[HEADER.serverInfo] = this.options.serverInfo;
    return headers;
  }

  private async call(
    url: string,
    init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; signal?: AbortSignal },
    timeoutMs: number,
  ): Promise<ApiReply> {
    const scope = scopedSignal(init.signal, timeoutMs);
    let response: Dispatcher.ResponseData;
    let text: string;
    let receivedAt: number;
    try {
      response = await request(url, {
        ...init,
        signal: scope.signal,
        dispatcher: this.options.agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      receivedAt = performance.now();
      text = await response.body.text();
    } finally {
      scope.dispose();
    }
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: response.statusCode, headers: response.headers, body, receivedAt };
  }

  metadata(signal?: AbortSignal): Promise<ApiReply> {
    return this.call(this.tunnelPath, { method: 'GET', headers: this.headers(), signal }, 15_000);
  }

  /** GET /v1/tunnels: answers 200 only to a key holding Tunnels Read (doctor's Read check). */
  listTunnels(signal?: AbortSignal): Promise<ApiReply> {
    return this.call(
      `${this.options.baseUrl}${this.options.urlPath}/v1/tunnels`,
      { method: 'GET', headers: this.headers(), signal },
      15_000,
    );
  }

  /** Whether the service offers `extension`; the client then declares it on its polls and may use it. */
  offers(extension: Extension): boolean {
    return this.offered.has(extension);
  }

  async poll(limit: number, timeoutMs: number, signal?: AbortSignal): Promise<ApiReply> {
    const query = this.channelQuery(
      new URLSearchParams({ limit: String(limit), timeout_ms: String(timeoutMs) }),
    );
    const answer = await this.call(
      `${this.tunnelPath}/poll?${query}`,
      { method: 'GET', headers: this.headers(this.declared()), signal },
      timeoutMs + this.options.pollDeadlineGuardrailMs,
    );
    if (answer.status === 200 || answer.status === 204)
      this.offered = parseExtensions(answer.headers[EXTENSIONS_HEADER.toLowerCase()]);
    return answer;
  }

  /**
   * Sends one response, given up after `withinMs` (at most RESPOND_TIMEOUT_MS) or when `signal` aborts:
   * over the command stream while it is open, else as the contract's response POST. `traceContext`: the
   * W3C trace context headers it carries, while traces are exported.
   */
  respond(
    shardToken: string,
    payload: TunnelResponsePayload,
    signal?: AbortSignal,
    withinMs = RESPOND_TIMEOUT_MS,
    traceContext?: Record<string, string>,
  ): Promise<ApiReply> {
    const timeoutMs = Math.min(withinMs, RESPOND_TIMEOUT_MS);
    if (this.stream.open) {
      const scope = scopedSignal(signal, timeoutMs);
      return this.stream.respond(shardToken, payload, scope.signal, traceContext).finally(scope.dispose);
    }
    return this.call(
      `${this.tunnelPath}/response`,
      {
        method: 'POST',
        headers: this.headers({
          ...traceContext,
          'content-type': 'application/json',
          [HEADER.shardToken]: shardToken,
        }),
        body: JSON.stringify(payload),
        signal,
      },
      timeoutMs,
    );
  }

  /**
   * Tells a service that offered the `leave` extension that this client is stopping, handing back the
   * commands it never started; undefined, and nothing sent, to any other service (OpenAI's).
   */
  async leave(released: string[], signal?: AbortSignal): Promise<ApiReply | undefined> {
    if (!this.offered.has(LEAVE)) return undefined;
    const body: LeaveRequest = { released: released.slice(0, MAX_RELEASED) };
    return this.call(
      `${this.tunnelPath}/leave`,
      {
        method: 'POST',
        headers: this.headers({ 'content-type': 'application/json', [EXTENSIONS_HEADER]: LEAVE }),
        body: JSON.stringify(body),
        signal,
      },
      LEAVE_TIMEOUT_MS,
    );
  }

  async close(): Promise<void> {
    await this.options.agent.destroy().catch(() => {});
  }
}

/** The service's own explanation from an error body, when it gave one (never contains our key). */
export function apiErrorText(body: unknown): string | undefined {
  const error = (body as { error?: { message?: unknown; code?: unknown } } | undefined)?.error;
  if (!error || typeof error.message !== 'string') return undefined;
  return typeof error.code === 'string' ? `${error.message} (${error.code})` : error.message;
}
