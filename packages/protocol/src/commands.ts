import { z } from 'zod';
import { JsonRpcMessageSchema } from './jsonrpc.ts';

/** Multi-valued headers as they travel on the wire: `{"Name": ["v1", "v2"]}`. */
export const WireHeadersSchema = z.record(z.string(), z.array(z.string()));
export type WireHeaders = z.infer<typeof WireHeadersSchema>;

const commandBase = {
  request_id: z.string().min(1),
  shard_token: z.string().min(1),
  channel: z.string().default('main'),
  created_at: z.string(),
  response_timeout: z.string().nullish(),
  headers: WireHeadersSchema.default({}),
};

export const JsonRpcCommandSchema = z.looseObject({
  ...commandBase,
  command_type: z.literal('jsonrpc').default('jsonrpc'),
  jsonrpc: JsonRpcMessageSchema,
});
export type JsonRpcCommand = z.infer<typeof JsonRpcCommandSchema>;

export const SessionTerminationCommandSchema = z.looseObject({
  ...commandBase,
  command_type: z.literal('session_termination'),
});
export type SessionTerminationCommand = z.infer<typeof SessionTerminationCommandSchema>;

/**
 * Extension `standalone-stream` (docs/protocol-extensions.md), only sent to a client that asked for it:
 * open the MCP server's stream of messages that belong to no request (the GET stream of Streamable HTTP,
 * unsolicited messages of a stdio server) for the session in `headers`, and relay it: `stream_open` once
 * it is open, each message as `jsonrpc_notify`, `stream_end` when it ends.
 */
export const StandaloneStreamCommandSchema = z.looseObject({
  ...commandBase,
  command_type: z.literal('standalone_stream'),
});
export type StandaloneStreamCommand = z.infer<typeof StandaloneStreamCommandSchema>;

/**
 * Extension `resource-metadata` (docs/protocol-extensions.md), only sent to a client that asked for it:
 * fetch the channel's MCP server's OAuth protected resource metadata and answer `resource_metadata`.
 */
export const ResourceMetadataCommandSchema = z.looseObject({
  ...commandBase,
  command_type: z.literal('resource_metadata'),
});
export type ResourceMetadataCommand = z.infer<typeof ResourceMetadataCommandSchema>;

export type PolledCommand =
  JsonRpcCommand | SessionTerminationCommand | StandaloneStreamCommand | ResourceMetadataCommand;

/** Command types that belong to an extension, by the extension a service must have offered for them. */
export const EXTENSION_COMMAND_TYPES = {
  standalone_stream: 'standalone-stream',
  resource_metadata: 'resource-metadata',
} as const;

/**
 * A poll body is parsed one command at a time so that an unknown `command_type` or one malformed
 * command is reported with its request id and skipped, while the rest are still processed.
 */
export const PolledCommandListSchema = z.looseObject({ commands: z.array(z.unknown()) });

export type ParsedCommand =
  { ok: true; command: PolledCommand } | { ok: false; requestId: string | undefined; reason: string };

export function parsePolledCommand(raw: unknown): ParsedCommand {
  const requestId =
    raw && typeof raw === 'object' && typeof (raw as { request_id?: unknown }).request_id === 'string'
      ? (raw as { request_id: string }).request_id
      : undefined;
  if (!raw || typeof raw !== 'object') return { ok: false, requestId, reason: 'command is not an object' };
  const type = (raw as { command_type?: unknown }).command_type ?? 'jsonrpc';
  const schema =
    type === 'jsonrpc'
      ? JsonRpcCommandSchema
      : type === 'session_termination'
        ? SessionTerminationCommandSchema
        : type === 'standalone_stream'
          ? StandaloneStreamCommandSchema
          : type === 'resource_metadata'
            ? ResourceMetadataCommandSchema
            : undefined;
  if (!schema) return { ok: false, requestId, reason: `unknown command_type ${JSON.stringify(type)}` };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, requestId, reason: z.prettifyError(parsed.error) };
  return { ok: true, command: parsed.data };
}
