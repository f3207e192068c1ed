import type { FastifyPluginAsync } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { registerAuthorizationRoutes } from './authorization.ts';
import { registerMetadataRoutes } from './metadata.ts';
import { registerTokenRoutes } from './tokens.ts';

/** Endpoints OAuth clients call from anywhere, browsers included (RFC 8414 metadata, token, revocation, registration). */
const CORS_PATHS = ['/v1/oauth/token', '/v1/oauth/revoke', '/v1/oauth/register'];

/**
 * The service as OAuth authorization server of its connector URLs: discovery documents, the authorization
 * endpoint with the console's consent page, tokens, revocation and client registration.
 */
export const oauthPlugin: FastifyPluginAsync<{ context: ServiceContext }> = async (app, { context }) => {
  // Token and revocation requests are forms (RFC 6749 §4.1.3); only these routes take them.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      const form: Record<string, string> = {};
      for (const [name, value] of new URLSearchParams(String(body))) if (!(name in form)) form[name] = value;
      done(null, form);
    },
  );
  app.addHook('onSend', async (request, reply, payload) => {
    if (CORS_PATHS.includes(request.url.split('?')[0]!)) reply.header('access-control-allow-origin', '*');
    return payload;
  });
  for (const path of CORS_PATHS)
    app.options(path, { config: { auth: 'none' } }, async (_request, reply) =>
      reply
        .status(204)
        .headers({
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers': 'content-type, mcp-protocol-version',
          'access-control-max-age': '86400',
        })
        .send(),
    );
  registerMetadataRoutes(app, context);
  registerAuthorizationRoutes(app, context);
  registerTokenRoutes(app, context);
};
