import { z } from 'zod';

// Extension `command-stream` (docs/protocol-extensions.md): between our own tunnel-client and
// tunnel-service, one WebSocket (`GET /v1/tunnels/{id}/stream`) carries the commands a poll would and the
// responses the response POST would, so a call costs neither a poll answer nor a response POST.

/** The path of the stream under a tunnel's API path (`/v1/tunnels/{id}`). */
export const COMMAND_STREAM_PATH = '/stream';

/** At most this many credits outstanding on one stream (the commands a client can take at once). */
export const MAX_STREAM_CREDITS = 1000;

/**
 * How often the service pings an open stream. A peer that does not answer (the client) or is not heard
 * from (the service, by the client) within two periods is dead; the traffic also keeps idle proxies from
 * cutting the connection (most cut after 60 s or more).
 */
export const STREAM_KEEPALIVE_MS = 15_000;

/**
 * Close codes of a stream the service ends: 4000 + the HTTP status a poll would have been refused with
 * (4401, 4403, 4404, 4503), or 1001 when the service is stopping. The close reason names the error code.
 */
export const STREAM_REFUSAL_CLOSE_BASE = 4000;

/** Client to service: room for `credits` more commands (added to what is outstanding). */
export const StreamCreditFrameSchema = z.strictObject({
  type: z.literal('credit'),
  credits: z.number().int().min(1).max(MAX_STREAM_CREDITS),
});

/**
 * Client to service: one response, `payload` exactly the body of the contract's response POST,
 * `shard_token` its X-Tunnel-Shard-Token header, `id` the client's number for the service's ack, and
 * `trace_context` the W3C trace context headers the POST would carry while traces are exported.
 * The payload itself is checked by the same validation as the POST's body.
 */
export const StreamResponseFrameSchema = z.strictObject({
  type: z.literal('response'),
  id: z.number().int().nonnegative(),
  shard_token: z.string(),
  payload: z.unknown(),
  trace_context: z.record(z.string(), z.string()).optional(),
});

export const StreamClientFrameSchema = z.discriminatedUnion('type', [
  StreamCreditFrameSchema,
  StreamResponseFrameSchema,
]);
export type StreamClientFrame = z.infer<typeof StreamClientFrameSchema>;

/**
 * Service to client:
 * - `commands`: exactly a poll answer's `commands`; never more than the credits outstanding;
 * - `ack`: the answer the response POST would have had (`status` its HTTP status, `body` its JSON body:
 *   `{"status":"ok"}` or the contract's error object), for the response frame numbered `id`;
 * - `error`: a frame that cannot be acked (not JSON, no id) was refused; the stream stays open.
 */
export const StreamServiceFrameSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('commands'), commands: z.array(z.unknown()) }),
  z.looseObject({
    type: z.literal('ack'),
    id: z.number().int(),
    status: z.number().int(),
    body: z.unknown(),
  }),
  z.looseObject({ type: z.literal('error'), error: z.unknown() }),
]);
export type StreamServiceFrame = z.infer<typeof StreamServiceFrameSchema>;
