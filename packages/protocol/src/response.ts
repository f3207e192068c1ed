import { z } from 'zod';
import { WireHeadersSchema } from './commands.ts';
import { RESOURCE_METADATA_RESPONSE, STREAM_RESPONSE_TYPES } from './extensions.ts';

/** The contract's response types. */
export const RESPONSE_TYPES = [
  'jsonrpc_response',
  'jsonrpc_notify',
  'notify_ack',
  'session_termination_response',
] as const;
/** The contract's types and those of the extensions (standalone-stream, resource-metadata), which only our service is sent. */
export const ResponseTypeSchema = z.enum([
  ...RESPONSE_TYPES,
  ...STREAM_RESPONSE_TYPES,
  RESOURCE_METADATA_RESPONSE,
]);
export type ResponseType = z.infer<typeof ResponseTypeSchema>;

/** Terminal response types end a command; `jsonrpc_notify` may come many times before one of them. */
export function isTerminalResponseType(type: ResponseType): boolean {
  return type !== 'jsonrpc_notify' && type !== 'stream_open';
}

export const TunnelResponsePayloadSchema = z.strictObject({
  request_id: z.string().min(1),
  channel: z.string().nullish(),
  resp_json: z.record(z.string(), z.unknown()).nullish(),
  resp_headers: WireHeadersSchema.optional(),
  resp_code: z.number().int(),
  resp_type: ResponseTypeSchema.default('jsonrpc_response'),
});
export type TunnelResponsePayload = z.infer<typeof TunnelResponsePayloadSchema>;

export const TunnelResponseAckSchema = z.looseObject({ status: z.literal('ok') });
export type TunnelResponseAck = z.infer<typeof TunnelResponseAckSchema>;

export const TunnelClientMetadataSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string(),
});
export type TunnelClientMetadata = z.infer<typeof TunnelClientMetadataSchema>;
