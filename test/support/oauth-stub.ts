// A public tunnel and `tunnel-client dev mcp-stub --transport http --oauth` in front of it: an MCP server
// with its own authorization server (which approves at once) that accepts tokens for the tunnel's
// connector URL, as an OAuth-protected server behind a public tunnel must.
import { api, createRuntime, type Runtime, type ServiceAddress } from './management-api.ts';
import { CLIENT_BIN, startProcess, type Proc } from './processes.ts';

export interface PublicTunnel {
  runtime: Runtime;
  connectorUrl: URL;
}

/** A new tunnel with its runtime key, made public: callers bring the MCP server's own credentials. */
export async function publicTunnel(service: ServiceAddress, tunnelName: string): Promise<PublicTunnel> {
  const runtime = await createRuntime(service, { tunnelName });
  await api(service.url, service.ownerKey, 'POST', `/v1/tunnels/${runtime.tunnelId}`, {
    connector_access: 'public',
  });
  return { runtime, connectorUrl: new URL(`/v1/mcp/${runtime.tunnelId}`, service.url) };
}

export interface OAuthStub {
  proc: Proc;
  /** The stub's /mcp. */
  mcpUrl: string;
  /** Its authorization server's issuer. */
  issuer: string;
}

/** The OAuth stub on a free loopback port, also accepting tokens for `resources` (connector URLs). */
export async function startOAuthStub(resources: string[]): Promise<OAuthStub> {
  const proc = startProcess([
    CLIENT_BIN,
    'dev',
    'mcp-stub',
    '--transport',
    'http',
    '--port',
    '0',
    '--oauth',
    ...resources.flatMap((resource) => ['--oauth-resource', resource]),
  ]);
  const [, mcpUrl] = await proc.waitFor(/MCP URL: (http:\/\/\S+)/);
  return { proc, mcpUrl: mcpUrl!, issuer: new URL(mcpUrl!).origin };
}
