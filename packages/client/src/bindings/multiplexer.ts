import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { jsonRpcKind, type JsonRpcId, type JsonRpcMessage } from '@mcp-tunnel/protocol';
import type { Logger } from '../observability/logger.ts';
import {
  BindingFailure,
  CallerCancelled,
  abortError,
  type OpenStream,
  type StreamRequest,
} from './binding.ts';

interface Pending {
  callerId: JsonRpcId;
  key: string;
  sessionId: string | undefined;
  progressToken: unknown;
  onMessage: (message: JsonRpcMessage) => void;
  resolve: (message: JsonRpcMessage) => void;
  reject: (error: Error) => void;
}

type Params = { _meta?: Record<string, unknown>; [key: string]: unknown };

/** Notifications about the session as a whole, never about one request: they go to standalone streams. */
const SESSION_NOTIFICATIONS = new Set([
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
  'notifications/resources/updated',
]);

/**
 * A 2026-07-28 `subscriptions/listen` stream names its request id in the `_meta` of every notification it
 * carries and of its closing result: that id is rewritten here like any other and must be restored.
 */
const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

/** `message` with the subscription id in its params' (or result's) `_meta` set to `id`. */
function withSubscriptionId(
  message: JsonRpcMessage,
  member: 'params' | 'result',
  id: JsonRpcId,
): JsonRpcMessage {
  const body = message[member] as Params;
  return { ...message, [member]: { ...body, _meta: { ...body._meta, [SUBSCRIPTION_ID]: id } } };
}

function callerKey(sessionId: string | undefined, id: unknown): string {
  return `${sessionId ?? ''}\u0000${JSON.stringify(id)}`;
}

/**
 * Shares one MCP server connection (an SDK Transport) between many callers. Request ids are rewritten
 * on the way in, so two callers that both use `id: 1` never collide, and restored on the way out.
 * Progress tokens are rewritten the same way so progress notifications find their request. Requests the
 * server sends (sampling, elicitation, roots) keep the server's own ids, which never meet the rewritten
 * ones; each is remembered with the session it went to, so only that session can answer it.
 */
export class Multiplexer {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly byCaller = new Map<string, number>();
  /** Standalone streams of the callers (extension standalone-stream): every one hears every such message. */
  private readonly listeners = new Set<(message: JsonRpcMessage) => void>();
  /** Server request id (as JSON) → the session it was routed to, until that session answers. */
  private readonly serverRequests = new Map<string, string | undefined>();
  private readonly transport: Transport;
  private readonly log: Logger;

