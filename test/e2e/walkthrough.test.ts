// The seed walkthrough end to end: the real tunnel-service, the real tunnel-client (both as the CLIs
// users run), the calculator as a child process, and the official MCP SDK client calling through.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { CLIENT_BIN, runCli } from '../support/processes.ts';
import type { Service } from '../support/service-process.ts';
import { api, createRuntime, keyWith, type Runtime } from '../support/management-api.ts';
import { startClient } from '../support/client-process.ts';
import { startSystem, type System } from '../support/system.ts';
import { poll, respond, waitOnline, type WireCommand } from '../support/scripted-tunnel-client.ts';
import { connectSdk, postJsonRpc } from '../support/mcp-callers.ts';
import { sseMessages } from '../support/sse.ts';

const CALL_SCRIPT = fileURLToPath(new URL('../../examples/calculator/src/call.ts', import.meta.url));

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } },
};

let system: System;
let service: Service;
let runtime: Runtime;
let connectorUrl: URL;

/** A plain JSON caller, unless `headers` say otherwise. */
const post = (url: URL, body: unknown, headers: Record<string, string> = {}, key = runtime.runtimeKey) =>
  postJsonRpc(url, key, body, { accept: 'application/json', ...headers });

before(async () => {
  system = await startSystem();
  ({ service, runtime, connectorUrl } = system);
});

after(() => system?.stop());

