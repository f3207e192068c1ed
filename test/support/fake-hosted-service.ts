// A stand-in for OpenAI's hosted tunnel service, which cannot run here. It follows the public contract
// (../shared/contract/openapi.json) to the letter: every request the client makes is checked against the
// contract's operations (path, method, parameters, headers, body schema) and any deviation is recorded as
// a violation that tests assert is empty. It serves scripted commands, records every response posted,
// and can inject the faults the contract allows (429 with Retry-After, 503, dropped connections, 404).
// It is test code only and never used outside tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Contract, OpenApiOperation } from './contract.ts';

export interface ScriptedCommand {
  request_id?: string;
  shard_token?: string;
  command_type?: string;
  channel?: string;
  created_at?: string;
  response_timeout?: string | null;
  headers?: Record<string, string[]>;
  jsonrpc?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** The per-request envelope a 2026-07-28 client puts in every request's `_meta`. */
export const MODERN_ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'hosted-caller', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
};

/**
 * A 2026-07-28 caller's request as the hosted service would queue it: the envelope in `_meta`, no session,
 * and the standard headers the caller sent (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` for the
 * methods that name something, plus any `Mcp-Param-*` given), which the contract carries like any header.
 */
export function modernCommand(
  id: number,
  method: string,
  params: Record<string, unknown> = {},
  extra: { headers?: Record<string, string[]>; response_timeout?: string; channel?: string } = {},
): ScriptedCommand {
  const name =
    typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : undefined;
  return {
    ...(extra.channel ? { channel: extra.channel } : {}),
    ...(extra.response_timeout ? { response_timeout: extra.response_timeout } : {}),
    headers: {
      'Mcp-Protocol-Version': ['2026-07-28'],
      'Mcp-Method': [method],
      ...(name === undefined ? {} : { 'Mcp-Name': [name] }),
      ...extra.headers,
    },
    jsonrpc: { jsonrpc: '2.0', id, method, params: { ...params, _meta: MODERN_ENVELOPE } },
  };
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  at: number;
}

export interface RecordedResponse {
  payload: {
    request_id: string;
    channel?: string | null;
    resp_json?: Record<string, unknown> | null;
    resp_headers?: Record<string, string[]>;
    resp_code: number;
    resp_type?: string;
  };
  shardToken: string | undefined;
  at: number;
}

export type Fault =
  { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown } | { kind: 'drop' };

type Route = 'metadata' | 'poll' | 'response';

const ROUTES: { route: Route; method: string; pattern: RegExp; path: string }[] = [
  {
    route: 'poll',
    method: 'GET',
    pattern: /^\/v1\/tunnels\/([^/]+)\/poll$/,
    path: '/v1/tunnels/{tunnel_id}/poll',
  },
  {
    route: 'response',
    method: 'POST',
    pattern: /^\/v1\/tunnels\/([^/]+)\/response$/,
    path: '/v1/tunnels/{tunnel_id}/response',
  },
  { route: 'metadata', method: 'GET', pattern: /^\/v1\/tunnels\/([^/]+)$/, path: '/v1/tunnels/{tunnel_id}' },
];

export interface FakeHostedServiceOptions {
  tunnelId: string;
  apiKey: string;
  contract: Contract;
  /** The longest a poll is held open when nothing is queued; the contract lets the service bound it. */
  maxPollWaitMs?: number;
  /** Serve every queued command regardless of `limit` (the contract says limit is only a hint). */
  ignoreLimit?: boolean;
  /** Serve this many commands more than `limit` asked for (when that many are queued). */
  overDeliver?: number;
  /** A path prefix in front of /v1/... (a service behind a gateway, control_plane.url_path). */
  pathPrefix?: string;
}

export class FakeHostedService {
  readonly requests: RecordedRequest[] = [];
  readonly responses: RecordedResponse[] = [];
  readonly violations: string[] = [];
  url = '';
  private readonly options: FakeHostedServiceOptions;
  private readonly queue: ScriptedCommand[] = [];
  private readonly pending = new Map<string, string>(); // request id -> shard token, until terminal
  private readonly faults: Record<Route, Fault[]> = { metadata: [], poll: [], response: [] };
  private readonly pollWaiters = new Set<() => void>();
  private readonly responseWaiters = new Set<() => void>();
  private readonly server: Server;
  private inFlightPolls = 0;
  maxConcurrentPolls = 0;

