// The official MCP SDK client, as any MCP client would, against the connector endpoint; a scripted
// tunnel-client answers with a minimal MCP server's replies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRuntime, type Runtime } from '../../../test/support/management-api.ts';
import { connectSdk } from '../../../test/support/mcp-callers.ts';
import { withScriptedClient, type CommandHandler } from '../../../test/support/scripted-tunnel-client.ts';
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
    await withScriptedClient(t, runtime, mcpServer, async (client) => {
      const caller = await connectSdk(new URL(`/v1/mcp/${runtime.tunnelId}`, t.url), runtime.runtimeKey);
      try {
        assert.ok(caller.transport.sessionId, 'the service minted a session id');
        const { tools } = await caller.mcp.listTools();
        assert.deepEqual(
          tools.map((tool) => tool.name),
          ['add'],
        );
        const result = await caller.mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
        assert.deepEqual(result.content, [{ type: 'text', text: '5 + 3 = 8' }]);
        await caller.transport.terminateSession();
        assert.ok(client.seen.some((command) => command.command_type === 'session_termination'));
      } finally {
        await caller.mcp.close();
      }
    });
  },
);
