/**
 * Protocol extensions between this project's tunnel-client and tunnel-service, beyond the public contract
 * (docs/protocol-extensions.md). The service names the extensions it offers in this header on every poll
 * answer; the client names the ones it uses in the same header on its later polls, and only after the
 * service offered them, so a service that never offers one (OpenAI's) never sees anything new.
 */
export const EXTENSIONS_HEADER = 'X-Tunnel-Extensions';

/** Relays the MCP server's standalone SSE stream (GET on the connector endpoint) through the tunnel. */
export const STANDALONE_STREAM = 'standalone-stream';

/**
 * Fetches the MCP server's OAuth protected resource metadata (RFC 9728) for a public tunnel's connector URL:
 * the service cannot reach the server, the tunnel-client can.
 */
export const RESOURCE_METADATA = 'resource-metadata';

/**
 * A tunnel-client that stops says so (`POST /v1/tunnels/{id}/leave`), so the service counts it gone at once
 * and fails or re-delivers what it held, instead of waiting to notice it gone.
 */
export const LEAVE = 'leave';

/** The body of a leave: the commands the client received but never started, for another client to take. */
export interface LeaveRequest {
  released: string[];
}

/** At most this many released request ids in one leave (a client holds at most its queue's capacity). */
export const MAX_RELEASED = 1000;

/**
 * Lets a 2026-07-28 `subscriptions/listen` request live as long as its caller keeps it: the service gives
 * such a command a deadline of hours instead of the tunnel's response_timeout. No new command or response
 * type: it is a `jsonrpc` command, answered with `jsonrpc_notify` and a final `jsonrpc_response`.
 */
export const LISTEN_STREAM = 'listen-stream';

/** The 2026-07-28 request that opens a stream of change notifications, answered only when it ends. */
export const LISTEN_METHOD = 'subscriptions/listen';

/** See command-stream.ts: one WebSocket carries commands and responses instead of polls and response POSTs. */
export const COMMAND_STREAM = 'command-stream';

export const KNOWN_EXTENSIONS = [
  STANDALONE_STREAM,
  RESOURCE_METADATA,
  LEAVE,
  LISTEN_STREAM,
  COMMAND_STREAM,
] as const;
export type Extension = (typeof KNOWN_EXTENSIONS)[number];

/** The known extensions a header value names (comma-separated tokens); unknown tokens are ignored. */
export function parseExtensions(value: string | string[] | undefined): Set<Extension> {
  const found = new Set<Extension>();
  for (const part of [value ?? []].flat())
    for (const token of part.split(','))
      if ((KNOWN_EXTENSIONS as readonly string[]).includes(token.trim().toLowerCase()))
        found.add(token.trim().toLowerCase() as Extension);
  return found;
}

/** Response types of the standalone-stream extension: `stream_open` is not terminal, `stream_end` is. */
export const STREAM_RESPONSE_TYPES = ['stream_open', 'stream_end'] as const;

/** The response type of the resource-metadata extension (terminal): `resp_json` is the document, if any. */
export const RESOURCE_METADATA_RESPONSE = 'resource_metadata';

/**
 * The request id prefix of `tunnel-client doctor`'s Tunnels Use probe: a response posted for a request that
 * cannot exist, which checks the key's Use without polling (a poll could take a running client's command).
 * Any service answers it as an unknown request, or as forbidden to a key without Use; ours also records it
 * in the audit log as the check it is (`tunnel.use_check`), not as a refused response.
 */
export const USE_PROBE_REQUEST_PREFIX = 'doctor_probe_';

export function isUseProbe(requestId: string): boolean {
  return requestId.startsWith(USE_PROBE_REQUEST_PREFIX);
}
