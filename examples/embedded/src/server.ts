#!/usr/bin/env node
// An MCP server that puts itself on a tunnel: the SDK McpServer and the tunnel-client share this one
// process, with no port for the server and no child process. Configured from the environment, with the
// names tunnel-client uses:
//   CONTROL_PLANE_TUNNEL_ID   the tunnel, tunnel_...
//   CONTROL_PLANE_API_KEY     a runtime key with Tunnels Read + Use
//   CONTROL_PLANE_BASE_URL    the tunnel service (default https://api.openai.com)
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { serveOverTunnel } from '@mcp-tunnel/client';

const server = new McpServer({ name: 'embedded-example', version: '0.1.0' });
server.registerTool(
  'greet',
  {
    description: 'Greets someone, from the process that serves the tunnel',
    inputSchema: { name: z.string().describe('who to greet') },
  },
  async ({ name }) => ({ content: [{ type: 'text', text: `Hello, ${name}, from process ${process.pid}` }] }),
);

const need = (name: string) => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set: export it first (see the comment at the top of this file)`);
    process.exit(2);
  }
  return value;
};

const tunnel = await serveOverTunnel(server, {
  tunnelId: need('CONTROL_PLANE_TUNNEL_ID'),
  apiKey: need('CONTROL_PLANE_API_KEY'),
  baseUrl: process.env.CONTROL_PLANE_BASE_URL,
  settings: { log: { level: 'warn' } },
});
await tunnel.started;
console.log(`serving tunnel ${tunnel.status.tunnelId}; ops server at ${tunnel.opsUrl}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void tunnel.close().then(() => process.exit(0)));