describe('the seed walkthrough', { timeout: 60_000 }, () => {
  test('the MCP SDK client lists the calculator tools and add(5, 3) gives 5 + 3 = 8', async () => {
    const { mcp, transport, end } = await connectSdk(connectorUrl, runtime.runtimeKey);
    try {
      assert.ok(transport.sessionId, 'the service gives the stdio channel a session id at initialize');
      const { tools } = await mcp.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ['add', 'divide', 'multiply', 'subtract']);
      const result = await mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
      assert.deepEqual(result.content, [{ type: 'text', text: '5 + 3 = 8' }]);
    } finally {
      await end();
    }
  });

  test("the README's call script lists the tools and prints add(5, 3) through the tunnel", async () => {
    const answer = await runCli([CALL_SCRIPT, connectorUrl.href], { TUNNEL_KEY: runtime.runtimeKey });
    assert.equal(answer.code, 0, answer.output);
    assert.equal(answer.output, 'tools: add, subtract, multiply, divide\nadd(5, 3): 5 + 3 = 8');
    const usage = await runCli([CALL_SCRIPT, connectorUrl.href], { TUNNEL_KEY: '' });
    assert.equal(usage.code, 2);
    assert.match(usage.output, /usage: TUNNEL_KEY=<key with Tunnels Use> node call\.ts/);
  });

  test('a JSON caller gets application/json and keeps its session', async () => {
    const init = await post(connectorUrl, INIT);
    assert.equal(init.status, 200);
    assert.match(init.headers.get('content-type') ?? '', /application\/json/);
    const session = init.headers.get('mcp-session-id');
    assert.ok(session);
    const body = (await init.json()) as { id: number; result: { serverInfo: { name: string } } };
    assert.equal(body.id, 1);
    assert.equal(body.result.serverInfo.name, 'calculator');

    const call = await post(
      connectorUrl,
      {
        jsonrpc: '2.0',
        id: 'call-1',
        method: 'tools/call',
        params: { name: 'multiply', arguments: { a: 6, b: 7 } },
      },
      { 'mcp-session-id': session },
    );
    assert.equal(call.status, 200);
    assert.deepEqual(await call.json(), {
      jsonrpc: '2.0',
      id: 'call-1',
      result: { content: [{ type: 'text', text: '6 * 7 = 42' }] },
    });
  });

  test('an SSE caller gets the answer as an event stream', async () => {
    const response = await post(
      connectorUrl,
      {
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'subtract', arguments: { a: 10, b: 4 } },
      },
      { accept: 'application/json, text/event-stream' },
    );
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const messages = sseMessages(await response.text());
    assert.deepEqual(messages.at(-1), {
      jsonrpc: '2.0',
      id: 9,
      result: { content: [{ type: 'text', text: '10 - 4 = 6' }] },
    });
  });

  test('a notification gets 202', async () => {
    const response = await post(connectorUrl, { jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(response.status, 202);
  });

  test('DELETE ends a session, and the ended session is refused afterwards', async () => {
    const init = await post(connectorUrl, INIT);
    const session = init.headers.get('mcp-session-id')!;
    await init.body?.cancel();
    const end = await fetch(connectorUrl, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${runtime.runtimeKey}`, 'mcp-session-id': session },
    });
    assert.ok(end.status === 200 || end.status === 204, `DELETE answered ${end.status}`);
    const again = await post(
      connectorUrl,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { 'mcp-session-id': session },
    );
    assert.equal(again.status, 404);
  });

  test('an offline tunnel answers 503 with a JSON-RPC error at once, not at its response deadline', async () => {
    const offline = await api<{ id: string }>(service.url, service.ownerKey, 'POST', '/v1/tunnels', {
      name: 'offline',
    });
    const started = performance.now();
    const response = await post(new URL(`/v1/mcp/${offline.id}`, service.url), INIT, {}, service.ownerKey);
    const elapsed = performance.now() - started;
    assert.equal(response.status, 503);
    const body = (await response.json()) as { error: { message: string } };
    assert.match(body.error.message, /offline|tunnel-client/i);
    // The tunnel's response deadline is the default 60 s: a refusal within 5 s did not wait for a client,
    // and 5 s (not 1 s) leaves room for a loaded machine.
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
  });

  test('a key without Tunnels Use gets 403 on poll, with a message that says so', async () => {
    const readOnly = await keyWith(service, ['tunnel.read']);
    const response = await fetch(new URL(`/v1/tunnels/${runtime.tunnelId}/poll?timeout_ms=1`, service.url), {
      headers: { authorization: `Bearer ${readOnly}` },
    });
    assert.equal(response.status, 403);
    const body = (await response.json()) as { error: { message: string; code: string } };
    assert.equal(body.error.code, 'tunnel_use_forbidden');
  });

  test('malformed JSON gets a clear 4xx on every endpoint', async () => {
    const paths = [
      '/v1/tunnels',
      `/v1/tunnels/${runtime.tunnelId}`,
      `/v1/tunnels/${runtime.tunnelId}/response`,
      '/v1/roles',
      '/v1/api_keys',
      '/v1/service_accounts',
      `/v1/mcp/${runtime.tunnelId}`,
    ];
    for (const path of paths) {
      const response = await post(new URL(path, service.url), '{"jsonrpc": ', {}, service.ownerKey);
      assert.equal(response.status, 400, `${path} answered ${response.status}`);
      const body = (await response.json()) as { error: { message: string } };
      assert.ok(body.error.message.length > 10, `${path}: ${JSON.stringify(body)}`);
    }
  });
});

describe('the tunnel API refuses what it must', { timeout: 60_000 }, () => {
  test('a wrong shard token is refused and the right one delivers the answer', async () => {
    const tunnel = await api<{ id: string }>(service.url, service.ownerKey, 'POST', '/v1/tunnels', {
      name: 'scripted',
    });
    const other = await api<{ id: string }>(service.url, service.ownerKey, 'POST', '/v1/tunnels', {
      name: 'other',
    });
    const scripted = { tunnelId: tunnel.id, runtimeKey: runtime.runtimeKey };
    const polled = poll(service.url, scripted, 'limit=1&timeout_ms=30000');
    // The poll above marks the tunnel online; the caller's request becomes its command. A caller that
    // comes before the service has the poll is refused with 503 (offline).
    await waitOnline(service, scripted, 20_000);
    const caller = post(new URL(`/v1/mcp/${tunnel.id}`, service.url), {
      jsonrpc: '2.0',
      id: 5,
      method: 'ping',
    });
    const { status, body } = await polled;
    assert.equal(status, 200);
    const command = (body.commands as WireCommand[])[0]!;
    const answer = {
      resp_json: { jsonrpc: '2.0', id: 5, result: {} },
      resp_code: 200,
      resp_type: 'jsonrpc_response',
    };
    const respondWith = (token: string, tunnelId = tunnel.id) =>
      respond(service.url, { ...scripted, tunnelId }, { ...command, shard_token: token }, answer);
    const forged = command.shard_token.slice(0, -2) + (command.shard_token.endsWith('aa') ? 'bb' : 'aa');
    for (const [why, refused] of [
      ['a forged token', await respondWith(forged)],
      ['no token', await respondWith('')],
      ["another tunnel's URL", await respondWith(command.shard_token, other.id)],
    ] as const) {
      assert.equal(refused.status, 401, `${why} answered ${refused.status}`);
      assert.equal(refused.body.error.code, 'tunnel_request_mismatch', why);
    }
    const accepted = await respondWith(command.shard_token);
    assert.equal(accepted.status, 200);
    assert.deepEqual(accepted.body, { status: 'ok' });
    const done = await caller;
    assert.deepEqual(await done.json(), { jsonrpc: '2.0', id: 5, result: {} });
    const late = await respondWith(command.shard_token);
    assert.equal(late.status, 404);
  });

  test('a command past its deadline answers 504, though the tunnel-client never answers', async () => {
    const slow = await createRuntime(service, { tunnelName: 'silent', responseTimeout: '1s' });
    // A stdio "server" that reads requests and never answers them.
    const silent = await startClient(service, slow, {
      mcpCommand: `"${process.execPath}" -e "process.stdin.resume()"`,
    });
    try {
      const started = performance.now();
      const response = await post(
        new URL(`/v1/mcp/${slow.tunnelId}`, service.url),
        INIT,
        {},
        slow.runtimeKey,
      );
      assert.equal(response.status, 504);
      const body = (await response.json()) as { id: number; error: { message: string } };
      assert.equal(body.id, 1);
      assert.ok(performance.now() - started >= 900);
    } finally {
      await silent.stop();
    }
  });

  test('a response posted after the deadline, with the real shard token, gets 404', async () => {
    const late = await createRuntime(service, { tunnelName: 'late', responseTimeout: '1s' });
    const polled = poll(service.url, late, 'limit=1&timeout_ms=30000');
    await waitOnline(service, late, 20_000);
    const caller = post(new URL(`/v1/mcp/${late.tunnelId}`, service.url), INIT, {}, late.runtimeKey);
    const { body } = await polled;
    const command = (body.commands as WireCommand[])[0]!;
    // The caller's 504 is the deadline passing: from then on nothing waits for an answer.
    assert.equal((await caller).status, 504);
    const answer = await respond(service.url, late, command, {
      resp_type: 'jsonrpc_response',
      resp_code: 200,
      resp_json: { jsonrpc: '2.0', id: 1, result: {} },
    });
    assert.equal(answer.status, 404);
    assert.equal(answer.body.error.code, 'pending_request_not_found');
    assert.match(answer.body.error.message, new RegExp(`${command.request_id} is already finished, expired`));
  });

  test('a malformed tunnel id stops the client at start-up, naming the expected shape', async () => {
    const { code, output } = await runCli([CLIENT_BIN, 'run', '--mcp-command', 'node server.js'], {
      CONTROL_PLANE_TUNNEL_ID: 'tunnel_123',
      CONTROL_PLANE_API_KEY: 'mcpt_not_used',
      CONTROL_PLANE_BASE_URL: service.url,
    });
    assert.notEqual(code, 0);
    assert.match(output, /tunnel_123/);
    // The shape OpenAI's client accepts (tunnel_ and 32 of [a-z0-9]), which covers the ids our service mints.
    assert.match(output, /tunnel_ followed by 32 lowercase letters or digits/);
  });
});
