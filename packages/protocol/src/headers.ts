import type { WireHeaders } from './commands.ts';

export const HEADER = {
  clientName: 'X-Tunnel-Client-Name',
  clientVersion: 'X-Tunnel-Client-Version',
  clientInstanceId: 'X-Tunnel-Client-Instance-Id',
  serverInfo: 'X-Tunnel-MCP-Server-Info',
  shardToken: 'X-Tunnel-Shard-Token',
  clientRequestId: 'X-Client-Request-Id',
  mcpSessionId: 'Mcp-Session-Id',
  mcpProtocolVersion: 'Mcp-Protocol-Version',
  lastEventId: 'Last-Event-ID',
} as const;

/** Headers that describe one hop or the proxy path, never the MCP request itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'forwarded',
  'via',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
  'true-client-ip',
  'cf-connecting-ip',
]);

function connectionNominated(headers: WireHeaders): Set<string> {
  const named = new Set<string>();
  for (const [name, values] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'connection') continue;
    for (const value of values) for (const token of value.split(',')) named.add(token.trim().toLowerCase());
  }
  return named;
}

/** The command headers that may be applied to an upstream MCP request. */
export function forwardableRequestHeaders(headers: WireHeaders): WireHeaders {
  const nominated = connectionNominated(headers);
  const out: WireHeaders = {};
  for (const [name, values] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || nominated.has(lower) || lower.startsWith('proxy-')) continue;
    out[name] = values;
  }
  return out;
}

const RESPONSE_ALLOWLIST = [
  'Content-Type',
  'Mcp-Session-Id',
  'Mcp-Protocol-Version',
  'Last-Event-ID',
  'Access-Control-Expose-Headers',
  'WWW-Authenticate',
];
const RESPONSE_ALLOWLIST_BY_LOWER = new Map(RESPONSE_ALLOWLIST.map((h) => [h.toLowerCase(), h]));

/** Keeps only the response headers the contract lets through, in their canonical spelling. */
export function allowedResponseHeaders(headers: WireHeaders | Headers): WireHeaders {
  const out: WireHeaders = {};
  const entries: [string, string[]][] =
    headers instanceof Headers ? [...headers.entries()].map(([k, v]) => [k, [v]]) : Object.entries(headers);
  for (const [name, values] of entries) {
    const canonical = RESPONSE_ALLOWLIST_BY_LOWER.get(name.toLowerCase());
    if (canonical) out[canonical] = [...(out[canonical] ?? []), ...values];
  }
  return out;
}

/** Case-insensitive single-value lookup in multi-valued wire headers. */
export function headerValue(headers: WireHeaders | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  for (const [key, values] of Object.entries(headers)) if (key.toLowerCase() === lower) return values[0];
  return undefined;
}

/**
 * An auth-param taken out of a WWW-Authenticate value (RFC 9110 §11.6.1): the value without it, and the
 * param's own value, unquoted.
 */
export function withoutAuthParam(header: string, name: string): { value: string; removed?: string } {
  const pattern = new RegExp(
    `(^|,|\\s)\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^,\\s]*))\\s*(,?)`,
    'i',
  );
  const match = pattern.exec(header);
  if (!match) return { value: header };
  const removed = (match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1');
  const before = header.slice(0, match.index) + (match[1] === ',' ? '' : match[1]);
  const after = header.slice(match.index + match[0].length);
  const joined = (
    match[1] === ',' && match[4] === ',' ? `${before}, ${after.trimStart()}` : `${before}${after}`
  ).trim();
  return {
    value: joined
      .replace(/,\s*$/, '')
      .replace(/^(\S+)\s+/, '$1 ')
      .trim(),
    removed,
  };
}

/** The W3C Trace Context headers, as a command carries them to the tunnel-client and on to an MCP server. */
const TRACE_CONTEXT = ['traceparent', 'tracestate'] as const;

/** The trace context a command's headers carry, under the lower-case names W3C propagators read. */
export function traceContextOf(headers: WireHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if ((TRACE_CONTEXT as readonly string[]).includes(lower) && values.length > 0)
      out[lower] = values.join(',');
  }
  return out;
}

/**
 * The headers with their trace context replaced by `carried` (what a propagator injected): one hop's
 * span becomes the parent of the next. Without a trace context to carry, the headers stay as they are.
 */
export function withTraceContext(headers: WireHeaders, carried: Record<string, string>): WireHeaders {
  if (!carried.traceparent) return headers;
  const out: WireHeaders = {};
  for (const [name, values] of Object.entries(headers))
    if (!(TRACE_CONTEXT as readonly string[]).includes(name.toLowerCase())) out[name] = values;
  out.Traceparent = [carried.traceparent];
  if (carried.tracestate) out.Tracestate = [carried.tracestate];
  return out;
}
