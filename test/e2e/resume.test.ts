// Resumability end to end: the real tunnel-service and tunnel-client, a stdio MCP server whose tool sends
// progress every 200 ms, and a caller whose SSE stream is cut mid-call. It reconnects with GET and
// Last-Event-ID and receives the progress it missed and the tool's answer, nothing twice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Runtime } from '../support/management-api.ts';
import { postJsonRpc } from '../support/mcp-callers.ts';
import { CHANGING_SERVER } from '../support/mcp-servers.ts';
import { readEvents } from '../support/sse.ts';
import { startSystem, type System } from '../support/system.ts';

let system: System;
let runtime: Runtime;
let connector: URL;

before(async () => {
  system = await startSystem({ client: { mcpCommand: `"${process.execPath}" "${CHANGING_SERVER}"` } });
  ({ runtime, connectorUrl: connector } = system);
});
after(() => system?.stop());

test(
  'a stream cut mid-call resumes with Last-Event-ID through the real tunnel',
  { timeout: 60_000 },
  async () => {
    const auth = { authorization: `Bearer ${runtime.runtimeKey}` };
    const init = await postJsonRpc(
      connector,
      runtime.runtimeKey,
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'resume', version: '1' },
        },
      },
      { accept: 'application/json' },
    );
    assert.equal(init.status, 200);
    const session = init.headers.get('mcp-session-id')!;
    assert.ok(session);
    await init.text();
    const sessionHeaders = { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };

    const cut = new AbortController();
    const call = await postJsonRpc(
      connector,
      runtime.runtimeKey,
      {
        jsonrpc: '2.0',
        id: 'count',
        method: 'tools/call',
        params: { name: 'slow_count', arguments: { steps: 8 }, _meta: { progressToken: 'p' } },
      },
      sessionHeaders,
      cut.signal,
    );
    assert.equal(call.status, 200);
    const before = await readEvents(call, (events) => events.length >= 2);
    cut.abort();
    assert.deepEqual(
      before.map((e) => e.message.params?.progress),
      [1, 2],
    );
    const lastSeen = before.at(-1)!.id!;

    // Away for a while: progress goes on and is buffered by the service.
    await new Promise((resolve) => setTimeout(resolve, 700));
    const resumed = await fetch(connector, {
      headers: { ...sessionHeaders, accept: 'text/event-stream', 'last-event-id': lastSeen },
    });
    assert.equal(resumed.status, 200);
    const after = await readEvents(resumed, () => false);
    const progress = after.filter((e) => e.message.method === 'notifications/progress');
    assert.deepEqual(
      progress.map((e) => e.message.params?.progress),
      [3, 4, 5, 6, 7, 8],
      'every progress message after the last one seen, once',
    );
    const answer = after.at(-1)!.message;
    assert.equal(answer.id, 'count');
    assert.deepEqual(answer.result, { content: [{ type: 'text', text: 'counted to 8' }] });
  },
);
