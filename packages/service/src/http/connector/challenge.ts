import type { FastifyRequest } from 'fastify';
import {
  headerValue,
  isChannelName,
  isTunnelId,
  withoutAuthParam,
  type WireHeaders,
} from '@mcp-tunnel/protocol';
import { TUNNEL_SCOPE } from '../../auth/oauth-grants.ts';
import { bearerToken } from '../../auth/principal.ts';
import type { ServiceContext } from '../context.ts';
import { ApiRefusal, JsonRpcRefusal } from '../errors.ts';
import { bearerChallenge, resourceMetadataUrl } from '../oauth/resource.ts';
import type { ConnectorRequest } from './request.ts';

/**
 * The `WWW-Authenticate` challenge of a connector refusal (MCP authorization, RFC 9728 §5.1): a caller
 * without valid credentials learns where the connector URL's metadata is, hence how to sign in with OAuth;
 * an OAuth caller whose member lacks Tunnels Use is told `insufficient_scope`. A public tunnel's MCP
 * server challenges its callers itself.
 */
export async function challengeHeaders(
  context: ServiceContext,
  request: FastifyRequest,
  refusal: ApiRefusal | JsonRpcRefusal,
): Promise<Record<string, string>> {
  if (refusal.status !== 401 && refusal.status !== 403) return {};
  const { tunnel_id: tunnelId, channel } = (request as FastifyRequest<ConnectorRequest>).params;
  // A malformed connector URL names no resource to sign in to (and a header must not carry it).
  if (!tunnelId || !isTunnelId(tunnelId) || (channel !== undefined && !isChannelName(channel))) return {};
  if ((await context.store.tunnels.get(tunnelId))?.connector_access === 'public') return {};
  const metadata = resourceMetadataUrl(context.oauth.issuer, tunnelId, channel);
  const code = refusal instanceof ApiRefusal ? refusal.body.error.code : null;
  if (refusal.status === 401) {
    const presented = bearerToken(request.headers.authorization) !== undefined;
    return {
      'www-authenticate': bearerChallenge(metadata, {
        scope: TUNNEL_SCOPE,
        ...(presented ? { error: 'invalid_token', description: refusal.message } : {}),
      }),
    };
  }
  if (request.principal?.grant && code === 'tunnel_use_forbidden')
    return {
      'www-authenticate': bearerChallenge(metadata, {
        scope: TUNNEL_SCOPE,
        error: 'insufficient_scope',
        description: refusal.message,
      }),
    };
  return {};
}

/**
 * A public tunnel's MCP server challenges its callers itself; its `resource_metadata` (the server's own
 * address, or nothing when our tunnel-client left it out) becomes the connector URL's, where the service
 * serves the server's metadata with the connector URL as resource. Empty when there is no challenge.
 */
export function upstreamChallenge(
  context: ServiceContext,
  tunnelId: string,
  channel: string | undefined,
  headers: WireHeaders | undefined,
): Record<string, string> {
  if (headerValue(headers, 'WWW-Authenticate') === undefined) return {};
  const metadata = resourceMetadataUrl(context.oauth.issuer, tunnelId, channel);
  const values = Object.entries(headers ?? {})
    .filter(([name]) => name.toLowerCase() === 'www-authenticate')
    .flatMap(([, list]) => list)
    .map((value) => {
      const rest = withoutAuthParam(value, 'resource_metadata').value;
      const match = /^Bearer(?:\s+(.*))?$/is.exec(rest);
      if (!match) return rest;
      return `Bearer resource_metadata="${metadata}"${match[1] ? `, ${match[1]}` : ''}`;
    });
  return { 'WWW-Authenticate': values.join(', ') };
}
