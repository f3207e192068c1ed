// Server-to-client requests, cancellation, progress and logging through the real tunnel-service and
// tunnel-client, on a shared stdio child (channel main) and on per-session children (channel isolated).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import type { Runtime } from '../support/management-api.ts';
import { FEATURES_SERVER } from '../support/mcp-servers.ts';
import { connectSdk, postJsonRpc, type McpSession } from '../support/mcp-callers.ts';
import { eventually } from '../support/eventually.ts';
import { startSystem, type System } from '../support/system.ts';

let system: System;
let runtime: Runtime;
let connectorUrl: URL;

const command = `"${process.execPath}" "${FEATURES_SERVER}"`;

/** A caller that answers sampling, elicitation and roots with values naming itself. */
function answering(name: string) {
  return (mcp: McpClient) => {
    mcp.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const asked = request.params.messages[0]!.content as { text?: string };
      return {
        role: 'assistant',
        model: `model-of-${name}`,
        content: { type: 'text', text: `${name} sampled ${asked.text ?? ''}` },
      };
    });
    mcp.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { name: `${name}-answer` },
    }));
    mcp.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: `file:///home/${name}`, name }],
    }));
  };
}

const CAPABILITIES = { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } };

/** The connector URL of a channel: main's is the tunnel's own. */
const channelUrl = (channel: string) =>
  channel === 'main' ? connectorUrl : new URL(`${connectorUrl.pathname}/${channel}`, connectorUrl);

async function session(channel: string, name: string): Promise<McpSession> {
  return connectSdk(channelUrl(channel), runtime.runtimeKey, CAPABILITIES, answering(name));
}

function textOf(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0]!.text;
}

before(async () => {
  system = await startSystem({
    client: {
      extraEnv: {
        MCP_COMMAND: `channel=main,command=${command}\nchannel=isolated,command=${command},session-mode=per_session`,
      },
    },
  });
  ({ runtime, connectorUrl } = system);
});

after(() => system?.stop());

for (const channel of ['main', 'isolated']) {
  describe(
    `channel ${channel} (${channel === 'main' ? 'shared child' : 'per_session children'})`,
    { timeout: 60_000 },
    () => {
      test('sampling, elicitation and roots asked during a tool call are answered by the caller', async () => {
        const caller = await session(channel, 'alice');
        try {
          const result = await caller.mcp.callTool({ name: 'ask', arguments: { tag: 'hello' } });
          assert.deepEqual(JSON.parse(textOf(result)), {
            sampled: 'alice sampled hello',
            elicited: 'alice-answer',
            roots: ['file:///home/alice'],
          });
        } finally {
          await caller.end();
        }
      });

      test('a cancelled call is cancelled on the server, and the session goes on', async () => {
        const caller = await session(channel, 'carol');
        try {
          const before = Number(textOf(await caller.mcp.callTool({ name: 'cancelled' })));
          const abort = new AbortController();
          // Cancel only once the server runs the call (it reports progress 0 then): a cancellation that
          // overtakes its request on a loaded machine cancels nothing, and no fixed pause rules that out.
          let running!: () => void;
          const started = new Promise<void>((resolve) => (running = resolve));
          const call = caller.mcp.callTool({ name: 'block' }, undefined, {
            signal: abort.signal,
            onprogress: () => running(),
          });
          const ended = call.then(() => assert.fail('the blocking call ended by itself'));
          ended.catch(() => {}); // it rejects on the cancellation below; only the race reads it
          let timer: NodeJS.Timeout | undefined;
          try {
            await Promise.race([
              started,
              ended,
              new Promise((_, reject) => {
                timer = setTimeout(
                  () => reject(new Error('the blocking call did not start in 20 s')),
                  20_000,
                );
              }),
            ]);
          } finally {
            clearTimeout(timer);
          }
          abort.abort('the user pressed stop');
          await assert.rejects(call, /stop|abort/i);
          let count = before;
          await eventually(
            async () => (count = Number(textOf(await caller.mcp.callTool({ name: 'cancelled' })))) !== before,
            10_000,
            'the server to count the cancellation',
            100,
          );
          assert.equal(count, before + 1, 'the server saw the cancellation');
        } finally {
          await caller.end();
        }
      });

      test('progress and log messages arrive in order, before the result', async () => {
        const events: string[] = [];
        const caller = await connectSdk(channelUrl(channel), runtime.runtimeKey, {}, (mcp) =>
          mcp.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
            events.push(`log ${String(n.params.data)}`);
          }),
        );
        try {
          const result = await caller.mcp.callTool(
            { name: 'slow', arguments: { ms: 300, tag: 't' } },
            undefined,
            {
              onprogress: (p) => events.push(`progress ${p.progress}/${p.total}`),
            },
          );
          events.push(textOf(result));
          assert.deepEqual(events, [
            'progress 1/3',
            'log t step 1',
            'progress 2/3',
            'log t step 2',
            'progress 3/3',
            'log t step 3',
            'done t',
          ]);
        } finally {
          await caller.end();
        }
      });
    },
  );
}

describe('per_session children', { timeout: 60_000 }, () => {
  test('two sessions asked at the same time each answer their own server requests', async () => {
    const [alice, bob] = await Promise.all([session('isolated', 'alice'), session('isolated', 'bob')]);
    try {
      const [a, b] = await Promise.all([
        alice.mcp.callTool({ name: 'ask', arguments: { tag: 'a' } }),
        bob.mcp.callTool({ name: 'ask', arguments: { tag: 'b' } }),
      ]);
      assert.equal(JSON.parse(textOf(a)).sampled, 'alice sampled a');
      assert.equal(JSON.parse(textOf(b)).sampled, 'bob sampled b');
      assert.deepEqual(JSON.parse(textOf(b)).roots, ['file:///home/bob']);
    } finally {
      await Promise.all([alice.end(), bob.end()]);
    }
  });
});

describe('answers to server requests', { timeout: 30_000 }, () => {
  test('an answer for a server request this session never received is refused with 400', async () => {
    const caller = await session('main', 'mallory');
    try {
      const response = await postJsonRpc(
        connectorUrl,
        runtime.runtimeKey,
        { jsonrpc: '2.0', id: 4242, result: { roots: [] } },
        { 'mcp-session-id': caller.transport.sessionId! },
      );
      assert.equal(response.status, 400);
      const body = (await response.json()) as { error: { message: string } };
      assert.match(body.error.message, /No request with id 4242 from the MCP server waits/);
    } finally {
      await caller.end();
    }
  });
});
