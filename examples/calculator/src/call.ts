#!/usr/bin/env node
// Calls the calculator's add(5, 3) through a tunnel with the official MCP SDK client, as any MCP client
// would: `TUNNEL_KEY=... node examples/calculator/src/call.ts http://127.0.0.1:8787/v1/mcp/tunnel_...`,
// with a key that has Tunnels Use. Prints the tools it found and the answer.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url] = process.argv.slice(2);
const key = process.env.TUNNEL_KEY;
if (!url || !key) {
  console.error(
    'usage: TUNNEL_KEY=<key with Tunnels Use> node call.ts <connector URL, .../v1/mcp/tunnel_...>',
  );
  process.exit(2);
}
const client = new Client({ name: 'calculator-call', version: '1.0.0' });
await client.connect(
  new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  }),
);
const { tools } = await client.listTools();
console.log(`tools: ${tools.map((tool) => tool.name).join(', ')}`);
const result = await client.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
for (const item of result.content as { type: string; text?: string }[])
  if (item.text) console.log(`add(5, 3): ${item.text}`);
await client.close();
