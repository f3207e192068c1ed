// The console's MCP client: the official SDK (v2), talking Streamable HTTP to the tunnel's connector URL
// from the browser, exactly as any other MCP client would. It negotiates the protocol era as an SDK v2
// client does ('auto': server/discover, falling back to initialize), so it works with servers of both eras.
import { Client, StreamableHTTPClientTransport, type Notification } from '@modelcontextprotocol/client';
import { getCsrfToken } from './api.ts';
import type { Connector } from './types.ts';

export const connectorUrl = (tunnelId: string) => `${location.origin}/v1/mcp/${encodeURIComponent(tunnelId)}`;

// A connector's API key lives in this browser tab only: the service never stores it.
const KEY_PREFIX = 'mcp-tunnel.connector-key.';
export const storedKey = (connectorId: string) => sessionStorage.getItem(KEY_PREFIX + connectorId) ?? '';
export const storeKey = (connectorId: string, key: string) =>
  sessionStorage.setItem(KEY_PREFIX + connectorId, key);
export const forgetKey = (connectorId: string) => sessionStorage.removeItem(KEY_PREFIX + connectorId);

/**
 * Connects as the connector says: with its API key, or else with the member's own session (the
 * cookie goes along by itself; the CSRF token proves the request comes from the console).
 */
export async function connect(
  connector: Connector,
  onNotification: (notification: Notification) => void,
): Promise<Client> {
  const headers: Record<string, string> =
    connector.authentication === 'api_key'
      ? { authorization: `Bearer ${storedKey(connector.id)}` }
      : { 'x-csrf-token': getCsrfToken() };
  const transport = new StreamableHTTPClientTransport(new URL(connectorUrl(connector.tunnel_id)), {
    requestInit: { headers, credentials: 'same-origin' },
  });
  const client = new Client(
    { name: 'mcp-tunnel-console', version: '0.1.0' },
    { versionNegotiation: { mode: 'auto' } },
  );
  client.fallbackNotificationHandler = async (notification) => onNotification(notification);
  await client.connect(transport);
  return client;
}
