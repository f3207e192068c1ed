// MCP clients that sign in with OAuth, end to end: the official SDK client's OAuth provider against a key
// tunnel of the real tunnel-service (a child process), the real tunnel-client serving the calculator, and a
// member approving in real headless Chromium. Registration both ways: Dynamic Client Registration, and a
// Client ID Metadata Document served over HTTPS by a test server whose CA the service trusts
// (NODE_EXTRA_CA_CERTS); the document lives on loopback, so this service allows private addresses
// (--oauth-client-metadata-addresses any). The refusal of a private address under the default is in
// packages/service/test/oauth.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { makeCertificates, type Certificates } from '../../packages/client/test/support/certificates.ts';
import { browserSkip, launchBrowser } from '../support/browser.ts';
import { api } from '../support/management-api.ts';
import { RedirectCatcher, TestOAuthProvider } from '../support/oauth-client.ts';
import { ROOT } from '../support/processes.ts';
import { startService, type Service } from '../support/service-process.ts';
import { startTunnel, type Tunnel } from '../support/system.ts';

const skip = browserSkip();
const OWNER = { email: 'owner@example.com', name: 'Olivia Owner', password: 'owner password 123' };
const VIEWER = { email: 'viewer@example.com', name: 'Vera Viewer', password: 'viewer password 123' };

const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** axe-core on the page as it is: no serious or critical accessibility violations. */
async function assertAccessible(page: Page, name: string): Promise<void> {
  // Evaluated, not added as a <script>: the console's Content-Security-Policy refuses inline scripts.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    type Violation = { id: string; impact: string; nodes: { target: string[] }[] };
    const axe = (globalThis as unknown as { axe: { run: () => Promise<{ violations: Violation[] }> } }).axe;
    return (await axe.run()).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `accessibility violations on the ${name} page`);
}

let certificates: Certificates;
let metadataServer: Server;
let service: Service;
let tunnel: Tunnel;
let otherTunnelUrl: URL;
let catcher: RedirectCatcher;
let browser: Browser;
let ownerPage: Page;
let viewerPage: Page;

async function signedInPage(who: { email: string; password: string }): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(`${service.url}/console/#/sign-in`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Tunnels' }).waitFor();
  return page;
}

