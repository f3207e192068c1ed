// session_mode per_session through the real tunnel-service and tunnel-client: each MCP session gets a
// child of its own, which DELETE or an idle timeout stops, and sessions past the cap are refused clearly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Runtime } from '../support/management-api.ts';
import { eventually } from '../support/eventually.ts';
import { connectSdk, postJsonRpc, type McpSession } from '../support/mcp-callers.ts';
import { FEATURES_SERVER } from '../support/mcp-servers.ts';
import { startSystem, type System } from '../support/system.ts';

// Long enough that a session does not idle out while the test starts the next session's child (a Node
// process: seconds on a loaded machine), short enough to wait for in the idle test.
const IDLE_MS = 5000;
const MAX_PROCESSES = 3;

let system: System;
let runtime: Runtime;
let connectorUrl: URL;

const connect = () => connectSdk(connectorUrl, runtime.runtimeKey);

async function pidOf({ mcp }: McpSession): Promise<number> {
  const result = await mcp.callTool({ name: 'pid' });
  return Number((result.content as { text: string }[])[0]!.text);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const waitGone = (pid: number, timeoutMs: number) =>
  eventually(() => !alive(pid), timeoutMs, `process ${pid} to end`, 50);

before(async () => {
  system = await startSystem({
    client: {
      extraEnv: {
        MCP_COMMAND: `channel=main,command="${process.execPath}" "${FEATURES_SERVER}",session-mode=per_session`,
        MCP_SESSION_IDLE_TIMEOUT: `${IDLE_MS}ms`,
        MCP_MAX_SESSION_PROCESSES: String(MAX_PROCESSES),
      },
    },
  });
  ({ runtime, connectorUrl } = system);
});

after(() => system?.stop());

describe('session_mode per_session', { timeout: 60_000 }, () => {
  test('each session has its own child, and DELETE stops it', async () => {
    const first = await connect();
    const second = await connect();
    assert.ok(first.transport.sessionId && second.transport.sessionId);
    assert.notEqual(first.transport.sessionId, second.transport.sessionId);
    const [a, b] = [await pidOf(first), await pidOf(second)];
    assert.notEqual(a, b, 'two sessions, two processes');
    assert.equal(await pidOf(first), a, 'a session keeps its process');
    assert.ok(alive(a) && alive(b));
    await first.end();
    await waitGone(a, 5000);
    assert.ok(alive(b), 'ending one session leaves the other running');
    await second.end();
    await waitGone(b, 5000);
  });

  test('an idle session is stopped after mcp.session_idle_timeout, and is then unknown', async () => {
    const session = await connect();
    // Taken before the last call, so before the client restarts the idle clock at that call's end: a
    // clock read after the answer arrives would be late by the answer's trip, and the check below flaky.
    const started = Date.now();
    const pid = await pidOf(session);
    await waitGone(pid, IDLE_MS + 5000);
    assert.ok(Date.now() - started >= IDLE_MS - 200, 'not before the idle timeout');
    await assert.rejects(session.mcp.callTool({ name: 'pid' }), /404|Session not found/);
    await session.mcp.close();
  });

  test('a session past mcp.max_session_processes is refused with a clear JSON-RPC error', async () => {
    const sessions = [];
    for (let i = 0; i < MAX_PROCESSES; i++) {
      const session = await connect();
      sessions.push(session);
      // A call in flight keeps the session from idling out while the test runs.
      session.mcp.callTool({ name: 'block' }).catch(() => {});
    }
    try {
      const response = await postJsonRpc(connectorUrl, runtime.runtimeKey, {
        jsonrpc: '2.0',
        id: 7,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'x', version: '1' },
        },
      });
      assert.equal(response.status, 503);
      const body = (await response.json()) as { id: number; error: { message: string; data: unknown } };
      assert.equal(body.id, 7);
      assert.match(body.error.message, /already runs 3 MCP server processes.*mcp\.max_session_processes/);
      assert.deepEqual(body.error.data, { reason: 'session_process_limit', limit: 3 });
    } finally {
      await Promise.all(sessions.map((session) => session.end()));
    }
    // Ending a session frees its place.
    const again = await connect();
    assert.ok((await pidOf(again)) > 0);
    await again.end();
  });
});
