// The authorization endpoint (RFC 6749 §4.1 with PKCE, RFC 8707 resource, RFC 9207 iss): GET /oauth/authorize
// checks the request and hands the browser to the console's consent page, which reads the request back
// (GET /v1/oauth/authorization) and sends the member's decision (POST /v1/oauth/authorization) with the
// session cookie and CSRF token. Nothing is kept between the steps: each one checks the request again.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ClientProblem, resolveClient } from '../../auth/oauth-clients.ts';
import { approve, memberMayUse, TUNNEL_SCOPE } from '../../auth/oauth-grants.ts';
import { PKCE_CHALLENGE } from '../../auth/oauth-secrets.ts';
import type { OAuthClientRow } from '../../store/repositories/oauth-clients.ts';
import { noteAudit } from '../audit.ts';
import type { ServiceContext } from '../context.ts';
import { ApiRefusal, badRequest, forbidden } from '../errors.ts';
import { principalOf } from '../request-principal.ts';
import { parseResource } from './resource.ts';

type Query = Record<string, string | undefined>;

/** A request that is valid as far as the client and redirect URI go, so errors can be sent back to it. */
interface Redirectable {
  client: OAuthClientRow;
  redirectUri: string;
  state: string | undefined;
}

export interface AuthorizationRequest extends Redirectable {
  codeChallenge: string;
  scope: string;
  resource: string;
  tunnelId: string;
  channel: string;
}

/** The request cannot be sent back to the client (unknown client, redirect URI not registered): shown, never redirected. */
class Unredirectable extends Error {}

/** An error for the client, sent to its redirect URI (RFC 6749 §4.1.2.1). */
class RedirectError extends Error {
  readonly error: string;
  readonly target: Redirectable;
  constructor(target: Redirectable, error: string, description: string) {
    super(description);
    this.error = error;
    this.target = target;
  }
}

