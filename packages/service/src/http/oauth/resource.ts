// Connector URLs as OAuth protected resources: the resource identifier of each tunnel and channel, where its
// metadata lives (RFC 9728 §3.1: /.well-known/oauth-protected-resource inserted before the path), and back.
import { isChannelName, isTunnelId, MAIN_CHANNEL } from '@mcp-tunnel/protocol';
import type { ClientPolicy } from '../../auth/oauth-clients.ts';
import type { TokenLifetimes } from '../../auth/oauth-grants.ts';

/** The service's OAuth settings, shared by the routes through the ServiceContext. */
export interface OAuthSettings {
  /** An origin without a trailing slash; set once the service knows the port it listens on. */
  issuer: string;
  lifetimes: TokenLifetimes;
  clients: ClientPolicy;
}

export const CONNECTOR_PREFIX = '/v1/mcp';
export const RESOURCE_METADATA_PREFIX = '/.well-known/oauth-protected-resource';

/** The path a connector URL is called at: `/v1/mcp/{tunnel}` for main, `/v1/mcp/{tunnel}/{channel}` otherwise. */
export function connectorPath(tunnelId: string, channel: string | undefined): string {
  return `${CONNECTOR_PREFIX}/${tunnelId}${channel === undefined ? '' : `/${channel}`}`;
}

/** The resource identifier of a connector URL, as the caller wrote it (a named `main` stays named). */
export function connectorResource(issuer: string, tunnelId: string, channel: string | undefined): string {
  return `${issuer}${connectorPath(tunnelId, channel)}`;
}

export function resourceMetadataUrl(issuer: string, tunnelId: string, channel: string | undefined): string {
  return `${issuer}${RESOURCE_METADATA_PREFIX}${connectorPath(tunnelId, channel)}`;
}

/** The tunnel and channel a resource indicator names, or undefined when it is no connector URL of this service. */
export function parseResource(
  issuer: string,
  resource: string,
): { tunnelId: string; channel: string } | undefined {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    return undefined;
  }
  if (url.origin !== issuer || url.search || url.hash) return undefined;
  const match = /^\/v1\/mcp\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
  if (!match || !isTunnelId(match[1]!)) return undefined;
  const channel = match[2] ?? MAIN_CHANNEL;
  if (!isChannelName(channel)) return undefined;
  return { tunnelId: match[1]!, channel };
}

/** A `WWW-Authenticate: Bearer` challenge pointing at the connector URL's metadata (RFC 6750, RFC 9728 §5.1). */
export function bearerChallenge(
  metadataUrl: string,
  extra: { error?: string; description?: string; scope?: string } = {},
): string {
  const params = [`resource_metadata="${metadataUrl}"`];
  if (extra.scope) params.push(`scope="${extra.scope}"`);
  if (extra.error) params.push(`error="${extra.error}"`);
  // A quoted-string of printable ASCII: the description may quote what the caller sent.
  if (extra.description)
    params.push(
      `error_description="${extra.description.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, ' ')}"`,
    );
  return `Bearer ${params.join(', ')}`;
}
