// One caller's or one tunnel-client's bad message is refused at the edge with a clear answer, and never
// takes other callers' commands, a poll or a response post down with it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRuntime, type Runtime } from '../../../test/support/management-api.ts';
import {
  echoHandler,
  poll,
  respond,
  waitOnline,
  withScriptedClient,
  type WireCommand,
} from '../../../test/support/scripted-tunnel-client.ts';
import { postJsonRpc } from '../../../test/support/mcp-callers.ts';
import { sseMessages } from '../../../test/support/sse.ts';
import { startTestService, type TestService } from './support/service.ts';

const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const deepCall = (levels: number) =>
  `{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"echo","arguments":{"x":${nested(levels)}}}}`;
const call = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo' } });

type RpcBody = { id?: unknown; result?: unknown; error?: { code: number; message: string } };

/** Opens one poll, waits until the tunnel is online, then sends the caller's request: the poll carries it. */
async function pollFor(t: TestService, runtime: Runtime, send: () => Promise<Response>) {
  const polled = poll(t.url, runtime, 'limit=1&timeout_ms=10000');
  await waitOnline(t, runtime);
  const caller = send();
  const answer = await polled;
  assert.equal(answer.status, 200);
  return { command: answer.body.commands[0] as WireCommand, caller };
}

describe('bad messages', { timeout: 60_000 }, () => {
  let t: TestService;
  let runtime: Runtime;
  let connector: URL;

  before(async () => {
    t = await startTestService();
    runtime = await createRuntime(t, { responseTimeout: '30s' });
    connector = new URL(`/v1/mcp/${runtime.tunnelId}`, t.url);
  });
  after(() => t?.stop());

  test('a caller message nested deeper than the limit gets a 400 JSON-RPC error; concurrent callers are all answered', async () => {
    await withScriptedClient(t, runtime, echoHandler, async () => {
      const normal = Array.from({ length: 8 }, (_, i) =>
        postJsonRpc(connector, t.ownerKey, call(i + 1), { accept: 'application/json' }),
      );
      const deep = await postJsonRpc(connector, t.ownerKey, deepCall(6000));
      assert.equal(deep.status, 400);
      const refusal = (await deep.json()) as RpcBody;
      assert.equal(refusal.error?.code, -32600);
      assert.match(refusal.error!.message, /at most 128 \(tunnel-service --max-json-depth\)/);
      const answers = await Promise.all(normal);
      for (const [i, answer] of answers.entries()) {
        assert.equal(answer.status, 200);
        assert.equal(((await answer.json()) as RpcBody).id, i + 1);
      }
    });
  });

  test('a caller without a key on a malformed channel is refused with a JSON-RPC error, not a 500', async () => {
    const answer = await fetch(new URL(`/v1/mcp/${runtime.tunnelId}/%00`, t.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'null',
    });
    assert.ok(answer.status >= 400 && answer.status < 500, String(answer.status));
    assert.equal(((await answer.json()) as RpcBody).error?.code, -32000);
  });

  test('a response post nested deeper than the limit is refused with 400, and its caller told at once', async () => {
    const { command, caller } = await pollFor(t, runtime, () =>
      postJsonRpc(connector, t.ownerKey, call(7), { accept: 'application/json' }),
    );
    const posted = await respond(t.url, runtime, command, {
      resp_type: 'jsonrpc_response',
      resp_code: 200,
      resp_json: { jsonrpc: '2.0', id: 7, result: { deep: JSON.parse(nested(1000)) } },
    });
    assert.equal(posted.status, 400);
    assert.equal(posted.body.error.code, 'json_too_deep');
    const answer = await caller;
    assert.equal(answer.status, 502);
    const body = (await answer.json()) as RpcBody;
    assert.equal(body.id, 7);
    assert.match(body.error!.message, /answer could not be passed on: .*at most 128/);
  });

  for (const [what, headers] of [
    ['a value with CR LF', { 'Mcp-Session-Id': ['x\r\nSet-Cookie: a=b'] }],
    ['a name that is no token', { 'Bad Name': ['x'] }],
  ] as const)
    for (const accept of ['application/json', 'application/json, text/event-stream'])
      test(`resp_headers with ${what} is refused with 400; a caller accepting ${accept} is told at once`, async () => {
        const { command, caller } = await pollFor(t, runtime, () =>
          postJsonRpc(connector, t.ownerKey, call(9), { accept }),
        );
        const posted = await respond(t.url, runtime, command, {
          resp_type: 'jsonrpc_response',
          resp_code: 200,
          resp_headers: headers,
          resp_json: { jsonrpc: '2.0', id: 9, result: {} },
        });
        assert.equal(posted.status, 400);
        assert.equal(posted.body.error.code, 'invalid_response_header');
        assert.equal(posted.body.error.param, 'resp_headers');
        const answer = await caller;
        assert.equal(answer.status, 502);
        assert.equal(answer.headers.get('set-cookie'), null);
        const body = (await answer.json()) as RpcBody;
        assert.equal(body.id, 9);
        assert.match(body.error!.message, /not a valid HTTP header (name|value)/);
      });

  test('an SSE caller already streaming gets the refusal as its last event', async () => {
    const { command, caller } = await pollFor(t, runtime, () =>
      postJsonRpc(connector, t.ownerKey, call(11), { accept: 'application/json, text/event-stream' }),
    );
    const progress = await respond(t.url, runtime, command, {
      resp_type: 'jsonrpc_notify',
      resp_code: 200,
      resp_json: { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } },
    });
    assert.equal(progress.status, 200);
    const posted = await respond(t.url, runtime, command, {
      resp_type: 'jsonrpc_response',
      resp_code: 200,
      resp_headers: { 'Mcp-Session-Id': ['x\r\nSet-Cookie: a=b'] },
      resp_json: { jsonrpc: '2.0', id: 11, result: {} },
    });
    assert.equal(posted.status, 400);
    const answer = await caller;
    assert.equal(answer.status, 200);
    const messages = sseMessages(await answer.text()) as RpcBody[];
    assert.equal(messages.length, 2);
    assert.match(messages[1]!.error!.message, /not a valid HTTP header value/);
  });
});