  constructor(options: FakeHostedServiceOptions) {
    this.options = options;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const wake of this.pollWaiters) wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Queues a command for the next poll, filling in what the service would assign. Returns its request id. */
  enqueue(command: ScriptedCommand): string {
    const full = {
      request_id: command.request_id ?? `req_${randomUUID()}`,
      shard_token: command.shard_token ?? `shard_${randomUUID()}`,
      command_type: 'jsonrpc',
      channel: 'main',
      created_at: new Date().toISOString(),
      headers: {},
      ...command,
    };
    if (full.command_type === 'jsonrpc' && !full.jsonrpc)
      full.jsonrpc = { jsonrpc: '2.0', id: 1, method: 'ping' };
    // Known command types must follow the contract themselves; an unknown type is scripted on purpose.
    if (full.command_type === 'jsonrpc' || full.command_type === 'session_termination') {
      const errors = this.options.contract.validate('PolledCommandList', { commands: [full] });
      if (errors.length) throw new Error(`a scripted command must follow the contract: ${errors.join('; ')}`);
    }
    this.queue.push(full);
    this.pending.set(full.request_id, full.shard_token);
    for (const wake of this.pollWaiters) wake();
    return full.request_id;
  }

  /** The next request to `route` gets this fault instead of the normal answer. */
  inject(route: Route, ...faults: Fault[]): void {
    this.faults[route].push(...faults);
  }

  /** How many injected faults still wait for a request to `route`. */
  pendingFaults(route: Route): number {
    return this.faults[route].length;
  }

  /** Forgets a pending request, so a later response for it gets 404 as if it had expired. */
  expire(requestId: string): void {
    this.pending.delete(requestId);
  }

  /** Hands over and forgets what was recorded so far (long runs keep memory flat). */
  drain(): { requests: RecordedRequest[]; responses: RecordedResponse[] } {
    return { requests: this.requests.splice(0), responses: this.responses.splice(0) };
  }

  responsesFor(requestId: string): RecordedResponse[] {
    return this.responses.filter((r) => r.payload.request_id === requestId);
  }

