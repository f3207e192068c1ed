// An MCP server that does its own OAuth, behind a public tunnel: the SDK client's OAuth provider calls the
// connector URL, the server's 401 reaches it with the challenge rewritten to point at the connector URL's
// metadata, which the service fetches from the server through the tunnel-client (extension
// resource-metadata) with the connector URL as resource; the client then signs in with the server's own
// authorization server, and its token travels through the tunnel to the server. The server is
// `tunnel-client dev mcp-stub --transport http --oauth`, whose authorization server approves at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { startClient, waitReady, type Client } from '../support/client-process.ts';
import { RedirectCatcher, TestOAuthProvider } from '../support/oauth-client.ts';
import { publicTunnel, startOAuthStub, type OAuthStub } from '../support/oauth-stub.ts';
import { startService, type Service } from '../support/service-process.ts';

let service: Service;
let stub: OAuthStub;
let stubBase: string;
let client: Client;
let connectorUrl: URL;
let catcher: RedirectCatcher;

describe('an OAuth-protected MCP server behind a public tunnel', { timeout: 90_000 }, () => {
  before(async () => {
    service = await startService();
    const tunnel = await publicTunnel(service, 'oauth upstream');
    connectorUrl = tunnel.connectorUrl;
    stub = await startOAuthStub([connectorUrl.href]);
    stubBase = stub.issuer;
    client = await startClient(service, tunnel.runtime, { mcpServerUrl: stub.mcpUrl });
    // The server answers its probe with a challenge: up, and waiting for callers that bring a token.
    await waitReady(client.opsUrl);
    catcher = await new RedirectCatcher().listen();
  });

  after(async () => {
    await catcher?.close();
    await client?.stop();
    await stub?.proc.stop();
    await service?.stop();
  });

  test('the challenge and the metadata name the connector URL, not the server’s private address', async () => {
    const refused = await fetch(connectorUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(refused.status, 401);
    const metadataUrl = `${service.url}/.well-known/oauth-protected-resource${connectorUrl.pathname}`;
    const challenge = refused.headers.get('www-authenticate')!;
    assert.equal(challenge, `Bearer resource_metadata="${metadataUrl}", scope="mcp"`);
    assert.ok(!challenge.includes(stubBase));
    const metadata = (await (await fetch(metadataUrl)).json()) as Record<string, unknown>;
    assert.equal(metadata.resource, connectorUrl.href);
    assert.deepEqual(metadata.authorization_servers, [stubBase]);
  });

  test('the SDK client signs in with the server’s own authorization server and calls add(5, 3) through the tunnel', async () => {
    const provider = new TestOAuthProvider(catcher.url, { name: 'Upstream app' });
    const first = new StreamableHTTPClientTransport(connectorUrl, { authProvider: provider });
    await assert.rejects(new McpClient({ name: 'x', version: '1' }).connect(first), UnauthorizedError);
    const authorizationUrl = provider.authorizationUrl!;
    assert.equal(authorizationUrl.origin, stubBase, 'the server’s authorization server, not the service');
    assert.equal(authorizationUrl.searchParams.get('resource'), connectorUrl.href);
    // The stub's authorization server approves at once; a browser would follow this redirect.
    const approved = await fetch(authorizationUrl, { redirect: 'manual' });
    const back = new URL(approved.headers.get('location')!);
    assert.equal(back.searchParams.get('iss'), stubBase);
    assert.equal(back.searchParams.get('state'), provider.lastState);
    await first.finishAuth(back.searchParams.get('code')!);

    const mcp = new McpClient({ name: 'upstream-oauth-e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(connectorUrl, { authProvider: provider });
    await mcp.connect(transport);
    try {
      const { tools } = await mcp.listTools();
      assert.deepEqual(tools.map((tool) => tool.name).sort(), ['add', 'echo', 'time']);
      const result = await mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
      assert.deepEqual(result.content, [{ type: 'text', text: '5 + 3 = 8' }]);
    } finally {
      await mcp.close();
    }
  });
});
