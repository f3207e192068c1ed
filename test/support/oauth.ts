// OAuth as a client does it by hand, for tests that check each step and each refusal: PKCE pairs, client
// registration, authorization URLs and token requests (forms, as RFC 6749 has them).
import { createHash, randomBytes } from 'node:crypto';

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Dynamic Client Registration; returns the client_id. */
export async function registerClient(
  serviceUrl: string,
  redirectUri: string,
  name = 'Test app',
): Promise<string> {
  const response = await fetch(new URL('/v1/oauth/register', serviceUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
    }),
  });
  const body = (await response.json()) as { client_id?: string };
  if (response.status !== 201 || !body.client_id)
    throw new Error(`registration answered ${response.status}: ${JSON.stringify(body)}`);
  return body.client_id;
}

/** The parameters of an authorization request (strings, as a query or the consent page's body carries them). */
export function authorizationParams(options: {
  clientId: string;
  redirectUri: string;
  resource: string;
  challenge?: string;
  state?: string;
}): Record<string, string> {
  return {
    response_type: 'code',
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    resource: options.resource,
    scope: 'tunnel.use',
    state: options.state ?? randomBytes(8).toString('hex'),
    ...(options.challenge ? { code_challenge: options.challenge, code_challenge_method: 'S256' } : {}),
  };
}

export interface TokenAnswer {
  status: number;
  body: {
    access_token?: string;
    refresh_token?: string;
    expires_in?: number;
    scope?: string;
    error?: string;
    error_description?: string;
  };
}

/** POST to the token (or revocation) endpoint as a form. */
export async function tokenRequest(
  serviceUrl: string,
  form: Record<string, string>,
  path = '/v1/oauth/token',
): Promise<TokenAnswer> {
  const response = await fetch(new URL(path, serviceUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}