  /** Resolves once `predicate` holds over the recorded responses, or rejects after `timeoutMs`. */
  async waitFor(
    predicate: () => boolean,
    timeoutMs = 10_000,
    what = 'the expected responses',
  ): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.responseWaiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.responseWaiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.responseWaiters.add(check);
    });
  }

  async terminal(requestId: string, timeoutMs = 10_000): Promise<RecordedResponse> {
    const isTerminal = (r: RecordedResponse) =>
      r.payload.request_id === requestId && r.payload.resp_type !== 'jsonrpc_notify';
    await this.waitFor(
      () => this.responses.some(isTerminal),
      timeoutMs,
      `a terminal response to ${requestId}`,
    );
    return this.responses.find(isTerminal)!;
  }

  private violation(message: string): void {
    this.violations.push(message);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const prefix = this.options.pathPrefix ?? '';
    if (prefix && url.pathname.startsWith(`${prefix}/`)) url.pathname = url.pathname.slice(prefix.length);
    else if (prefix) this.violation(`${req.method} ${url.pathname} misses the path prefix ${prefix}`);
    const match = ROUTES.map((r) => ({ ...r, m: url.pathname.match(r.pattern) })).find(
      (r) => r.m && r.method === req.method,
    );
    const raw = await readBody(req);
    let body: unknown;
    if (raw.length) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        this.violation(`${req.method} ${url.pathname}: body is not JSON`);
      }
    }
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      at: Date.now(),
    });
    if (!match) {
      this.violation(`${req.method} ${url.pathname} is not an operation of the contract`);
      return send(res, 404, { error: { message: 'no such route', type: 'invalid_request_error' } });
    }
    const operation = this.options.contract.document.paths[match.path]?.[req.method!.toLowerCase()];
    this.checkRequest(`${req.method} ${match.path}`, operation, url, req, body);

    if (req.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      return send(res, 401, {
        error: { message: 'invalid key', type: 'invalid_request_error', code: 'tunnel_use_forbidden' },
      });
    }
    if (match.m![1] !== this.options.tunnelId) {
      return send(res, 404, {
        error: { message: 'unknown tunnel', type: 'invalid_request_error', code: null },
      });
    }
    const fault = this.faults[match.route].shift();
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault) {
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(
        JSON.stringify(
          fault.body ?? { error: { message: `injected ${fault.status}`, type: 'server_error' } },
        ),
      );
      return;
    }
    if (match.route === 'metadata')
      return send(res, 200, { id: this.options.tunnelId, name: 'fake', description: 'contract-true fake' });
    if (match.route === 'poll') return this.poll(url, req, res);
    return this.respond(req, res, body);
  }

  private checkRequest(
    name: string,
    operation: OpenApiOperation | undefined,
    url: URL,
    req: IncomingMessage,
    body: unknown,
  ) {
    if (!operation) return this.violation(`${name}: missing from the contract`);
    const known = new Set<string>();
    for (const parameter of operation.parameters ?? []) {
      const key = parameter.name.toLowerCase();
      known.add(`${parameter.in}:${key}`);
      const value =
        parameter.in === 'query'
          ? url.searchParams.get(parameter.name)
          : parameter.in === 'header'
            ? req.headers[key]
            : 'path';
      if (value === null || value === undefined) {
        if (parameter.required)
          this.violation(`${name}: required ${parameter.in} parameter ${parameter.name} is missing`);
        continue;
      }
      if (parameter.in === 'query') {
        const numeric = /^-?\d+$/.test(String(value)) ? Number(value) : value;
        const schema = parameter.schema ?? {};
        const variants = (schema.anyOf as Record<string, unknown>[] | undefined) ?? [schema];
        const fits = variants.some(
          (v) =>
            v.type !== 'null' &&
            (v.type !== 'integer' || Number.isInteger(numeric)) &&
            (v.minimum === undefined || (numeric as number) >= (v.minimum as number)) &&
            (v.maximum === undefined || (numeric as number) <= (v.maximum as number)),
        );
        if (!fits)
          this.violation(`${name}: query ${parameter.name}=${String(value)} is outside the contract`);
      }
      if (
        parameter.in === 'header' &&
        parameter.schema?.maxLength !== undefined &&
        String(value).length > Number(parameter.schema.maxLength)
      )
        this.violation(
          `${name}: header ${parameter.name} is longer than ${String(parameter.schema.maxLength)}`,
        );
    }
    for (const key of url.searchParams.keys()) {
      if (!known.has(`query:${key.toLowerCase()}`) && key !== 'channel')
        this.violation(`${name}: unknown query parameter ${key}`);
    }
    if (!/^Bearer \S+$/.test(req.headers.authorization ?? ''))
      this.violation(`${name}: no Bearer authorization`);
    if (operation.requestBody) {
      if (!/^application\/json/.test(req.headers['content-type'] ?? ''))
        this.violation(`${name}: body is not sent as application/json`);
      const errors = this.options.contract.validate('TunnelResponsePayload', body);
      for (const error of errors) this.violation(`${name}: body ${error}`);
    } else if (body !== undefined) {
      this.violation(`${name}: sends a body the contract does not define`);
    }
  }

  private async poll(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlightPolls++;
    this.maxConcurrentPolls = Math.max(this.maxConcurrentPolls, this.inFlightPolls);
    try {
      const limit = Number(url.searchParams.get('limit') ?? 25);
      const wait = Math.min(
        Number(url.searchParams.get('timeout_ms') ?? 1000),
        this.options.maxPollWaitMs ?? 1000,
      );
      if (!this.queue.length) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.pollWaiters.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, wait);
          this.pollWaiters.add(wake);
          req.once('close', wake);
        });
      }
      if (res.destroyed) return;
      if (!this.queue.length) {
        res.writeHead(204).end();
        return;
      }
      const commands = this.queue.splice(
        0,
        this.options.ignoreLimit ? this.queue.length : limit + (this.options.overDeliver ?? 0),
      );
      const envelope = { commands };
      send(res, 200, envelope);
    } finally {
      this.inFlightPolls--;
    }
  }

  private respond(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const payload = body as RecordedResponse['payload'];
    const shardToken = req.headers['x-tunnel-shard-token'] as string | undefined;
    if ((body as Record<string, unknown>)?.shard_token !== undefined)
      this.violation('response body carries shard_token');
    const expected = this.pending.get(payload?.request_id);
    if (!expected) {
      return send(res, 404, {
        error: {
          message: 'pending request not found',
          type: 'invalid_request_error',
          code: 'pending_request_not_found',
        },
      });
    }
    if (shardToken !== expected)
      this.violation(`response for ${payload.request_id} echoes the wrong shard token`);
    this.responses.push({ payload, shardToken, at: Date.now() });
    if ((payload.resp_type ?? 'jsonrpc_response') !== 'jsonrpc_notify')
      this.pending.delete(payload.request_id);
    send(res, 200, { status: 'ok' });
    for (const check of [...this.responseWaiters]) check();
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
