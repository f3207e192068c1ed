import {
  JSONRPC_INVALID_REQUEST,
  jsonRpcError,
  type FailureInput,
  type JsonRpcMessage,
  type WireHeaders,
} from '@mcp-tunnel/protocol';
import type { ChannelStatus } from '../observability/status.ts';

/** How a binding reaches its MCP server: a child process, Streamable HTTP, or a server in this process. */
export type BindingKind = 'stdio' | 'http' | 'memory';

/** One caller message handed to a binding. */
export interface BindingRequest {
  message: JsonRpcMessage;
  /** Command headers already filtered by forwardableRequestHeaders. */
  headers: WireHeaders;
  /** The caller's MCP session, when the command named one. */
  sessionId: string | undefined;
  /** Aborted at the command deadline or at shutdown: the binding cancels the MCP work and throws. */
  signal: AbortSignal;
  /** Messages the server sends for this request before its answer (progress, logging, server requests). */
  onMessage: (message: JsonRpcMessage) => void;
}

/**
 * The MCP server's reply to one caller message: a JSON-RPC message for requests, none for an accepted
 * notification or response; with the HTTP status and headers the caller is to see.
 */
export interface ServerReply {
  message: JsonRpcMessage | undefined;
  status: number;
  headers: WireHeaders;
}

/** A caller's standalone stream (extension standalone-stream): the server's messages outside any request. */
export interface StreamRequest {
  /** Command headers already filtered by forwardableRequestHeaders. */
  headers: WireHeaders;
  sessionId: string | undefined;
  /** Aborted at the stream's deadline, when its caller is gone, or at shutdown: the stream is closed. */
  signal: AbortSignal;
  onMessage: (message: JsonRpcMessage) => void;
}

/** What fetching the protected resource metadata gave: the document and 200, or the status it ended on. */
export interface ResourceMetadataReply {
  status: number;
  document?: Record<string, unknown>;
}

/** An open stream: the server's status and headers, and `ended`, which settles when the server ends it. */
export interface OpenStream {
  status: number;
  headers: WireHeaders;
  ended: Promise<void>;
}

/**
 * An MCP server reachable from this client, in the spirit of the MCP SDK's Transport (start, send,
 * close, onclose/onerror), but request-shaped: a tunnel needs per-request headers in, status and headers
 * out, and the server messages that belong to each request.
 */
export interface Binding {
  readonly channel: string;
  readonly kind: BindingKind;
  /** True when the server is one process this client owns (stdio, in-memory). */
  readonly procAffinity: boolean;
  /** Starts the server connection in the background; readiness is reported by status(). */
  start(): Promise<void>;
  send(request: BindingRequest): Promise<ServerReply>;
  terminateSession(
    sessionId: string | undefined,
    headers: WireHeaders,
    signal: AbortSignal,
  ): Promise<ServerReply>;
  /**
   * Opens the server's stream of messages that belong to no request, or throws BindingFailure (a
   * `target_http` 405 when the server offers none).
   */
  openStream(request: StreamRequest): Promise<OpenStream>;
  /**
   * The server's OAuth protected resource metadata (RFC 9728), for extension resource-metadata; only
   * servers reached over HTTP have one.
   */
  resourceMetadata?(signal: AbortSignal): Promise<ResourceMetadataReply>;
  status(): ChannelStatus;
  close(): Promise<void>;
}

/** The MCP server gave no valid answer; the command handler turns this into the synthesized `-32603`. */
export class BindingFailure extends Error {
  override name = 'BindingFailure';
  readonly failure: FailureInput;
  /**
   * The server's own status and headers when they are an answer in themselves: an OAuth challenge (401 or
   * 403 with WWW-Authenticate) reaches the caller as it is, so it can sign in with the server.
   */
  readonly answer: { status: number; headers: WireHeaders } | undefined;
  constructor(failure: FailureInput, message: string, answer?: { status: number; headers: WireHeaders }) {
    super(message);
    this.failure = failure;
    this.answer = answer;
  }
}

/** The caller cancelled its request (notifications/cancelled): no answer is posted for it. */
export class CallerCancelled extends Error {
  override name = 'CallerCancelled';
  constructor() {
    super('the caller cancelled the request');
  }
}

export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError');
}

/** The refusal of a caller's answer to a server request that was not sent to the caller's session. */
export function unexpectedAnswer(message: JsonRpcMessage): ServerReply {
  return {
    message: jsonRpcError(
      null,
      JSONRPC_INVALID_REQUEST,
      `No request with id ${JSON.stringify(message.id)} from the MCP server waits for an answer from this session: answer only requests received on this session's stream.`,
    ),
    status: 400,
    headers: { 'Content-Type': ['application/json'] },
  };
}