/** Sets up the owner's sign-in, and invites a member whose role only reads tunnels. */
async function accounts(): Promise<void> {
  const post = async (path: string, body: unknown, headers: Record<string, string>) => {
    const response = await fetch(new URL(path, service.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    assert.ok(response.ok, `${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, string>;
  };
  await post('/v1/auth/setup', OWNER, { authorization: `Bearer ${service.ownerKey}` });
  const role = await api<{ id: string }>(service.url, service.ownerKey, 'POST', '/v1/roles', {
    name: 'Readers',
    permissions: ['tunnel.read'],
  });
  const invitation = await api<{ token: string }>(service.url, service.ownerKey, 'POST', '/v1/invitations', {
    email: VIEWER.email,
    role_ids: [role.id],
  });
  await post(
    '/v1/auth/accept_invitation',
    { token: invitation.token, name: VIEWER.name, password: VIEWER.password },
    {},
  );
}

/**
 * The application's first connect: the SDK discovers everything from the 401, registers, and sends the
 * browser to the authorization URL; the member approves in Chromium; the code comes back to the catcher
 * and the SDK exchanges it.
 */
async function signInWithOAuth(provider: TestOAuthProvider, page: Page, url: URL): Promise<void> {
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  const mcp = new McpClient({ name: 'oauth-e2e', version: '1.0.0' });
  await assert.rejects(mcp.connect(transport), UnauthorizedError);
  assert.ok(provider.authorizationUrl, 'the SDK sends the browser to the authorization endpoint');
  assert.equal(
    provider.authorizationUrl.origin + provider.authorizationUrl.pathname,
    `${service.url}/oauth/authorize`,
  );
  assert.equal(provider.authorizationUrl.searchParams.get('resource'), url.href);
  assert.equal(provider.authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
  const redirected = catcher.next();
  await page.goto(provider.authorizationUrl.href);
  await page.getByRole('heading', { level: 1, name: 'Authorize an application' }).waitFor();
  await page.getByText('calculator', { exact: false }).first().waitFor();
  await assertAccessible(page, 'consent');
  await page.getByRole('button', { name: 'Approve' }).click();
  const query = await redirected;
  assert.equal(query.get('state'), provider.lastState);
  assert.equal(query.get('iss'), service.url);
  await transport.finishAuth(query.get('code')!);
  await mcp.close();
}

async function connect(provider: TestOAuthProvider, url: URL) {
  const mcp = new McpClient({ name: 'oauth-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  await mcp.connect(transport);
  return { mcp, transport };
}

async function addThroughTunnel(provider: TestOAuthProvider): Promise<void> {
  const { mcp, transport } = await connect(provider, tunnel.connectorUrl);
  try {
    const { tools } = await mcp.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), ['add', 'divide', 'multiply', 'subtract']);
    const result = await mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
    assert.deepEqual(result.content, [{ type: 'text', text: '5 + 3 = 8' }]);
  } finally {
    await transport.terminateSession().catch(() => {});
    await mcp.close();
  }
}

describe('OAuth sign-in to a key tunnel with the SDK client', { skip, timeout: 170_000 }, () => {
  before(async () => {
    certificates = makeCertificates();
    service = await startService({
      extraArgs: ['--oauth-client-metadata-addresses', 'any'],
      env: { NODE_EXTRA_CA_CERTS: certificates.caCert },
    });
    tunnel = await startTunnel(service);
    const other = await api<{ id: string }>(service.url, service.ownerKey, 'POST', '/v1/tunnels', {
      name: 'other',
    });
    otherTunnelUrl = new URL(`/v1/mcp/${other.id}`, service.url);
    catcher = await new RedirectCatcher().listen();
    await accounts();
    browser = await launchBrowser();
    ownerPage = await signedInPage(OWNER);
    viewerPage = await signedInPage(VIEWER);
  });

  after(async () => {
    await browser?.close();
    await catcher?.close();
    metadataServer?.closeAllConnections();
    metadataServer?.close();
    await tunnel?.stop();
    await service?.stop();
    certificates?.cleanup();
  });

  test('Dynamic Client Registration: consent, tools, add(5, 3), refresh, a token refused on another tunnel, revocation from the console', async () => {
    const provider = new TestOAuthProvider(catcher.url, { name: 'Registered app' });
    await signInWithOAuth(provider, ownerPage, tunnel.connectorUrl);
    assert.match(String(provider.clientInformation()?.client_id), /^oauthc_/);
    await addThroughTunnel(provider);

    // Refresh: the SDK trades its refresh token for a new pair, and the new access token works.
    const before = provider.tokens()!;
    assert.equal(await auth(provider, { serverUrl: tunnel.connectorUrl }), 'AUTHORIZED');
    assert.notEqual(provider.tokens()!.access_token, before.access_token);
    assert.notEqual(provider.tokens()!.refresh_token, before.refresh_token);
    await addThroughTunnel(provider);

    // The token is bound to this tunnel's connector URL.
    const elsewhere = await fetch(otherTunnelUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${provider.tokens()!.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(elsewhere.status, 401);
    assert.match(elsewhere.headers.get('www-authenticate')!, /error="invalid_token"/);

    // The member revokes the application in the console; its next call is refused.
    const { mcp, transport } = await connect(provider, tunnel.connectorUrl);
    await ownerPage.goto(`${service.url}/console/#/applications`);
    await ownerPage.getByRole('heading', { level: 1, name: 'Authorized applications' }).waitFor();
    const yours = ownerPage.getByRole('region', { name: 'Your authorized applications' });
    await yours.getByRole('cell', { name: 'Registered app', exact: true }).waitFor();
    await assertAccessible(ownerPage, 'applications');
    ownerPage.once('dialog', (dialog) => void dialog.accept());
    await yours.getByRole('button', { name: 'Revoke Registered app' }).click();
    await yours.getByText(/^Revoked /).waitFor();
    await assert.rejects(mcp.callTool({ name: 'add', arguments: { a: 1, b: 2 } }), UnauthorizedError);
    await transport.close();
    const audit = await api<{ data: { action: string; outcome: string }[] }>(
      service.url,
      service.ownerKey,
      'GET',
      '/v1/audit?limit=200',
    );
    const actions = audit.data.map((entry) => `${entry.action} ${entry.outcome}`);
    for (const expected of [
      'oauth.register allowed',
      'oauth.authorize allowed',
      'oauth.token allowed',
      'oauth.grant.revoke allowed',
      'tunnel.call refused',
    ])
      assert.ok(actions.includes(expected), `audit has ${expected}`);
  });

  test('a Client ID Metadata Document over HTTPS: the consent page names the host that vouches for the application', async () => {
    metadataServer = createHttpsServer(
      { cert: readFileSync(certificates.serverCert), key: readFileSync(certificates.serverKey) },
      (req, res) => {
        if (req.url !== '/oauth/client.json') return void res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
      },
    );
    await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
    const documentUrl = `https://localhost:${(metadataServer.address() as AddressInfo).port}/oauth/client.json`;
    const provider = new TestOAuthProvider(catcher.url, { clientMetadataUrl: documentUrl });
    const document = { ...provider.clientMetadata, client_id: documentUrl, client_name: 'Document app' };

    const transport = new StreamableHTTPClientTransport(tunnel.connectorUrl, { authProvider: provider });
    const mcp = new McpClient({ name: 'oauth-e2e', version: '1.0.0' });
    await assert.rejects(mcp.connect(transport), UnauthorizedError);
    assert.equal(provider.authorizationUrl!.searchParams.get('client_id'), documentUrl);
    const redirected = catcher.next();
    await ownerPage.goto(provider.authorizationUrl!.href);
    await ownerPage.getByText(`Document app (identified by localhost:`).waitFor();
    await ownerPage.getByRole('button', { name: 'Approve' }).click();
    const back = await redirected;
    assert.equal(back.get('error'), null, back.get('error_description') ?? '');
    await transport.finishAuth(back.get('code')!);
    await addThroughTunnel(provider);
  });

  test('a member whose role lacks Tunnels Use sees why and cannot approve', async () => {
    const provider = new TestOAuthProvider(catcher.url, { name: 'Viewer app' });
    const transport = new StreamableHTTPClientTransport(tunnel.connectorUrl, { authProvider: provider });
    await assert.rejects(new McpClient({ name: 'x', version: '1' }).connect(transport), UnauthorizedError);
    await viewerPage.goto(provider.authorizationUrl!.href);
    await viewerPage
      .getByRole('alert')
      .getByText(/lacks Tunnels Use/)
      .waitFor();
    assert.equal(await viewerPage.getByRole('button', { name: 'Approve' }).count(), 0);
    const redirected = catcher.next();
    await viewerPage.getByRole('button', { name: 'Deny' }).click();
    const query = await redirected;
    assert.equal(query.get('error'), 'access_denied');
    assert.equal(query.get('code'), null);
  });
});