function one(query: Query, name: string): string | undefined {
  const value = query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `redirect_uri` with the answer's parameters and `iss`, which tells the client which server answered. */
function redirectTo(context: ServiceContext, target: Redirectable, params: Record<string, string>): string {
  const url = new URL(target.redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  if (target.state !== undefined) url.searchParams.set('state', target.state);
  url.searchParams.set('iss', context.oauth.issuer);
  return url.href;
}

async function readRequest(context: ServiceContext, query: Query): Promise<AuthorizationRequest> {
  const clientId = one(query, 'client_id');
  if (!clientId) throw new Unredirectable('The authorization request has no client_id.');
  let client: OAuthClientRow;
  try {
    client = await resolveClient(context.store, clientId, context.oauth.clients);
  } catch (error) {
    if (error instanceof ClientProblem) throw new Unredirectable(error.message);
    throw error;
  }
  const redirectUri = one(query, 'redirect_uri');
  if (!redirectUri || !client.redirect_uris.includes(redirectUri))
    throw new Unredirectable(
      redirectUri
        ? `redirect_uri ${redirectUri} is not one the client ${client.name} registered; it must match one of them exactly.`
        : 'The authorization request has no redirect_uri.',
    );
  const target: Redirectable = { client, redirectUri, state: one(query, 'state') };
  if (one(query, 'response_type') !== 'code')
    throw new RedirectError(target, 'unsupported_response_type', 'response_type must be "code".');
  const codeChallenge = one(query, 'code_challenge');
  if (!codeChallenge || one(query, 'code_challenge_method') !== 'S256' || !PKCE_CHALLENGE.test(codeChallenge))
    throw new RedirectError(
      target,
      'invalid_request',
      'PKCE is required: send code_challenge (43 base64url characters) with code_challenge_method=S256.',
    );
  const resource = one(query, 'resource');
  const named = resource && parseResource(context.oauth.issuer, resource);
  if (!resource || !named)
    throw new RedirectError(
      target,
      'invalid_target',
      `resource must name the connector URL to use, ${context.oauth.issuer}/v1/mcp/{tunnel_id}[/{channel}] (RFC 8707).`,
    );
  const requested = (one(query, 'scope') ?? '').split(' ').filter(Boolean);
  if (requested.length > 0 && !requested.includes(TUNNEL_SCOPE))
    throw new RedirectError(target, 'invalid_scope', `The only scope is ${TUNNEL_SCOPE}.`);
  return { ...target, codeChallenge, scope: TUNNEL_SCOPE, resource, ...named };
}

const NOT_ALLOWED =
  "Your role lacks Tunnels Use on this tunnel's organization, so you cannot let an application use it. Ask an owner for a role with Tunnels Use.";

export function registerAuthorizationRoutes(app: FastifyInstance, context: ServiceContext): void {
  const { store } = context;

  /** The endpoint clients send the browser to: a request that checks out goes on to the consent page. */
  app.get(
    '/oauth/authorize',
    { config: { action: 'oauth.authorize', auditRefusalsOnly: true } },
    async (request: FastifyRequest<{ Querystring: Query }>, reply: FastifyReply) => {
      try {
        await readRequest(context, request.query);
      } catch (error) {
        if (error instanceof RedirectError) {
          noteAudit(request, { refused: true, reason: error.error, target: error.target.client.id });
          return reply.redirect(
            redirectTo(context, error.target, { error: error.error, error_description: error.message }),
          );
        }
        if (error instanceof Unredirectable) {
          noteAudit(request, { refused: true, reason: 'invalid_authorization_request' });
          return reply.status(400).type('text/html; charset=utf-8').send(errorPage(error.message));
        }
        throw error;
      }
      const query = new URLSearchParams(request.url.split('?')[1] ?? '').toString();
      return reply.redirect(`/console/#/authorize?${query}`);
    },
  );

  /** What the consent page shows: which application, where it returns to, which tunnel; and if the member may approve. */
  app.get(
    '/v1/oauth/authorization',
    { config: { action: 'oauth.authorize', auditRefusalsOnly: true } },
    async (request: FastifyRequest<{ Querystring: Query }>) => {
      const principal = principalOf(request);
      const authorization = await checked(context, request.query);
      const tunnel = await store.tunnels.get(authorization.tunnelId);
      const visible = tunnel?.organization_ids.includes(principal.organizationId) ?? false;
      const allowed = visible && (await memberMayUse(store, principal.owner, authorization.tunnelId));
      return {
        client: {
          id: authorization.client.id,
          name: authorization.client.name,
          client_uri: authorization.client.client_uri,
          // A metadata document's name is vouched for by its URL's host; a registered name is the client's word.
          verified_host:
            authorization.client.kind === 'metadata_document' ? new URL(authorization.client.id).host : null,
        },
        redirect_host: new URL(authorization.redirectUri).host,
        resource: authorization.resource,
        tunnel: visible ? { id: tunnel!.id, name: tunnel!.name, channel: authorization.channel } : null,
        scope: authorization.scope,
        can_approve: allowed,
        ...(allowed
          ? {}
          : {
              reason: !visible
                ? `No tunnel ${authorization.tunnelId} in your organization: the application asks for a tunnel you cannot see.`
                : tunnel?.connector_access === 'public'
                  ? 'This tunnel is public: its callers need no authorization from this service.'
                  : NOT_ALLOWED,
            }),
      };
    },
  );

  const Decision = z.looseObject({ decision: z.enum(['approve', 'deny']) });

  /** The member's decision: a code for the client on approval, `access_denied` otherwise; both go back to it. */
  app.post(
    '/v1/oauth/authorization',
    { config: { action: 'oauth.authorize' } },
    async (request: FastifyRequest<{ Body: unknown }>) => {
      const principal = principalOf(request);
      if (!principal.session)
        throw forbidden(
          'session_required',
          'Only a member signed in to the console can approve an application.',
        );
      const body = Decision.safeParse(request.body);
      if (!body.success)
        throw badRequest(
          'invalid_request',
          'Send the authorization request\'s parameters with "decision": "approve" or "deny".',
        );
      const query = Object.fromEntries(
        Object.entries(body.data).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      );
      const authorization = await checked(context, query);
      noteAudit(request, { target: authorization.client.id });
      if (body.data.decision === 'deny') {
        noteAudit(request, { refused: true, reason: 'access_denied_by_member' });
        return {
          redirect_to: redirectTo(context, authorization, {
            error: 'access_denied',
            error_description: 'The member denied the request.',
          }),
        };
      }
      const tunnel = await store.tunnels.get(authorization.tunnelId);
      if (
        !tunnel?.organization_ids.includes(principal.organizationId) ||
        !(await memberMayUse(store, principal.owner, tunnel.id))
      )
        throw forbidden('tunnel_use_forbidden', NOT_ALLOWED);
      const { grant, code } = await approve(store, {
        member: principal.owner,
        client: authorization.client,
        redirectUri: authorization.redirectUri,
        tunnelId: authorization.tunnelId,
        channel: authorization.channel,
        resource: authorization.resource,
        scope: authorization.scope,
        codeChallenge: authorization.codeChallenge,
      });
      noteAudit(request, { target: grant.id });
      return { redirect_to: redirectTo(context, authorization, { code }) };
    },
  );
}

/** The request as the consent page sends it back; any problem is a refusal the page can show. */
async function checked(context: ServiceContext, query: Query): Promise<AuthorizationRequest> {
  try {
    return await readRequest(context, query);
  } catch (error) {
    if (error instanceof Unredirectable || error instanceof RedirectError)
      throw new ApiRefusal(
        400,
        'invalid_request_error',
        error instanceof RedirectError ? error.error : 'invalid_authorization_request',
        error.message,
      );
    throw error;
  }
}

function errorPage(message: string): string {
  const escaped = message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authorization request refused</title></head>
<body><main><h1>This authorization request cannot be completed</h1><p>${escaped}</p>
<p>Nothing was sent back to the application. Tell its developer, or start again from the application.</p></main></body></html>
`;
}
