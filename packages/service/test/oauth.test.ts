// The service as OAuth authorization server, step by step as a client and a member's browser drive it: the
// discovery documents, the authorization request and consent, the token endpoint, revocation and the audit
// log, and each refusal the MCP authorization specification and RFCs call for. End to end with the SDK's
// OAuth client and real Chromium: test/e2e/oauth.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJsonRpc } from '../../../test/support/mcp-callers.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { authorizationParams, pkce, registerClient, tokenRequest } from '../../../test/support/oauth.ts';
import { sessionCall, sessionFrom, setUpOwner, type BrowserSession } from './support/accounts.ts';
import { startTestService, type TestService } from './support/service.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};

async function tunnel(t: TestService, name: string): Promise<string> {
  return (await t.ok<{ id: string }>('POST', '/v1/tunnels', t.ownerKey, { name })).id;
}

/** A member signed in to the console whose only role holds `permissions`. */
async function memberWith(t: TestService, owner: BrowserSession, email: string, permissions: string[]) {
  const role = await sessionCall(t, owner, 'POST', '/v1/roles', { name: `role ${email}`, permissions });
  const invitation = await sessionCall(t, owner, 'POST', '/v1/invitations', {
    email,
    role_ids: [role.body.id],
  });
  return sessionFrom(
    await sessionCall(t, undefined, 'POST', '/v1/auth/accept_invitation', {
      token: invitation.body.token,
      name: email,
      password: 'a long enough password',
    }),
  );
}

/** The member approves; returns the URL the browser is sent back to. */
async function consent(
  t: TestService,
  member: BrowserSession,
  params: Record<string, string>,
  decision = 'approve',
) {
  const answer = await sessionCall(t, member, 'POST', '/v1/oauth/authorization', { ...params, decision });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return new URL(answer.body.redirect_to);
}

