// Sessions on a stdio MCP server through the real tunnel-service and tunnel-client: callers whose
// JSON-RPC ids collide on one shared child each get their own answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Runtime } from '../support/management-api.ts';
import { postJsonRpc } from '../support/mcp-callers.ts';
import { FEATURES_SERVER } from '../support/mcp-servers.ts';
import { startSystem, type System } from '../support/system.ts';

let system: System;
let runtime: Runtime;
let connectorUrl: URL;

/** Posts one JSON-RPC message as a plain JSON caller and returns the status, session header and body. */
async function rpc(body: unknown, session?: string) {
  const response = await postJsonRpc(connectorUrl, runtime.runtimeKey, body, {
    accept: 'application/json',
    ...(session ? { 'mcp-session-id': session } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    session: response.headers.get('mcp-session-id') ?? undefined,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

async function openSession(name: string): Promise<string> {
  const init = await rpc({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name, version: '1' } },
  });
  assert.equal(init.status, 200);
  assert.ok(init.session, 'the service mints a session id for a stdio channel');
  assert.equal(
    (await rpc({ jsonrpc: '2.0', method: 'notifications/initialized' }, init.session)).status,
    202,
  );
  return init.session;
}

before(async () => {
  system = await startSystem({ client: { mcpCommand: `"${process.execPath}" "${FEATURES_SERVER}"` } });
  ({ runtime, connectorUrl } = system);
});

after(() => system?.stop());

describe('a shared stdio child', { timeout: 60_000 }, () => {
  test('two sessions that both send id 1 at the same time each get their own answer', async () => {
    const [first, second] = await Promise.all([openSession('first'), openSession('second')]);
    assert.notEqual(first, second);
    const call = (session: string, tag: string, ms: number) =>
      rpc(
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: { ms, tag } } },
        session,
      );
    // The long call is on the child when the short one arrives with the same id, and ends after it.
    const finished: string[] = [];
    const long = call(first, 'first', 2000).then((r) => (finished.push('first'), r));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const short = call(second, 'second', 150).then((r) => (finished.push('second'), r));
    const [a, b] = await Promise.all([long, short]);
    assert.deepEqual(finished, ['second', 'first']);
    assert.deepEqual(a.body, {
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: 'done first' }] },
    });
    assert.deepEqual(b.body, {
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: 'done second' }] },
    });
    // Both sessions reached the same child.
    const pid = async (session: string) =>
      (
        (await rpc({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'pid' } }, session))
          .body as { result: { content: { text: string }[] } }
      ).result.content[0]!.text;
    assert.equal(await pid(first), await pid(second));
  });
});
