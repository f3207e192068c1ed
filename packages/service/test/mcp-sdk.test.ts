// The official MCP SDK client, as any MCP client would, against the connector endpoint; a scripted
// tunnel-client answers with a minimal MCP server's replies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createRuntime, type Runtime } from '../../../test/support/management-api.ts';
import {
  startScriptedClient,
  waitOnline,
  type CommandHandler,
} from '../../../test/support/scripted-tunnel-client.ts';
import { startTestService, type TestService } from './support/service.ts';

let t: TestService;
let runtime: Runtime;

before(async () => {
  t = await startTestService();
  runtime = await createRuntime(t);
});
after(async () => {
  await t?.stop();
});

const RESULTS: Record<string, unknown> = {
  initialize: {
    protocolVersion: '2025-06-18',
    capabilities: { tools: {} },
    serverInfo: { name: 'scripted', version: '1.0.0' },
  },
  'tools/list': { tools: [{ name: 'add', inputSchema: { type: 'object' } }] },
  'tools/call': { content: [{ type: 'text', text: '5 + 3 = 8' }] },
};

const mcpServer: CommandHandler = async (command) => {
  if (command.command_type === 'session_termination')
    return [{ resp_type: 'session_termination_response', resp_code: 204 }];
  const message = command.jsonrpc!;
  if (message.id === undefined) return [{ resp_type: 'notify_ack', resp_code: 202 }];
  return [
    {
      resp_type: 'jsonrpc_response',
      resp_code: 200,
      resp_json: { jsonrpc: '2.0', id: message.id, result: RESULTS[message.method as string] ?? {} },
    },
  ];
};

test(
  'the MCP SDK client initializes, lists and calls tools, and ends its session',
  { timeout: 20_000 },
  async () => {
    const client = startScriptedClient(t.url, runtime, mcpServer);
    await waitOnline(t, runtime);
    const mcp = new Client({ name: 'sdk-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`/v1/mcp/${runtime.tunnelId}`, t.url), {
      requestInit: { headers: { Authorization: `Bearer ${runtime.runtimeKey}` } },
    });
    try {
      await mcp.connect(transport);
      assert.ok(transport.sessionId, 'the service minted a session id');
      const { tools } = await mcp.listTools();
      assert.deepEqual(
        tools.map((tool) => tool.name),
        ['add'],
      );
      const result = await mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
      assert.deepEqual(result.content, [{ type: 'text', text: '5 + 3 = 8' }]);
      await transport.terminateSession();
      assert.ok(client.seen.some((command) => command.command_type === 'session_termination'));
    } finally {
      await mcp.close();
      await client.stop();
    }
  },
);
