import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { keyWith } from '../test/support/management-api.ts';
import { startSystem } from '../test/support/system.ts';
const dir = process.argv[2]!;
const CALLS = Number(process.argv[3] ?? 2000);
const conc = Number(process.argv[4] ?? 16);
process.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${dir}`;
const system = await startSystem();
delete process.env.NODE_OPTIONS;
const caller = await keyWith(system.service, ['tunnel.use']);
const client = new McpClient({ name: 'bench', version: '1.0.0' });
await client.connect(
  new StreamableHTTPClientTransport(system.connectorUrl, {
    requestInit: { headers: { Authorization: `Bearer ${caller}` } },
  }),
);
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: conc }, async () => {
    while (next++ < CALLS) await client.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
  }),
);
console.log('calls/s', (CALLS / (performance.now() - t0)) * 1000);
await client.close();
await system.stop();
