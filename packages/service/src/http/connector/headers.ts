import type { IncomingHttpHeaders } from 'node:http';
import { allowedResponseHeaders, forwardableRequestHeaders, type WireHeaders } from '@mcp-tunnel/protocol';

/** Headers that belong to the caller's hop to the service and never travel to the MCP server. */
const NOT_FORWARDED = new Set(['authorization', 'cookie', 'host', 'origin', 'referer', 'content-length']);

const OWN_SECRET = /^\s*Bearer\s+(mcpt_|mcpo_)/i;

/** Spellings already made: callers send the same few names on every call. Bounded, as names are theirs. */
const canonicalNames = new Map<string, string>();
const MAX_CANONICAL_NAMES = 256;

/** `mcp-session-id` → `Mcp-Session-Id`, the spelling the wire uses. */
function canonicalName(name: string): string {
  let canonical = canonicalNames.get(name);
  if (canonical === undefined) {
    canonical = name
      .split('-')
      .map((part) => (part ? part[0]!.toUpperCase() + part.slice(1) : part))
      .join('-');
    if (canonicalNames.size < MAX_CANONICAL_NAMES) canonicalNames.set(name, canonical);
  }
  return canonical;
}

/**
 * The caller's end-to-end headers, multi-valued, as a command carries them. On a public tunnel the service
 * does not consume `Authorization`, so it is the MCP server's to check and travels with the command.
 */
export function commandHeaders(
  headers: IncomingHttpHeaders,
  options: { forwardAuthorization: boolean },
): WireHeaders {
  const out: WireHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith('x-tunnel-')) continue;
    if (NOT_FORWARDED.has(name) && !(name === 'authorization' && options.forwardAuthorization)) continue;
    // The service's own secrets (API keys, OAuth tokens) are consumed here, never passed to an MCP server.
    if (name === 'authorization' && OWN_SECRET.test(String(value))) continue;
    out[canonicalName(name)] = Array.isArray(value) ? value : [value];
  }
  return forwardableRequestHeaders(out);
}

/** The response headers a caller may see, as single HTTP header values; Content-Type is the service's own. */
export function callerResponseHeaders(headers: WireHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(allowedResponseHeaders(headers ?? {}))) {
    if (name === 'Content-Type' || values.length === 0) continue;
    out[name] = values.join(', ');
  }
  return out;
}