  constructor(transport: Transport, log: Logger) {
    this.transport = transport;
    this.log = log;
    transport.onmessage = (message, extra) =>
      this.receive(
        message as JsonRpcMessage,
        (extra as { relatedRequestId?: unknown } | undefined)?.relatedRequestId,
      );
    transport.onerror = (error) => this.onTransportError(error);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends a request and resolves with the server's answer, carrying the caller's own id. */
  request(
    message: JsonRpcMessage,
    sessionId: string | undefined,
    onMessage: (message: JsonRpcMessage) => void,
    signal: AbortSignal,
  ): Promise<JsonRpcMessage> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    const id = this.nextId++;
    const key = callerKey(sessionId, message.id);
    const outgoing: JsonRpcMessage = { ...message, id };
    const params = message.params as Params | undefined;
    const progressToken = params?._meta?.progressToken;
    if (progressToken !== undefined)
      outgoing.params = { ...params, _meta: { ...params!._meta, progressToken: id } };

    return new Promise<JsonRpcMessage>((resolve, reject) => {
      const cleanup = () => {
        this.pending.delete(id);
        if (this.byCaller.get(key) === id) this.byCaller.delete(key);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        cleanup();
        // The id is retired: a late answer finds nothing and is dropped; the server stays up.
        this.transport
          .send({
            jsonrpc: '2.0',
            method: 'notifications/cancelled',
            params: { requestId: id, reason: 'the caller stopped waiting' },
          })
          .catch(() => {});
        reject(abortError(signal));
      };
      this.pending.set(id, {
        callerId: message.id as JsonRpcId,
        key,
        sessionId,
        progressToken,
        onMessage,
        resolve: (answer) => {
          cleanup();
          resolve(answer);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      });
      this.byCaller.set(key, id);
      signal.addEventListener('abort', onAbort, { once: true });
      this.transport.send(outgoing as JSONRPCMessage).catch(() => {
        this.pending
          .get(id)
          ?.reject(
            new BindingFailure(
              { source: 'transport_closed', kind: 'closed_pipe' },
              'write to the MCP server failed',
            ),
          );
      });
    });
  }

  /**
   * Writes a caller notification or response. A cancellation is pointed at the rewritten request id and
   * retires that request at once (the server sends no answer to a cancelled request). An answer to a server
   * request is written only when it comes from the session the request went to; otherwise this returns
   * false and nothing is written.
   */
  async write(message: JsonRpcMessage, sessionId: string | undefined): Promise<boolean> {
    let outgoing = message;
    let cancelled: Pending | undefined;
    if (message.method === 'notifications/cancelled') {
      const params = message.params as Params | undefined;
      const id = this.byCaller.get(callerKey(sessionId, params?.requestId));
      if (id === undefined) return true; // nothing in flight under that id: the cancellation has nothing to do
      // Callers without a session (the 2026-07-28 era) can use the same id: cancel only an unambiguous one.
      if (sessionId === undefined && this.sessionlessWith(params?.requestId) > 1) return true;
      outgoing = { ...message, params: { ...params, requestId: id } };
      cancelled = this.pending.get(id);
    } else if (jsonRpcKind(message) === 'response') {
      const key = JSON.stringify(message.id);
      if (!this.serverRequests.has(key) || this.serverRequests.get(key) !== sessionId) return false;
      this.serverRequests.delete(key);
    }
    try {
      await this.transport.send(outgoing as JSONRPCMessage);
    } catch {
      throw new BindingFailure(
        { source: 'transport_closed', kind: 'closed_pipe' },
        'write to the MCP server failed',
      );
    }
    cancelled?.reject(new CallerCancelled());
    return true;
  }

  /** Adds a standalone stream; it hears session notifications and notifications no request claims. */
  private listen(listener: (message: JsonRpcMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A standalone stream on this connection: it hears what `listen` hears until the caller aborts or the
   * owner ends it by calling the function it put in `ends` (the connection closed, the session ended).
   */
  openStream(request: StreamRequest, ends: Set<() => void>): OpenStream {
    const stopListening = this.listen(request.onMessage);
    const ended = new Promise<void>((resolve) => {
      const end = () => {
        stopListening();
        ends.delete(end);
        request.signal.removeEventListener('abort', end);
        resolve();
      };
      ends.add(end);
      request.signal.addEventListener('abort', end, { once: true });
    });
    return { status: 200, headers: {}, ended };
  }

  /** Fails every request in flight at once, e.g. when the server process died. */
  failAll(failure: BindingFailure): void {
    for (const pending of [...this.pending.values()]) pending.reject(failure);
    this.serverRequests.clear();
  }

  private receive(message: JsonRpcMessage, relatedRequestId: unknown): void {
    if (typeof message.method !== 'string') {
      const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
      if (!pending) {
        this.log.debug({ id: message.id }, 'dropped an answer for a request no caller waits for');
        return;
      }
      let answer: JsonRpcMessage = { ...message, id: pending.callerId };
      if ((message.result as Params | undefined)?._meta?.[SUBSCRIPTION_ID] === message.id)
        answer = withSubscriptionId(answer, 'result', pending.callerId);
      pending.resolve(answer);
      return;
    }
    const params = message.params as Params | undefined;
    const subscription = params?._meta?.[SUBSCRIPTION_ID];
    const listening = typeof subscription === 'number' ? this.pending.get(subscription) : undefined;
    if (listening) return listening.onMessage(withSubscriptionId(message, 'params', listening.callerId));
    const isNotification = message.id === undefined || message.id === null;
    if (this.listeners.size > 0 && isNotification && SESSION_NOTIFICATIONS.has(message.method)) {
      for (const listener of this.listeners) listener(message);
      return;
    }
    let target: Pending | undefined;
    let routed = message;
    if (typeof relatedRequestId === 'number') target = this.pending.get(relatedRequestId);
    if (!target && message.method === 'notifications/progress' && typeof params?.progressToken === 'number') {
      target = this.pending.get(params.progressToken);
      if (target) routed = { ...message, params: { ...params, progressToken: target.progressToken } };
    } else if (target && message.method === 'notifications/progress') {
      routed = { ...message, params: { ...params, progressToken: target.progressToken } };
    }
    // Without a relation, a message can be attributed only when every request in flight is one session's.
    if (!target) target = this.soleSession();
    if (target) {
      if (message.id !== undefined && message.id !== null)
        this.serverRequests.set(JSON.stringify(message.id), target.sessionId);
      target.onMessage(routed);
      return;
    }
    if (isNotification && this.listeners.size > 0) {
      for (const listener of this.listeners) listener(message);
      return;
    }
    if (message.id !== undefined && message.id !== null) {
      this.transport
        .send({
          jsonrpc: '2.0',
          id: message.id as JsonRpcId,
          error: { code: -32603, message: 'no caller is waiting that could answer this request' },
        })
        .catch(() => {});
    }
    this.log.debug(
      { method: message.method },
      'dropped a server message that belongs to no request in flight',
    );
  }

  /** How many requests of callers without a session are in flight under the caller id `id`. */
  private sessionlessWith(id: unknown): number {
    let count = 0;
    for (const pending of this.pending.values())
      if (pending.sessionId === undefined && pending.callerId === id) count += 1;
    return count;
  }

  /** The oldest request in flight, when all requests in flight belong to one caller's session. */
  private soleSession(): Pending | undefined {
    const all = [...this.pending.values()];
    const first = all[0];
    // Callers without a session (the 2026-07-28 era) are one caller only when one request is in flight.
    if (first?.sessionId === undefined && all.length > 1) return undefined;
    return first && all.every((p) => p.sessionId === first.sessionId) ? first : undefined;
  }

  private onTransportError(error: Error): void {
    // A line that is not JSON-RPC can only be attributed when one request is in flight.
    const malformed =
      error instanceof SyntaxError || error.name === 'ZodError' || /JSON/i.test(error.message);
    if (malformed && this.pending.size === 1) {
      [...this.pending.values()][0]!.reject(
        new BindingFailure(
          { source: 'protocol', kind: 'malformed_json', responseReceived: true },
          'malformed answer',
        ),
      );
      return;
    }
    this.log.warn(
      { reason: malformed ? 'malformed message' : error.name },
      'MCP server connection reported an error',
    );
  }
}
