// The official MCP SDK client, as any MCP client would, against the connector endpoint; a scripted
// tunnel-client answers with a minimal MCP server's replies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Runtime } from '../../../test/support/management-api.ts';
import { connectSdk } from '../../../test/support/mcp-callers.ts';
import { withScriptedClient, type CommandHandler } from '../../../test/support/scripted-tunnel-client.ts';
import { startServiceWithTunnel, type TestService } from './support/service.ts';

let t: TestService;
let runtime: Runtime;

before(async () => {
  ({ t, runtime } = await startServiceWithTunnel());
});
after(() => t?.stop());

/** The scripted server's arithmetic: each tools/call is answered from its own name and arguments. */
const TOOLS: Record<string, { sign: string; apply: (a: number, b: number) => number }> = {
  add: { sign: '+', apply: (a, b) => a + b },
  multiply: { sign: '*', apply: (a, b) => a * b },
};

function resultOf(method: string, params: Record<string, unknown> | undefined): unknown {
  switch (method) {
    case 'initialize':
      return {
        protocolVersion: '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'scripted', version: '1.0.0' },
      };
    case 'tools/list':
      return { tools: Object.keys(TOOLS).map((name) => ({ name, inputSchema: { type: 'object' } })) };
    case 'tools/call': {
      const { name, arguments: args } = params as { name: string; arguments: { a: number; b: number } };
      const tool = TOOLS[name]!;
      const text = `${args.a} ${tool.sign} ${args.b} = ${tool.apply(args.a, args.b)}`;
      return { content: [{ type: 'text', text }] };
    }
    default:
      return {};
  }
}

const mcpServer: CommandHandler = async (command) => {
  if (command.command_type === 'session_termination')
    return [{ resp_type: 'session_termination_response', resp_code: 204 }];
  const message = command.jsonrpc!;
  if (message.id === undefined) return [{ resp_type: 'notify_ack', resp_code: 202 }];
  const result = resultOf(message.method as string, message.params as Record<string, unknown> | undefined);
  return [
    { resp_type: 'jsonrpc_response', resp_code: 200, resp_json: { jsonrpc: '2.0', id: message.id, result } },
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
          ['add', 'multiply'],
        );
        // Each answer is computed from what reached the server: a call forwarded with another call's name
        // or arguments gets another answer.
        const calls: [string, number, number, string][] = [
          ['add', 5, 3, '5 + 3 = 8'],
          ['add', -12, 40, '-12 + 40 = 28'],
          ['multiply', 6, 7, '6 * 7 = 42'],
          ['multiply', 0.5, -4, '0.5 * -4 = -2'],
        ];
        for (const [name, a, b, text] of calls) {
          const result = await caller.mcp.callTool({ name, arguments: { a, b } });
          assert.deepEqual(result.content, [{ type: 'text', text }], `${name}(${a}, ${b})`);
        }
        await caller.transport.terminateSession();
        assert.ok(client.seen.some((command) => command.command_type === 'session_termination'));
      } finally {
        await caller.mcp.close();
      }
    });
  },
);