describe('a command the service cannot serialize', { timeout: 60_000 }, () => {
  let t: TestService;
  let runtime: Runtime;

  // startService takes the depth bound unchecked: set past what JSON.stringify can serialize, a command
  // gets through the edge that the poll answer cannot carry.
  before(async () => {
    t = await startTestService({ maxJsonDepth: 100_000 });
    runtime = await createRuntime(t, { responseTimeout: '30s' });
  });
  after(() => t?.stop());

  test('is answered to its caller, and the poll carries the other commands', async () => {
    const connector = new URL(`/v1/mcp/${runtime.tunnelId}`, t.url);
    const polled = poll(t.url, runtime, 'limit=25&timeout_ms=100');
    await waitOnline(t, runtime);
    await polled;
    // Queued while no poll is open, so the next poll takes all of them in one answer.
    const normal = [1, 2, 3].map((id) =>
      postJsonRpc(connector, t.ownerKey, call(id), { accept: 'application/json' }),
    );
    const deep = postJsonRpc(connector, t.ownerKey, deepCall(6000), { accept: 'application/json' });
    const later = [4, 5].map((id) =>
      postJsonRpc(connector, t.ownerKey, call(id), { accept: 'application/json' }),
    );
    const seen: WireCommand[] = [];
    while (seen.length < 5) {
      const answer = await poll(t.url, runtime, 'limit=25&timeout_ms=5000');
      // 204: the poll carried only the command it could not serialize.
      if (answer.status === 204) continue;
      assert.equal(answer.status, 200);
      for (const command of answer.body.commands as WireCommand[]) {
        seen.push(command);
        for (const payload of await echoHandler(command)) await respond(t.url, runtime, command, payload);
      }
    }
    assert.deepEqual(seen.map((c) => c.jsonrpc?.id).sort(), [1, 2, 3, 4, 5]);
    const refused = await deep;
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as RpcBody).error!.message, /could not pass this message/);
    for (const answer of await Promise.all([...normal, ...later])) assert.equal(answer.status, 200);
  });
});
