// The embedded example end to end: the real tunnel-service, the example as its own process serving its
// McpServer through serveOverTunnel, and the official MCP SDK client calling through the service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createRuntime } from '../../../test/support/management-api.ts';
import { startProcess } from '../../../test/support/processes.ts';
import { startService } from '../../../test/support/service-process.ts';

const EXAMPLE = fileURLToPath(new URL('../src/server.ts', import.meta.url));

test(
  'an McpServer served with serveOverTunnel answers the SDK client through the service',
  { timeout: 60_000 },
  async () => {
    const service = await startService();
    try {
      const runtime = await createRuntime(service, { tunnelName: 'embedded' });
      const serving = startProcess([EXAMPLE], {
        CONTROL_PLANE_TUNNEL_ID: runtime.tunnelId,
        CONTROL_PLANE_API_KEY: runtime.runtimeKey,
        CONTROL_PLANE_BASE_URL: service.url,
      });
      try {
        await serving.waitFor(/serving tunnel tunnel_/, 20_000);
        const mcp = new McpClient({ name: 'embedded-test', version: '1.0.0' });
        await mcp.connect(
          new StreamableHTTPClientTransport(new URL(`/v1/mcp/${runtime.tunnelId}`, service.url), {
            requestInit: { headers: { Authorization: `Bearer ${runtime.runtimeKey}` } },
          }),
        );
        const result = await mcp.callTool({ name: 'greet', arguments: { name: 'Ada' } });
        assert.deepEqual(result.content, [
          { type: 'text', text: `Hello, Ada, from process ${serving.child.pid}` },
        ]);
        await mcp.close();
      } finally {
        await serving.stop();
      }
      assert.equal(serving.child.exitCode, 0, serving.output());
    } finally {
      await service.stop();
    }
  },
);

test('without its settings the example says which variable to export', { timeout: 20_000 }, async () => {
  const example = startProcess([EXAMPLE], { CONTROL_PLANE_TUNNEL_ID: '', CONTROL_PLANE_API_KEY: '' });
  await new Promise((resolve) => example.child.once('exit', resolve));
  assert.equal(example.child.exitCode, 2);
  assert.match(example.output(), /CONTROL_PLANE_TUNNEL_ID is not set: export it first/);
});