describe('the OAuth authorization server', () => {
  let t: TestService;
  let owner: BrowserSession;
  let tunnelA: string;
  let tunnelB: string;
  let clientId: string;
  const resourceOf = (id: string) => `${t.url}/v1/mcp/${id}`;
  /** An authorization request of the registered client for tunnel A, with a fresh PKCE challenge. */
  const requestFor = (
    extra: { state?: string; challenge?: string; clientId?: string; redirectUri?: string } = {},
  ) =>
    authorizationParams({
      clientId,
      redirectUri: REDIRECT,
      resource: resourceOf(tunnelA),
      challenge: pkce().challenge,
      ...extra,
    });

  /** Registration, consent and code exchange: a fresh grant's tokens. */
  async function tokensFor(tunnelId: string, member = owner) {
    const { verifier, challenge } = pkce();
    const params = authorizationParams({
      clientId,
      redirectUri: REDIRECT,
      resource: resourceOf(tunnelId),
      challenge,
    });
    const back = await consent(t, member, params);
    const code = back.searchParams.get('code')!;
    const answer = await tokenRequest(t.url, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: clientId,
      redirect_uri: REDIRECT,
      resource: resourceOf(tunnelId),
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return { ...answer.body, code, verifier };
  }

  before(async () => {
    t = await startTestService();
    owner = await setUpOwner(t);
    tunnelA = await tunnel(t, 'a');
    tunnelB = await tunnel(t, 'b');
    clientId = await registerClient(t.url, REDIRECT);
  });
  after(() => t.stop());

  test('a caller without credentials is pointed at the connector URL’s metadata, which names this service', async () => {
    const refused = await postJsonRpc(new URL(resourceOf(tunnelA)), '', INITIALIZE, { authorization: '' });
    assert.equal(refused.status, 401);
    const challenge = refused.headers.get('www-authenticate')!;
    const metadataUrl = `${t.url}/.well-known/oauth-protected-resource/v1/mcp/${tunnelA}`;
    assert.equal(challenge, `Bearer resource_metadata="${metadataUrl}", scope="tunnel.use"`);
    const resource = (await (await fetch(metadataUrl)).json()) as Record<string, unknown>;
    assert.equal(resource.resource, resourceOf(tunnelA));
    assert.deepEqual(resource.authorization_servers, [t.url]);
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const server = (await (await fetch(`${t.url}${path}`)).json()) as Record<string, unknown>;
      assert.equal(server.issuer, t.url);
      assert.deepEqual(server.code_challenge_methods_supported, ['S256']);
      assert.equal(server.client_id_metadata_document_supported, true);
      assert.equal(server.registration_endpoint, `${t.url}/v1/oauth/register`);
      assert.equal(server.authorization_response_iss_parameter_supported, true);
    }
    // A channel is a connector URL of its own.
    const channel = (await (
      await fetch(`${t.url}/.well-known/oauth-protected-resource/v1/mcp/${tunnelA}/search`)
    ).json()) as Record<string, unknown>;
    assert.equal(channel.resource, `${resourceOf(tunnelA)}/search`);
  });

  test('the authorization endpoint sends a good request to the consent page, and errors back to the client with state and iss', async () => {
    const params = requestFor({ state: 's1' });
    const good = await fetch(`${t.url}/oauth/authorize?${new URLSearchParams(params)}`, {
      redirect: 'manual',
    });
    assert.equal(good.status, 302);
    assert.match(good.headers.get('location')!, /^\/console\/#\/authorize\?/);

    const { code_challenge: _c, code_challenge_method: _m, ...noPkce } = params;
    const refused = await fetch(`${t.url}/oauth/authorize?${new URLSearchParams(noPkce)}`, {
      redirect: 'manual',
    });
    const back = new URL(refused.headers.get('location')!);
    assert.equal(back.origin + back.pathname, REDIRECT);
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.match(back.searchParams.get('error_description')!, /PKCE/);
    assert.equal(back.searchParams.get('state'), 's1');
    assert.equal(back.searchParams.get('iss'), t.url);

    const noResource = await fetch(
      `${t.url}/oauth/authorize?${new URLSearchParams({ ...params, resource: 'https://elsewhere.example/mcp' })}`,
      { redirect: 'manual' },
    );
    assert.equal(new URL(noResource.headers.get('location')!).searchParams.get('error'), 'invalid_target');
  });

  test('an unregistered redirect URI is refused on a page, never redirected to', async () => {
    const params = requestFor({ redirectUri: 'https://attacker.example/steal' });
    const refused = await fetch(`${t.url}/oauth/authorize?${new URLSearchParams(params)}`, {
      redirect: 'manual',
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get('location'), null);
    assert.match(
      await refused.text(),
      /redirect_uri https:\/\/attacker\.example\/steal is not one the client/,
    );
    const viaConsent = await sessionCall(t, owner, 'POST', '/v1/oauth/authorization', {
      ...params,
      decision: 'approve',
    });
    assert.equal(viaConsent.status, 400);
    const unknown = await fetch(
      `${t.url}/oauth/authorize?${new URLSearchParams({ ...params, client_id: 'oauthc_nobody', redirect_uri: REDIRECT })}`,
      { redirect: 'manual' },
    );
    assert.equal(unknown.status, 400);
    assert.match(await unknown.text(), /Unknown client_id/);
  });

  test('a code comes back with state and iss, and is exchanged once with its PKCE verifier for tokens of one connector URL', async () => {
    const params = requestFor({ state: 'xyz' });
    const back = await consent(t, owner, params);
    assert.equal(back.searchParams.get('state'), 'xyz');
    assert.equal(back.searchParams.get('iss'), t.url);
    const code = back.searchParams.get('code')!;
    const form = { grant_type: 'authorization_code', code, client_id: clientId, redirect_uri: REDIRECT };

    const missing = await tokenRequest(t.url, form);
    assert.deepEqual([missing.status, missing.body.error], [400, 'invalid_request']);
    assert.match(missing.body.error_description!, /code_verifier is missing/);
    // That attempt used the code up: a second one is a reuse.
    const wrong = await tokenRequest(t.url, { ...form, code_verifier: pkce().verifier });
    assert.deepEqual([wrong.status, wrong.body.error], [400, 'invalid_grant']);
    assert.match(wrong.body.error_description!, /already used/);

    const fresh = await tokensFor(tunnelA);
    assert.equal(fresh.scope, 'tunnel.use');
    assert.ok(fresh.access_token?.startsWith('mcpo_at_'));
    // The tunnel has no tunnel-client: "offline" means the token itself was accepted.
    const call = await postJsonRpc(new URL(resourceOf(tunnelA)), fresh.access_token!, INITIALIZE);
    assert.equal(call.status, 503);
    const elsewhere = await postJsonRpc(new URL(resourceOf(tunnelB)), fresh.access_token!, INITIALIZE);
    assert.equal(elsewhere.status, 401);
    assert.match(elsewhere.headers.get('www-authenticate')!, /error="invalid_token"/);
    assert.match(
      ((await elsewhere.json()) as { error: { message: string } }).error.message,
      /issued for .* not for this connector URL/,
    );
    const otherChannel = await postJsonRpc(
      new URL(`${resourceOf(tunnelA)}/search`),
      fresh.access_token!,
      INITIALIZE,
    );
    assert.equal(otherChannel.status, 401);
    const management = await t.call('GET', '/v1/tunnels', fresh.access_token);
    assert.equal(management.status, 401);
    assert.match(management.body.error.message, /OAuth access token/);
  });

  test('a wrong verifier is refused, and a reused code revokes what it was exchanged for', async () => {
    const params = requestFor();
    const code = (await consent(t, owner, params)).searchParams.get('code')!;
    const wrong = await tokenRequest(t.url, {
      grant_type: 'authorization_code',
      code,
      code_verifier: pkce().verifier,
      client_id: clientId,
      redirect_uri: REDIRECT,
    });
    assert.deepEqual([wrong.status, wrong.body.error], [400, 'invalid_grant']);
    assert.match(wrong.body.error_description!, /does not match the code_challenge/);

    const first = await tokensFor(tunnelA);
    const again = await tokenRequest(t.url, {
      grant_type: 'authorization_code',
      code: first.code,
      code_verifier: first.verifier,
      client_id: clientId,
      redirect_uri: REDIRECT,
    });
    assert.deepEqual([again.status, again.body.error], [400, 'invalid_grant']);
    assert.equal(
      (await postJsonRpc(new URL(resourceOf(tunnelA)), first.access_token!, INITIALIZE)).status,
      401,
    );
  });

  test('refresh tokens rotate; presenting a used one revokes the whole family', async () => {
    const first = await tokensFor(tunnelA);
    const refresh = (token: string) =>
      tokenRequest(t.url, {
        grant_type: 'refresh_token',
        refresh_token: token,
        client_id: clientId,
        resource: resourceOf(tunnelA),
      });
    const second = await refresh(first.refresh_token!);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.notEqual(second.body.refresh_token, first.refresh_token);
    assert.equal(
      (await postJsonRpc(new URL(resourceOf(tunnelA)), second.body.access_token!, INITIALIZE)).status,
      503,
    );

    const reused = await refresh(first.refresh_token!);
    assert.deepEqual([reused.status, reused.body.error], [400, 'invalid_grant']);
    assert.match(reused.body.error_description!, /already used/);
    assert.equal((await refresh(second.body.refresh_token!)).body.error, 'invalid_grant');
    assert.equal(
      (await postJsonRpc(new URL(resourceOf(tunnelA)), second.body.access_token!, INITIALIZE)).status,
      401,
    );
  });

  test('revocation (RFC 7009) and the console’s revoke end the grant at the next request', async () => {
    const viaEndpoint = await tokensFor(tunnelA);
    const revoked = await tokenRequest(
      t.url,
      { token: viaEndpoint.refresh_token!, client_id: clientId },
      '/v1/oauth/revoke',
    );
    assert.equal(revoked.status, 200);
    assert.equal(
      (await postJsonRpc(new URL(resourceOf(tunnelA)), viaEndpoint.access_token!, INITIALIZE)).status,
      401,
    );
    assert.equal((await tokenRequest(t.url, { token: 'mcpo_rt_unknown' }, '/v1/oauth/revoke')).status, 200);

    const viaConsole = await tokensFor(tunnelA);
    const mine = await sessionCall(t, owner, 'GET', '/v1/oauth/grants');
    const grant = mine.body.data.find((g: { revoked_at: string | null }) => !g.revoked_at);
    assert.equal(grant.tunnel_id, tunnelA);
    assert.equal(grant.client_name, 'Test app');
    assert.ok(grant.last_used_at === null || typeof grant.last_used_at === 'string');
    assert.equal((await sessionCall(t, owner, 'DELETE', `/v1/oauth/grants/${grant.id}`)).status, 204);
    assert.equal(
      (await postJsonRpc(new URL(resourceOf(tunnelA)), viaConsole.access_token!, INITIALIZE)).status,
      401,
    );
  });

  test('a member without Tunnels Use cannot approve; denying sends access_denied back', async () => {
    const viewer = await memberWith(t, owner, 'viewer@example.com', ['tunnel.read']);
    const params = requestFor({ state: 'v' });
    const view = await sessionCall(
      t,
      viewer,
      'GET',
      `/v1/oauth/authorization?${new URLSearchParams(params)}`,
    );
    assert.equal(view.status, 200);
    assert.equal(view.body.can_approve, false);
    assert.match(view.body.reason, /lacks Tunnels Use/);
    const approve = await sessionCall(t, viewer, 'POST', '/v1/oauth/authorization', {
      ...params,
      decision: 'approve',
    });
    assert.equal(approve.status, 403);
    const denied = await consent(t, viewer, params, 'deny');
    assert.equal(denied.searchParams.get('error'), 'access_denied');
    assert.equal(denied.searchParams.get('state'), 'v');
    // Without the CSRF token the cookie alone decides nothing.
    const forged = await sessionCall(
      t,
      owner,
      'POST',
      '/v1/oauth/authorization',
      { ...params, decision: 'approve' },
      { csrf: false },
    );
    assert.equal(forged.status, 403);
  });

  test('a member who loses Tunnels Use is refused with insufficient_scope, and cannot refresh', async () => {
    const user = await memberWith(t, owner, 'user@example.com', ['tunnel.read', 'tunnel.use']);
    const tokens = await tokensFor(tunnelA, user);
    assert.equal(
      (await postJsonRpc(new URL(resourceOf(tunnelA)), tokens.access_token!, INITIALIZE)).status,
      503,
    );
    const readOnly = await sessionCall(t, owner, 'POST', '/v1/roles', {
      name: 'read only',
      permissions: ['tunnel.read'],
    });
    const changed = await sessionCall(t, owner, 'PATCH', `/v1/members/${user.body.member.id}`, {
      role_ids: [readOnly.body.id],
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const refused = await postJsonRpc(new URL(resourceOf(tunnelA)), tokens.access_token!, INITIALIZE);
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get('www-authenticate')!, /error="insufficient_scope"/);
    assert.match(refused.headers.get('www-authenticate')!, /scope="tunnel\.use"/);
    const refresh = await tokenRequest(t.url, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: clientId,
    });
    assert.deepEqual([refresh.status, refresh.body.error], [400, 'invalid_grant']);
    assert.match(refresh.body.error_description!, /may no longer use the tunnel/);
  });

  test('a metadata document at a private address is refused before it is fetched', async () => {
    for (const url of [
      'https://127.0.0.1:9/client.json',
      'https://localhost:9/client.json',
      'https://10.1.2.3/client.json',
    ]) {
      const params = requestFor({ clientId: url });
      const refused = await fetch(`${t.url}/oauth/authorize?${new URLSearchParams(params)}`, {
        redirect: 'manual',
      });
      assert.equal(refused.status, 400, url);
      assert.match(await refused.text(), /private, loopback or otherwise non-public/, url);
    }
    const notAUrl = requestFor({ clientId: 'https://app.example/' });
    const refused = await fetch(`${t.url}/oauth/authorize?${new URLSearchParams(notAUrl)}`, {
      redirect: 'manual',
    });
    assert.match(await refused.text(), /needs a path/);
  });

  test('every grant, token, refusal and revocation is in the audit log', async () => {
    const audit = await t.ok<{ data: { action: string; outcome: string; reason: string | null }[] }>(
      'GET',
      '/v1/audit?limit=500',
      t.ownerKey,
    );
    const seen = new Set(
      audit.data.map((entry) => `${entry.action} ${entry.outcome}${entry.reason ? ` ${entry.reason}` : ''}`),
    );
    for (const expected of [
      'oauth.register allowed',
      'oauth.authorize allowed',
      'oauth.authorize refused access_denied_by_member',
      'oauth.authorize refused invalid_authorization_request',
      'oauth.authorize refused invalid_request',
      'oauth.token allowed',
      'oauth.token refused invalid_grant',
      'oauth.token refused invalid_request',
      'oauth.revoke allowed',
      'oauth.grant.revoke allowed',
      'tunnel.call refused invalid_token',
    ])
      assert.ok(seen.has(expected), `no audit entry "${expected}" among ${[...seen].join(', ')}`);
  });
});

test('an expired access token is refused with invalid_token; registration modes can be turned off', async () => {
  const t = await startTestService({
    oauthAccessTokenLifetimeMs: 1000,
    oauthRegistration: 'metadata-document',
  });
  try {
    const owner = await setUpOwner(t);
    const tunnelId = await tunnel(t, 'short');
    const server = (await (await fetch(`${t.url}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(server.registration_endpoint, undefined);
    const register = await fetch(`${t.url}/v1/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT] }),
    });
    assert.equal(register.status, 403);
    // A client registered while registration was on keeps working.
    const client = await t.service.store.oauthClients.create({
      id: 'oauthc_earlier',
      kind: 'registered',
      name: 'Earlier',
      redirect_uris: [REDIRECT],
      client_uri: null,
      created_at: new Date().toISOString(),
      fetched_at: null,
    });
    void client;
    const { verifier, challenge } = pkce();
    const params = authorizationParams({
      clientId: 'oauthc_earlier',
      redirectUri: REDIRECT,
      resource: `${t.url}/v1/mcp/${tunnelId}`,
      challenge,
    });
    const back = await consent(t, owner, params);
    const tokens = await tokenRequest(t.url, {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      code_verifier: verifier,
      client_id: 'oauthc_earlier',
      redirect_uri: REDIRECT,
    });
    assert.equal(tokens.body.expires_in, 1);
    const url = new URL(`${t.url}/v1/mcp/${tunnelId}`);
    await eventually(
      async () => (await postJsonRpc(url, tokens.body.access_token!, INITIALIZE)).status === 401,
      10_000,
      () => 'the access token to expire',
    );
    const expired = await postJsonRpc(url, tokens.body.access_token!, INITIALIZE);
    assert.match(
      expired.headers.get('www-authenticate')!,
      /error="invalid_token", error_description="The OAuth access token has expired/,
    );
  } finally {
    await t.stop();
  }
});
