// The token endpoint (authorization_code with PKCE, refresh_token with rotation), revocation (RFC 7009) and
// Dynamic Client Registration (RFC 7591). Their callers are OAuth clients: errors are RFC 6749 §5.2 bodies.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ClientProblem, registerClient } from '../../auth/oauth-clients.ts';
import { exchangeCode, OAuthError, refreshTokens, revokeToken } from '../../auth/oauth-grants.ts';
import type { OAuthGrantRow } from '../../store/repositories/oauth-grants.ts';
import { noteAudit } from '../audit.ts';
import type { ServiceContext } from '../context.ts';

type Form = Record<string, string | undefined>;
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

function field(body: unknown, name: string): string | undefined {
  const value = (body as Form | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

async function member(context: ServiceContext, grant: OAuthGrantRow | undefined) {
  return grant ? await context.store.members.get(grant.member_id) : undefined;
}

/** Sends an OAuth error and tells the audit log who it concerned. */
async function refuse(
  context: ServiceContext,
  request: FastifyRequest,
  reply: FastifyReply,
  error: OAuthError,
) {
  const who = await member(context, error.grant);
  noteAudit(request, {
    refused: true,
    reason: error.error,
    ...(who ? { member: who } : {}),
    ...(error.grant ? { target: error.grant.id } : {}),
  });
  return reply
    .status(error.status)
    .headers(NO_STORE)
    .send({ error: error.error, error_description: error.message });
}

export function registerTokenRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { store } = context;
  const open = { auth: 'none' as const };

  app.post('/v1/oauth/token', { config: { ...open, action: 'oauth.token' } }, async (request, reply) => {
    const body = request.body;
    const grantType = field(body, 'grant_type');
    try {
      if (!body || typeof body !== 'object')
        throw new OAuthError(
          'invalid_request',
          'Send the token request as application/x-www-form-urlencoded.',
        );
      let issued;
      if (grantType === 'authorization_code') {
        const code = field(body, 'code');
        if (!code) throw new OAuthError('invalid_request', 'code is missing.');
        issued = await exchangeCode(
          store,
          {
            code,
            clientId: field(body, 'client_id'),
            redirectUri: field(body, 'redirect_uri'),
            codeVerifier: field(body, 'code_verifier'),
            resource: field(body, 'resource'),
          },
          context.oauth.lifetimes,
        );
      } else if (grantType === 'refresh_token') {
        const refreshToken = field(body, 'refresh_token');
        if (!refreshToken) throw new OAuthError('invalid_request', 'refresh_token is missing.');
        issued = await refreshTokens(
          store,
          { refreshToken, clientId: field(body, 'client_id'), resource: field(body, 'resource') },
          context.oauth.lifetimes,
        );
      } else
        throw new OAuthError(
          'unsupported_grant_type',
          `grant_type ${JSON.stringify(grantType ?? '')} is not supported: use authorization_code or refresh_token.`,
        );
      const who = await member(context, issued.grant);
      noteAudit(request, { target: issued.grant.id, ...(who ? { member: who } : {}) });
      return reply.headers(NO_STORE).send(issued.tokens);
    } catch (error) {
      if (error instanceof OAuthError) return refuse(context, request, reply, error);
      throw error;
    }
  });

  app.post('/v1/oauth/revoke', { config: { ...open, action: 'oauth.revoke' } }, async (request, reply) => {
    const token = field(request.body, 'token');
    try {
      if (!token) throw new OAuthError('invalid_request', 'token is missing.');
      const grant = await revokeToken(store, token, field(request.body, 'client_id'));
      const who = await member(context, grant);
      if (grant) noteAudit(request, { target: grant.id, ...(who ? { member: who } : {}) });
      return reply.headers(NO_STORE).status(200).send();
    } catch (error) {
      if (error instanceof OAuthError) return refuse(context, request, reply, error);
      throw error;
    }
  });

  app.post(
    '/v1/oauth/register',
    { config: { ...open, action: 'oauth.register' } },
    async (request, reply) => {
      if (!context.oauth.clients.dynamicRegistration) {
        noteAudit(request, { refused: true, reason: 'registration_disabled' });
        return reply.status(403).send({
          error: 'access_denied',
          error_description:
            'Dynamic Client Registration is turned off on this service (--oauth-registration): use a Client ID Metadata Document URL as client_id.',
        });
      }
      try {
        const client = await registerClient(store, request.body);
        noteAudit(request, { target: client.id });
        return reply
          .status(201)
          .headers(NO_STORE)
          .send({
            client_id: client.id,
            client_id_issued_at: Math.floor(Date.parse(client.created_at) / 1000),
            client_name: client.name,
            redirect_uris: client.redirect_uris,
            ...(client.client_uri ? { client_uri: client.client_uri } : {}),
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            // Every client is public: it proves itself with PKCE, so there is no secret to leak.
            token_endpoint_auth_method: 'none',
          });
      } catch (error) {
        if (!(error instanceof ClientProblem)) throw error;
        noteAudit(request, { refused: true, reason: error.error });
        return reply.status(400).send({ error: error.error, error_description: error.message });
      }
    },
  );
}
