import { newId } from '../store/ids.ts';
import type { MemberRow } from '../store/repositories/members.ts';
import type { OAuthClientRow } from '../store/repositories/oauth-clients.ts';
import type { OAuthGrantRow } from '../store/repositories/oauth-grants.ts';
import type { Store } from '../store/types.ts';
import { newOAuthSecret, hashOAuthSecret, pkceMatches, PKCE_VERIFIER } from './oauth-secrets.ts';
import { roleAtoms } from './permissions.ts';

/** The one scope there is: calling the tunnel's MCP endpoint, as the member's Tunnels Use allows. */
export const TUNNEL_SCOPE = 'tunnel.use';
/** An authorization code must be exchanged within this long. */
const CODE_LIFETIME_MS = 5 * 60_000;

export interface TokenLifetimes {
  accessMs: number;
  refreshMs: number;
}

/** An OAuth error response (RFC 6749 §5.2), with the grant it concerns when one is known (for the audit). */
export class OAuthError extends Error {
  readonly error: string;
  readonly status: number;
  readonly grant: OAuthGrantRow | undefined;
  constructor(error: string, description: string, grant?: OAuthGrantRow, status = 400) {
    super(description);
    this.error = error;
    this.status = status;
    this.grant = grant;
  }
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** Whether the member may still use the tunnel through this grant: its role holds Tunnels Use on it. */
export async function memberMayUse(
  store: Store,
  member: MemberRow | undefined,
  tunnelId: string,
): Promise<boolean> {
  if (!member || member.deleted_at) return false;
  const tunnel = await store.tunnels.get(tunnelId);
  if (
    !tunnel ||
    tunnel.connector_access !== 'key' ||
    !tunnel.organization_ids.includes(member.organization_id)
  )
    return false;
  return roleAtoms(await store.roles.getMany(member.role_ids)).has('tunnel.use');
}

export interface Approval {
  member: MemberRow;
  client: OAuthClientRow;
  redirectUri: string;
  tunnelId: string;
  channel: string;
  resource: string;
  scope: string;
  codeChallenge: string;
}

/** A member approved: the grant is recorded and a one-time code for it returned (its hash is stored). */
export async function approve(
  store: Store,
  approval: Approval,
): Promise<{ grant: OAuthGrantRow; code: string }> {
  const now = Date.now();
  const grant: OAuthGrantRow = {
    id: newId('grant'),
    organization_id: approval.member.organization_id,
    member_id: approval.member.id,
    client_id: approval.client.id,
    client_name: approval.client.name,
    redirect_uri: approval.redirectUri,
    tunnel_id: approval.tunnelId,
    channel: approval.channel,
    resource: approval.resource,
    scope: approval.scope,
    created_at: new Date(now).toISOString(),
    last_used_at: null,
    revoked_at: null,
    revoked_reason: null,
  };
  await store.oauthGrants.create(grant);
  const code = newOAuthSecret('code');
  await store.oauthGrants.addCode({
    code_hash: code.hash,
    grant_id: grant.id,
    code_challenge: approval.codeChallenge,
    expires_at: new Date(now + CODE_LIFETIME_MS).toISOString(),
    used_at: null,
  });
  return { grant, code: code.secret };
}

async function issueTokens(
  store: Store,
  grant: OAuthGrantRow,
  lifetimes: TokenLifetimes,
): Promise<TokenResponse> {
  const now = Date.now();
  const at = new Date(now).toISOString();
  // Expired codes and tokens would otherwise stay forever; each issue sweeps them.
  await store.oauthGrants.deleteExpired(at);
  const access = newOAuthSecret('access');
  const refresh = newOAuthSecret('refresh');
  for (const [token, kind, lifetime] of [
    [access, 'access', lifetimes.accessMs],
    [refresh, 'refresh', lifetimes.refreshMs],
  ] as const)
    await store.oauthGrants.addToken({
      token_hash: token.hash,
      grant_id: grant.id,
      kind,
      created_at: at,
      expires_at: new Date(now + lifetime).toISOString(),
      used_at: null,
    });
  return {
    access_token: access.secret,
    token_type: 'Bearer',
    expires_in: Math.floor(lifetimes.accessMs / 1000),
    refresh_token: refresh.secret,
    scope: grant.scope,
  };
}

function checkResource(grant: OAuthGrantRow, resource: string | undefined): void {
  if (resource !== undefined && resource !== grant.resource)
    throw new OAuthError(
      'invalid_target',
      `resource ${resource} is not the connector URL this grant was approved for (${grant.resource}).`,
      grant,
    );
}

export interface CodeExchange {
  code: string;
  clientId: string | undefined;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
  resource: string | undefined;
}

/** grant_type=authorization_code. A code presented twice revokes everything issued from it (RFC 6749 §4.1.2). */
export async function exchangeCode(
  store: Store,
  exchange: CodeExchange,
  lifetimes: TokenLifetimes,
): Promise<{ grant: OAuthGrantRow; tokens: TokenResponse }> {
  const now = new Date().toISOString();
  const redeemed = await store.oauthGrants.redeemCode(hashOAuthSecret(exchange.code), now);
  const grant = redeemed && (await store.oauthGrants.get(redeemed.row.grant_id));
  if (!redeemed || !grant)
    throw new OAuthError(
      'invalid_grant',
      'The authorization code is unknown or has expired: authorize again.',
    );
  if (!redeemed.firstUse) {
    await store.oauthGrants.revoke(grant.id, now, 'code_reused');
    throw new OAuthError(
      'invalid_grant',
      'The authorization code was already used; everything issued with it has been revoked. Authorize again.',
      grant,
    );
  }
  if (redeemed.row.expires_at <= now)
    throw new OAuthError('invalid_grant', 'The authorization code has expired: authorize again.', grant);
  if (exchange.clientId !== grant.client_id)
    throw new OAuthError('invalid_grant', 'The authorization code was issued to another client_id.', grant);
  if (exchange.redirectUri !== grant.redirect_uri)
    throw new OAuthError(
      'invalid_grant',
      'redirect_uri must be exactly the one the authorization request used.',
      grant,
    );
  if (!exchange.codeVerifier)
    throw new OAuthError(
      'invalid_request',
      'code_verifier is missing: send the PKCE verifier of this authorization request.',
      grant,
    );
  if (
    !PKCE_VERIFIER.test(exchange.codeVerifier) ||
    !pkceMatches(exchange.codeVerifier, redeemed.row.code_challenge)
  )
    throw new OAuthError(
      'invalid_grant',
      'code_verifier does not match the code_challenge of the authorization request.',
      grant,
    );
  checkResource(grant, exchange.resource);
  if (grant.revoked_at) throw new OAuthError('invalid_grant', 'This authorization was revoked.', grant);
  return { grant, tokens: await issueTokens(store, grant, lifetimes) };
}

/**
 * grant_type=refresh_token, with rotation: each refresh token works once. One presented again means it was
 * copied, so the whole grant is revoked (the thief's tokens and the client's alike).
 */
export async function refreshTokens(
  store: Store,
  request: { refreshToken: string; clientId: string | undefined; resource: string | undefined },
  lifetimes: TokenLifetimes,
): Promise<{ grant: OAuthGrantRow; tokens: TokenResponse }> {
  const now = new Date().toISOString();
  const redeemed = await store.oauthGrants.redeemRefreshToken(hashOAuthSecret(request.refreshToken), now);
  const grant = redeemed && (await store.oauthGrants.get(redeemed.row.grant_id));
  if (!redeemed || !grant)
    throw new OAuthError('invalid_grant', 'The refresh token is unknown or has expired: authorize again.');
  if (grant.revoked_at)
    throw new OAuthError('invalid_grant', 'This authorization was revoked: authorize again.', grant);
  if (!redeemed.firstUse) {
    await store.oauthGrants.revoke(grant.id, now, 'refresh_token_reused');
    throw new OAuthError(
      'invalid_grant',
      'The refresh token was already used, so it may have been copied: this authorization is revoked. Authorize again.',
      grant,
    );
  }
  if (request.clientId !== grant.client_id)
    throw new OAuthError('invalid_grant', 'The refresh token was issued to another client_id.', grant);
  if (grant.revoked_at)
    throw new OAuthError('invalid_grant', 'This authorization was revoked: authorize again.', grant);
  if (redeemed.row.expires_at <= now)
    throw new OAuthError('invalid_grant', 'The refresh token has expired: authorize again.', grant);
  checkResource(grant, request.resource);
  if (!(await memberMayUse(store, await store.members.get(grant.member_id), grant.tunnel_id)))
    throw new OAuthError(
      'invalid_grant',
      'The member who approved this application may no longer use the tunnel (role, membership or tunnel changed): authorize again.',
      grant,
    );
  return { grant, tokens: await issueTokens(store, grant, lifetimes) };
}

/**
 * RFC 7009: revoking either token of a grant revokes the grant. An unknown token is not an error; another
 * client's token is refused.
 */
export async function revokeToken(
  store: Store,
  token: string,
  clientId: string | undefined,
): Promise<OAuthGrantRow | undefined> {
  const row = await store.oauthGrants.findToken(hashOAuthSecret(token));
  const grant = row && (await store.oauthGrants.get(row.grant_id));
  if (grant && clientId !== undefined && clientId !== grant.client_id)
    throw new OAuthError('invalid_client', 'This token was issued to another client_id.', grant, 401);
  if (grant) await store.oauthGrants.revoke(grant.id, new Date().toISOString(), 'revoked_by_client');
  return grant;
}
