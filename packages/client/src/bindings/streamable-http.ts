import { Agent, request, type Dispatcher } from 'undici';
import {
  HEADER,
  allowedResponseHeaders,
  forwardableRequestHeaders,
  jsonRpcKind,
  type JsonRpcMessage,
  type WireHeaders,
  withoutAuthParam,
} from '@mcp-tunnel/protocol';
import type { Logger } from '../observability/logger.ts';
import type { ChannelStatus } from '../observability/status.ts';
import {
  BindingFailure,
  abortError,
  type Binding,
  type ServerReply,
  type BindingRequest,
  type OpenStream,
  type ResourceMetadataReply,
  type StreamRequest,
} from './binding.ts';
import { classifyNetworkError } from './failure.ts';
import { ServerLifecycle, initializeRequest } from './lifecycle.ts';
import { SseParser } from './sse.ts';
import { sleep } from '../base/backoff.ts';
import { RenewingAgent } from '../outbound/agents.ts';

const PROBE_TIMEOUT_MS = 15_000;
const PROBE_RETRY_MIN_MS = 500;
const PROBE_RETRY_MAX_MS = 30_000;
/** A stream resumed this many times in a row without a new event is given up. */
const MAX_IDLE_RESUMES = 3;
/** The longest `retry:` honoured before resuming a stream; the command deadline bounds the whole wait. */
const MAX_RESUME_WAIT_MS = 10_000;
const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';
const MAX_METADATA_BYTES = 64 * 1024;

/** Set by the binding itself; the caller's values for these would describe the caller's own hop. */
const OWN_HEADERS = new Set(['accept', 'content-type', 'content-length']);

function wireHeaders(headers: Dispatcher.ResponseData['headers']): WireHeaders {
  const out: WireHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value : [value];
  }
  return out;
}

/** The caller's forwardable headers, then the operator's extra headers, then the binding's own. */
function requestHeaders(
  forwarded: WireHeaders,
  extra: Record<string, string>,
  own: Record<string, string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const overridden = new Set([...Object.keys(extra), ...Object.keys(own)].map((n) => n.toLowerCase()));
  for (const [name, values] of Object.entries(forwardableRequestHeaders(forwarded))) {
    const lower = name.toLowerCase();
    if (!OWN_HEADERS.has(lower) && !overridden.has(lower)) out[name] = values;
  }
  return { ...out, ...extra, ...own };
}

export interface HttpBindingOptions {
  /** Static headers for this server's origin only (values already resolved). */
  extraHeaders?: Record<string, string>;
  /** Headers on the readiness probe only (mcp.discovery_extra_headers), over extraHeaders. */
  probeHeaders?: Record<string, string>;
  /** Where the connections come from (proxy, CA, client certificate, maximum age). */
  agent?: RenewingAgent;
  /** The largest answer body read (mcp.max_message_bytes). */
  maxBodyBytes?: number;
}

function isJsonRpcAnswer(value: unknown): value is JsonRpcMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { jsonrpc?: unknown }).jsonrpc === '2.0' &&
    ('result' in value || 'error' in value)
  );
}

