import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { bearerToken, type Principal } from '../auth/principal.ts';
import { SESSION_COOKIE } from '../auth/browser-sessions.ts';
import { isAccessToken } from '../auth/oauth-secrets.ts';
import { ApiRefusal, forbidden, invalidApiKey } from './errors.ts';
import type { ServiceContext } from './context.ts';
import type { BrowserSessionRow } from '../store/repositories/browser-sessions.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Who may call the route. Routes under /v1 need a caller unless they say `none` (sign-in pages) or
     * `optional` (the caller is resolved when present; a refusal is kept for the handler to raise if it
     * needs one). Routes outside /v1 (the console's pages) need none.
     */
    auth?: 'none' | 'optional';
    /** The route takes OAuth access tokens (the connector endpoint); every other route refuses them. */
    oauthAccessTokens?: boolean;
  }
  interface FastifyRequest {
    /** Set by the authentication hook before any handler runs. */
    principal: Principal | null;
    /** Why an `optional` route has no principal, when a key or cookie was presented but not accepted. */
    authRefusal: ApiRefusal | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A cookie travels with any request the browser makes; only the console's own pages know this token. */
export function requireCsrfToken(request: FastifyRequest, session: BrowserSessionRow): void {
  const csrf = request.headers['x-csrf-token'];
  if (
    SAFE_METHODS.has(request.method) ||
    sameSecret(Array.isArray(csrf) ? csrf[0] : csrf, session.csrf_token)
  )
    return;
  throw forbidden(
    'csrf_token_invalid',
    'This change was sent with the sign-in cookie but without the matching X-CSRF-Token header. Send the csrf_token from sign-in (or GET /v1/auth/session) in X-CSRF-Token.',
  );
}

/** The caller of a request: an API key in `Authorization: Bearer`, else the browser session cookie. */
async function resolveCaller(context: ServiceContext, request: FastifyRequest): Promise<Principal> {
  const secret = bearerToken(request.headers.authorization);
  if (secret && isAccessToken(secret)) {
    if (!request.routeOptions.config.oauthAccessTokens)
      throw invalidApiKey(
        'This is an OAuth access token: it only calls the connector URL it was issued for. The management API takes an API key or a signed-in session.',
      );
    const principal = await context.authenticator.authenticateAccessToken(secret);
    if (!principal)
      throw new ApiRefusal(
        401,
        'authentication_error',
        'invalid_token',
        'The OAuth access token has expired or was revoked: refresh it, or authorize the application again.',
      );
    return principal;
  }
  if (secret) {
    const principal = await context.authenticator.authenticate(secret);
    if (!principal)
      throw invalidApiKey(
        'Invalid API key: it is unknown or has been revoked. Use a current key (GET /v1/api_keys lists them by prefix) or create a new one.',
      );
    return principal;
  }
  const token = request.cookies[SESSION_COOKIE];
  if (token) {
    const principal = await context.authenticator.authenticateSession(token);
    if (!principal)
      throw new ApiRefusal(
        401,
        'authentication_error',
        'session_expired',
        'Your sign-in has expired or was ended. Sign in again (POST /v1/auth/sign_in).',
      );
    requireCsrfToken(request, principal.session!);
    return principal;
  }
  throw invalidApiKey(
    'Missing API key: send it in the header "Authorization: Bearer <key>", or sign in (POST /v1/auth/sign_in). Keys are created with POST /v1/api_keys or shown once when the service first starts.',
  );
}

/**
 * The request's caller resolved again now, from the key or cookie it presented: a long-poll that began
 * before a revocation, removal or role change learns of it before it is handed work. Throws the refusal.
 */
export function reauthenticate(context: ServiceContext, request: FastifyRequest): Promise<Principal> {
  return resolveCaller(context, request);
}

export async function authenticateRequest(context: ServiceContext, request: FastifyRequest): Promise<void> {
  const mode = request.routeOptions.config.auth ?? (request.url.startsWith('/v1/') ? 'required' : 'none');
  if (mode === 'none') return;
  try {
    request.principal = await resolveCaller(context, request);
  } catch (error) {
    if (mode === 'required' || !(error instanceof ApiRefusal)) throw error;
    // An `optional` route with no cookie and no key has no refusal to keep.
    const presented = !!request.headers.authorization || !!request.cookies[SESSION_COOKIE];
    request.authRefusal = presented ? error : null;
  }
}
