import type { FastifyInstance } from 'fastify';
import { TUNNEL_SCOPE } from '../../auth/oauth-grants.ts';
import type { ServiceContext } from '../context.ts';
import { connectorResource, RESOURCE_METADATA_PREFIX, CONNECTOR_PREFIX } from './resource.ts';
import { upstreamResourceMetadata } from './upstream-metadata.ts';

type ResourceParams = { Params: { tunnel_id: string; channel?: string } };

/** Authorization Server Metadata (RFC 8414); the same document answers OpenID discovery, which clients try too. */
export function authorizationServerMetadata(context: ServiceContext) {
  const { issuer, clients } = context.oauth;
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/v1/oauth/token`,
    revocation_endpoint: `${issuer}/v1/oauth/revoke`,
    ...(clients.dynamicRegistration ? { registration_endpoint: `${issuer}/v1/oauth/register` } : {}),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    scopes_supported: [TUNNEL_SCOPE],
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: clients.metadataDocuments,
    // OpenID discovery requires these; no ID tokens are issued.
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['none'],
  };
}

/**
 * The discovery documents: authorization server metadata at the root, and protected resource metadata
 * (RFC 9728) for every connector URL. A key tunnel names this service as its authorization server; a
 * public tunnel's document is its MCP server's own, fetched through the tunnel, with the connector URL as
 * its resource.
 */
export function registerMetadataRoutes(app: FastifyInstance, context: ServiceContext): void {
  const cors = { 'access-control-allow-origin': '*', 'cache-control': 'max-age=300' };
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])
    app.get(path, async (_request, reply) => reply.headers(cors).send(authorizationServerMetadata(context)));

  for (const url of [
    `${RESOURCE_METADATA_PREFIX}${CONNECTOR_PREFIX}/:tunnel_id`,
    `${RESOURCE_METADATA_PREFIX}${CONNECTOR_PREFIX}/:tunnel_id/:channel`,
  ])
    app.get<ResourceParams>(url, async (request, reply) => {
      const { tunnel_id: tunnelId, channel } = request.params;
      const resource = connectorResource(context.oauth.issuer, tunnelId, channel);
      const tunnel = await context.store.tunnels.get(tunnelId);
      if (tunnel?.connector_access === 'public')
        return upstreamResourceMetadata(context, request, reply, tunnel, channel, resource);
      // Anyone may read this: unknown tunnels get the same document, and no tunnel's name is in it.
      return reply.headers(cors).send({
        resource,
        authorization_servers: [context.oauth.issuer],
        scopes_supported: [TUNNEL_SCOPE],
        bearer_methods_supported: ['header'],
        resource_name: `MCP tunnel ${tunnelId}`,
      });
    });
}