async function readBody(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw new BindingFailure(
        { source: 'protocol', kind: 'response_body_too_large', responseReceived: true },
        'answer too large',
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A Streamable HTTP MCP server: each caller message is one POST carrying the caller's forwardable headers. */
export class HttpBinding implements Binding {
  readonly channel: string;
  readonly kind = 'http' as const;
  readonly procAffinity = false;
  private readonly url: string;
  private readonly log: Logger;
  private readonly extraHeaders: Record<string, string>;
  private readonly probeHeaders: Record<string, string[]>;
  private readonly agent: RenewingAgent;
  private readonly maxBodyBytes: number;
  private readonly life: ServerLifecycle;
  /** The metadata URL the server's last OAuth challenge named. */
  private challengeMetadataUrl: string | undefined;

  constructor(channel: string, url: string, log: Logger, options: HttpBindingOptions = {}) {
    this.channel = channel;
    this.url = url;
    this.log = log.child({ channel });
    this.life = new ServerLifecycle({
      channel,
      kind: this.kind,
      log: this.log,
      detail: 'probing the MCP server with initialize',
      retryMinMs: PROBE_RETRY_MIN_MS,
      retryMaxMs: PROBE_RETRY_MAX_MS,
    });
    this.extraHeaders = options.extraHeaders ?? {};
    this.probeHeaders = Object.fromEntries(
      Object.entries(options.probeHeaders ?? {}).map(([name, value]) => [name, [value]]),
    );
    this.maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
    this.agent =
      options.agent ??
      new RenewingAgent(() => new Agent({ keepAliveTimeout: 30_000 }), Number.POSITIVE_INFINITY);
  }

  async start(): Promise<void> {
    void this.life.probeUntilReady((signal) => this.probe(signal), PROBE_TIMEOUT_MS);
  }

  status(): ChannelStatus {
    return this.life.status();
  }

  async send(req: BindingRequest): Promise<ServerReply> {
    const response = await this.post(req.message, req.headers, req.signal);
    const headers = this.withoutServerMetadataUrl(allowedResponseHeaders(wireHeaders(response.headers)));
    const status = response.statusCode;
    // An OAuth challenge is the server's answer: its status and WWW-Authenticate reach the caller.
    const challenge = (status === 401 || status === 403) && headers['WWW-Authenticate'] !== undefined;
    const httpError = () =>
      new BindingFailure(
        { source: 'target_http', upstreamStatus: status },
        'HTTP error',
        challenge ? { status, headers } : undefined,
      );
    const contentType = String(response.headers['content-type'] ?? '').toLowerCase();
    try {
      if (jsonRpcKind(req.message) !== 'request') {
        const text = await readBody(response.body, this.maxBodyBytes);
        let answer: unknown;
        try {
          answer = text ? JSON.parse(text) : undefined;
        } catch {
          answer = undefined;
        }
        if (status >= 400 && !isJsonRpcAnswer(answer)) throw httpError();
        return { message: isJsonRpcAnswer(answer) ? answer : undefined, status, headers };
      }
      const answerHeaders = { ...headers, 'Content-Type': ['application/json'] };
      if (status < 300 && contentType.includes('text/event-stream')) {
        const answer = await this.readStream(response.body, req);
        if (req.message.method === 'initialize') this.life.markReady();
        return { message: answer, status, headers: answerHeaders };
      }
      const text = await readBody(response.body, this.maxBodyBytes);
      let answer: unknown;
      try {
        answer = JSON.parse(text);
      } catch {
        if (status >= 400) throw httpError();
        throw new BindingFailure(
          { source: 'protocol', kind: 'malformed_json', responseReceived: true },
          'not JSON',
        );
      }
      // A real JSON-RPC error travels with the real status, even a 4xx.
      if (isJsonRpcAnswer(answer)) {
        if (req.message.method === 'initialize' && 'result' in answer) this.life.markReady();
        return { message: answer, status, headers: answerHeaders };
      }
      if (status >= 400) throw httpError();
      throw new BindingFailure(
        { source: 'protocol', kind: 'invalid_protocol_response', responseReceived: true },
        'not a JSON-RPC answer',
      );
    } catch (error) {
      response.body.destroy();
      if (req.signal.aborted) throw abortError(req.signal);
      if (error instanceof BindingFailure) throw error;
      throw new BindingFailure(
        { source: 'transport_closed', kind: 'response_body_unreadable' },
        'answer could not be read',
      );
    }
  }

  async terminateSession(
    _sessionId: string | undefined,
    headers: WireHeaders,
    signal: AbortSignal,
  ): Promise<ServerReply> {
    const response = await this.call(
      'DELETE',
      requestHeaders(headers, this.extraHeaders, {}),
      signal,
      'session termination failed',
    );
    await response.body.dump();
    const status = response.statusCode < 300 ? 204 : response.statusCode;
    return { message: undefined, status, headers: allowedResponseHeaders(wireHeaders(response.headers)) };
  }

  /** The server's GET stream for the caller's session; its events are relayed as they arrive. */
  async openStream(req: StreamRequest): Promise<OpenStream> {
    const response = await this.call(
      'GET',
      requestHeaders(req.headers, this.extraHeaders, { accept: 'text/event-stream' }),
      req.signal,
      'stream request failed',
    );
    const contentType = String(response.headers['content-type'] ?? '').toLowerCase();
    if (response.statusCode >= 300 || !contentType.includes('text/event-stream')) {
      await response.body.dump().catch(() => {});
      throw new BindingFailure(
        { source: 'target_http', upstreamStatus: response.statusCode < 300 ? 502 : response.statusCode },
        'no standalone stream',
      );
    }
    const ended = (async () => {
      const parser = new SseParser();
      response.body.setEncoding('utf8');
      try {
        for await (const chunk of response.body)
          for (const data of parser.push(chunk as string)) {
            if (!data) continue; // a priming event or keep-alive carries no message
            try {
              req.onMessage(JSON.parse(data) as JsonRpcMessage);
            } catch {
              this.log.warn('skipped a standalone stream event that is not JSON');
            }
          }
      } catch (error) {
        if (!req.signal.aborted) throw error;
      }
    })();
    return {
      status: response.statusCode,
      headers: allowedResponseHeaders(wireHeaders(response.headers)),
      ended,
    };
  }

  /**
   * The server's OAuth protected resource metadata (RFC 9728 §3): at the URL its last challenge named, else
   * at the well-known URL with the server's path inserted, else at the root one. The first JSON document
   * found is the answer; none is 404.
   */
  async resourceMetadata(signal: AbortSignal): Promise<ResourceMetadataReply> {
    const server = new URL(this.url);
    const path = server.pathname.replace(/\/$/, '');
    const candidates = new Set<string>();
    if (this.challengeMetadataUrl) candidates.add(this.challengeMetadataUrl);
    if (path) candidates.add(new URL(`${RESOURCE_METADATA_PATH}${path}`, server.origin).href);
    candidates.add(new URL(RESOURCE_METADATA_PATH, server.origin).href);
    let status = 404;
    for (const url of candidates) {
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method: 'GET',
          headers: { accept: 'application/json' },
          signal,
          dispatcher: this.agent.current(),
        });
      } catch (error) {
        if (signal.aborted) throw abortError(signal);
        throw new BindingFailure(classifyNetworkError(error), 'metadata request failed');
      }
      const text = await readBody(response.body, MAX_METADATA_BYTES);
      if (response.statusCode !== 200) {
        status = response.statusCode >= 500 ? 502 : status;
        continue;
      }
      try {
        const document: unknown = JSON.parse(text);
        if (document && typeof document === 'object' && !Array.isArray(document))
          return { status: 200, document: document as Record<string, unknown> };
      } catch {
        // Not JSON: try the next place.
      }
    }
    return { status };
  }

  /**
   * A challenge's `resource_metadata` names the server's own address, which a caller outside the network
   * cannot reach and should not learn. It is kept here (resourceMetadata() fetches it) and left out of the
   * header: the caller then discovers the metadata at the connector URL, where the tunnel service serves
   * it (our service through the resource-metadata extension, OpenAI's its own way).
   */
  private withoutServerMetadataUrl(headers: WireHeaders): WireHeaders {
    const challenges = headers['WWW-Authenticate'];
    if (!challenges) return headers;
    const kept = challenges.map((value) => {
      const { value: rest, removed } = withoutAuthParam(value, 'resource_metadata');
      if (removed) this.challengeMetadataUrl = removed;
      return rest;
    });
    return { ...headers, 'WWW-Authenticate': kept };
  }

  async close(): Promise<void> {
    this.life.stop();
    await this.agent.close();
  }

  private post(message: JsonRpcMessage, forwarded: WireHeaders, signal: AbortSignal) {
    const headers = requestHeaders(forwarded, this.extraHeaders, {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    });
    return this.call('POST', headers, signal, 'request failed', JSON.stringify(message));
  }

  /** One request to the server; a network error becomes the BindingFailure its code names. */
  private async call(
    method: 'POST' | 'GET' | 'DELETE',
    headers: Record<string, string | string[]>,
    signal: AbortSignal,
    failed: string,
    body?: string,
  ): Promise<Dispatcher.ResponseData> {
    try {
      return await request(this.url, { method, headers, body, signal, dispatcher: this.agent.current() });
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      throw new BindingFailure(classifyNetworkError(error), failed);
    }
  }

  /**
   * Reads an SSE answer as it arrives: the request's own answer ends it, everything before is forwarded.
   * A server may end the stream before the answer once it has sent an event id (SEP-1699): the stream is
   * then resumed with GET and Last-Event-ID, after the server's `retry:`, as an MCP client would.
   */
  private async readStream(
    body: Dispatcher.ResponseData['body'],
    req: BindingRequest,
  ): Promise<JsonRpcMessage> {
    const parser = new SseParser();
    for (let idle = 0; ;) {
      const seen = parser.lastEventId;
      const answer = await this.readEvents(body, parser, req);
      if (answer) return answer;
      idle = parser.lastEventId === seen ? idle + 1 : 0;
      if (parser.lastEventId === undefined || idle >= MAX_IDLE_RESUMES)
        throw new BindingFailure(
          { source: 'protocol', kind: 'unexpected_eof', responseReceived: true },
          'stream ended before the answer',
        );
      await sleep(Math.min(parser.retryMs ?? 1000, MAX_RESUME_WAIT_MS), req.signal);
      if (req.signal.aborted) throw abortError(req.signal);
      body = await this.resumeStream(req, parser.lastEventId);
    }
  }

  /** The events of one SSE body; the request's answer, or undefined when the body ends without it. */
  private async readEvents(
    body: Dispatcher.ResponseData['body'],
    parser: SseParser,
    req: BindingRequest,
  ): Promise<JsonRpcMessage | undefined> {
    try {
      return await this.nextAnswer(body, parser, req);
    } finally {
      body.destroy();
    }
  }

  private async nextAnswer(
    body: Dispatcher.ResponseData['body'],
    parser: SseParser,
    req: BindingRequest,
  ): Promise<JsonRpcMessage | undefined> {
    body.setEncoding('utf8');
    for await (const chunk of body) {
      for (const data of parser.push(chunk as string)) {
        if (!data) continue; // a priming event (id and retry only) carries no message
        let message: JsonRpcMessage;
        try {
          message = JSON.parse(data) as JsonRpcMessage;
        } catch {
          throw new BindingFailure(
            { source: 'protocol', kind: 'malformed_json', responseReceived: true },
            'bad event',
          );
        }
        if (typeof message.method !== 'string' && message.id === req.message.id) return message;
        req.onMessage(message);
      }
    }
    return undefined;
  }

  /** GET with Last-Event-ID: the rest of a stream the server ended early. */
  private async resumeStream(req: BindingRequest, lastEventId: string) {
    const response = await this.call(
      'GET',
      requestHeaders(req.headers, this.extraHeaders, {
        accept: 'text/event-stream',
        'last-event-id': lastEventId,
      }),
      req.signal,
      'resuming the answer failed',
    );
    if (response.statusCode >= 300) {
      await response.body.dump().catch(() => {});
      throw new BindingFailure(
        { source: 'target_http', upstreamStatus: response.statusCode },
        'resume refused',
      );
    }
    return response.body;
  }

  /**
   * Checks the server answers initialize, for readiness; the probe's own session is closed again.
   * Resolves undefined when it answered, else with what the status says.
   */
  private async probe(signal: AbortSignal): Promise<string | undefined> {
    try {
      const reply = await this.send({
        message: initializeRequest(),
        headers: this.probeHeaders,
        sessionId: undefined,
        signal,
        onMessage: () => {},
      });
      if (!reply.message?.result) return `the MCP server refused initialize (HTTP ${reply.status})`;
      const session = reply.headers[HEADER.mcpSessionId]?.[0];
      if (session)
        await this.terminateSession(
          session,
          { ...this.probeHeaders, [HEADER.mcpSessionId]: [session] },
          signal,
        ).catch(() => {});
      return undefined;
    } catch (error) {
      // A server that asks its callers to sign in is up: each caller brings its own token (public tunnels).
      if (error instanceof BindingFailure && error.answer) {
        this.log.info(
          { status: error.answer.status },
          'the MCP server asks its callers to sign in with OAuth; ready for callers that do',
        );
        return undefined;
      }
      return error instanceof BindingFailure
        ? `the MCP server did not answer initialize (${error.failure.source}${error.failure.source === 'target_http' ? ` ${error.failure.upstreamStatus}` : ''})`
        : 'the MCP server did not answer initialize in time';
    }
  }
}
