import { z } from 'zod';
import { CHANNEL_NAME_SHAPE, isChannelName } from './ids.ts';

/** `X-Tunnel-MCP-Server-Info` v1: which channels this client serves and whether each is process-affine. */
export const SERVER_INFO_MAX_CHANNELS = 32;
export const SERVER_INFO_MAX_BYTES = 4096;

export interface ServerInfoChannel {
  name: string;
  /** true for stdio and in-process bindings; omitted (never false) for Streamable HTTP. */
  proc_affinity?: true;
}
export interface ServerInfo {
  version: 1;
  channels: ServerInfoChannel[];
}

const ServerInfoSchema = z.strictObject({
  version: z.literal(1),
  channels: z
    .array(z.strictObject({ name: z.string(), proc_affinity: z.boolean().optional() }))
    .max(SERVER_INFO_MAX_CHANNELS),
});

export type ServerInfoResult =
  { ok: true; value: ServerInfo; header: string } | { ok: false; reason: string };

function checkChannels(channels: { name: string; proc_affinity?: boolean }[]): string | undefined {
  const seen = new Set<string>();
  for (const channel of channels) {
    if (!isChannelName(channel.name))
      return `channel name ${JSON.stringify(channel.name)} must be ${CHANNEL_NAME_SHAPE}`;
    if (seen.has(channel.name)) return `channel name ${JSON.stringify(channel.name)} appears twice`;
    seen.add(channel.name);
  }
  if (channels.length > SERVER_INFO_MAX_CHANNELS)
    return `at most ${SERVER_INFO_MAX_CHANNELS} channels are allowed`;
  return undefined;
}

/** Builds the compact header value, refusing anything the contract forbids. */
export function buildServerInfo(channels: { name: string; procAffinity: boolean }[]): ServerInfoResult {
  const value: ServerInfo = {
    version: 1,
    channels: channels.map((c) =>
      c.procAffinity ? { name: c.name, proc_affinity: true } : { name: c.name },
    ),
  };
  const problem = checkChannels(value.channels);
  if (problem) return { ok: false, reason: problem };
  const header = JSON.stringify(value);
  if (Buffer.byteLength(header, 'utf8') > SERVER_INFO_MAX_BYTES)
    return { ok: false, reason: `the header would exceed ${SERVER_INFO_MAX_BYTES} bytes` };
  return { ok: true, value, header };
}

/** Parses a header sent by any client; the service records it for display and affinity decisions. */
export function parseServerInfo(header: string): ServerInfoResult {
  if (Buffer.byteLength(header, 'utf8') > SERVER_INFO_MAX_BYTES)
    return { ok: false, reason: `longer than ${SERVER_INFO_MAX_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(header);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  const parsed = ServerInfoSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: z.prettifyError(parsed.error) };
  const problem = checkChannels(parsed.data.channels);
  if (problem) return { ok: false, reason: problem };
  const value: ServerInfo = {
    version: 1,
    channels: parsed.data.channels.map((c) =>
      c.proc_affinity ? { name: c.name, proc_affinity: true } : { name: c.name },
    ),
  };
  return { ok: true, value, header };
}
