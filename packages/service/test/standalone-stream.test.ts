// Extension standalone-stream at the service: offered on poll answers, GET /v1/mcp only served when a
// tunnel-client declared it, stream commands only given to such clients, and the caller's SSE stream
// built from stream_open, jsonrpc_notify and stream_end. A raw poller plays the tunnel-client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Runtime } from '../../../test/support/management-api.ts';
import { poll, respond, type WireCommand } from '../../../test/support/scripted-tunnel-client.ts';
import { firstEventId, sseMessages } from '../../../test/support/sse.ts';
import { startServiceWithTunnel, type TestService } from './support/service.ts';

let t: TestService;
let runtime: Runtime;

before(async () => {
  ({ t, runtime } = await startServiceWithTunnel());
});
after(() => t?.stop());

/** A poll by a tunnel-client that declares the standalone-stream extension, or by one that does not. */
async function pollDeclaring(declare: boolean, timeoutMs = 3000) {
  const answer = await poll(t.url, runtime, `timeout_ms=${timeoutMs}`, {
    headers: declare
      ? { 'x-tunnel-extensions': 'standalone-stream', 'x-tunnel-client-instance-id': 'streamer' }
      : {},
  });
  return {
    status: answer.status,
    offered: answer.headers.get('x-tunnel-extensions'),
    commands: (answer.body?.commands ?? []) as WireCommand[],
  };
}

const openGet = (headers: Record<string, string> = {}) =>
  fetch(new URL(`/v1/mcp/${runtime.tunnelId}`, t.url), {
    headers: {
      authorization: `Bearer ${runtime.runtimeKey}`,
      accept: 'text/event-stream',
      'mcp-session-id': 'upstream-session-1',
      ...headers,
    },
  });

test(
  'poll answers offer the extension; without a client that declared it GET answers 405',
  { timeout: 20_000 },
  async () => {
    const plain = await pollDeclaring(false, 1);
    assert.equal(plain.offered, 'standalone-stream, resource-metadata, leave, listen-stream, command-stream');
    const response = await openGet();
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST, DELETE');
  },
);

test(
  'a declared client gets the stream command and the caller gets its messages as SSE',
  { timeout: 20_000 },
  async () => {
    await pollDeclaring(true, 1);
    const refused = await openGet({ accept: 'application/json' });
    assert.equal(refused.status, 406);

    const plainPoll = pollDeclaring(false, 1500);
    const streamPoll = pollDeclaring(true);
    const caller = openGet();
    const [plain, declared] = await Promise.all([plainPoll, streamPoll]);
    assert.equal(
      plain.commands.length,
      0,
      'a client that did not declare the extension never gets its commands',
    );
    const command = declared.commands[0]!;
    assert.equal(command.command_type, 'standalone_stream');
    assert.deepEqual(command.headers['Mcp-Session-Id'], ['upstream-session-1']);

    const post = (payload: Record<string, unknown>) => respond(t.url, runtime, command, payload);
    assert.equal((await post({ resp_type: 'stream_open', resp_code: 200, resp_headers: {} })).status, 200);
    const response = await caller;
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const changed = { jsonrpc: '2.0', method: 'notifications/tools/list_changed' };
    const updated = {
      jsonrpc: '2.0',
      method: 'notifications/resources/updated',
      params: { uri: 'note://1' },
    };
    for (const message of [changed, updated])
      assert.equal(
        (await post({ resp_type: 'jsonrpc_notify', resp_code: 200, resp_json: message })).status,
        200,
      );
    assert.equal((await post({ resp_type: 'stream_end', resp_code: 200 })).status, 200);
    assert.deepEqual(sseMessages(await response.text()), [changed, updated]);
  },
);

test(
  'an MCP server that offers no stream: stream_end 405 reaches the caller as 405',
  { timeout: 20_000 },
  async () => {
    await pollDeclaring(true, 1);
    const caller = openGet();
    const { commands } = await pollDeclaring(true);
    const command = commands[0]!;
    await respond(t.url, runtime, command, { resp_type: 'stream_end', resp_code: 405 });
    const response = await caller;
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST, DELETE');
    const body = (await response.json()) as { error: { message: string } };
    assert.match(body.error.message, /offers no standalone SSE stream/);
  },
);

test(
  'a dropped standalone stream is resumed with Last-Event-ID; once over, a fresh one opens',
  { timeout: 20_000 },
  async () => {
    await pollDeclaring(true, 1);
    const cut = new AbortController();
    const caller = fetch(new URL(`/v1/mcp/${runtime.tunnelId}`, t.url), {
      headers: {
        authorization: `Bearer ${runtime.runtimeKey}`,
        accept: 'text/event-stream',
        'mcp-session-id': 'upstream-session-1',
      },
      signal: cut.signal,
    });
    const command = (await pollDeclaring(true)).commands[0]!;
    const post = (payload: Record<string, unknown>) => respond(t.url, runtime, command, payload);
    const note = (n: number) => ({ jsonrpc: '2.0', method: 'notifications/message', params: { data: n } });
    await post({ resp_type: 'stream_open', resp_code: 200 });
    await post({ resp_type: 'jsonrpc_notify', resp_code: 200, resp_json: note(1) });
    const lastSeen = await firstEventId(await caller);
    assert.match(lastSeen, /^get_req_[0-9a-f]+:1$/);
    cut.abort();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(
      (await post({ resp_type: 'jsonrpc_notify', resp_code: 200, resp_json: note(2) })).status,
      200,
    );

    const resumed = await openGet({ 'last-event-id': lastSeen });
    assert.equal(resumed.status, 200);
    await post({ resp_type: 'jsonrpc_notify', resp_code: 200, resp_json: note(3) });
    await post({ resp_type: 'stream_end', resp_code: 200 });
    const text = await resumed.text();
    assert.deepEqual(sseMessages(text), [note(2), note(3)]);
    const newest = [...text.matchAll(/id: (\S+)/g)].at(-1)![1]!;

    // The stream is over and nothing was missed: the caller gets a new standalone stream.
    const again = openGet({ 'last-event-id': newest });
    const next = (await pollDeclaring(true)).commands[0]!;
    assert.equal(next.command_type, 'standalone_stream');
    assert.notEqual(next.request_id, command.request_id);
    assert.equal(next.headers['Last-Event-Id'], undefined, 'our event id is not the MCP server’s');
    await respond(t.url, runtime, next, { resp_type: 'stream_end', resp_code: 405 });
    assert.equal((await again).status, 405);
  },
);

test('ending the session ends its standalone stream', { timeout: 20_000 }, async () => {
  await pollDeclaring(true, 1);
  const caller = openGet({ 'mcp-session-id': 'session-to-end' });
  const stream = (await pollDeclaring(true)).commands[0]!;
  await respond(t.url, runtime, stream, { resp_type: 'stream_open', resp_code: 200 });
  const response = await caller;
  assert.equal(response.status, 200);

  const ending = fetch(new URL(`/v1/mcp/${runtime.tunnelId}`, t.url), {
    method: 'DELETE',
    headers: { authorization: `Bearer ${runtime.runtimeKey}`, 'mcp-session-id': 'session-to-end' },
  });
  const termination = (await pollDeclaring(true)).commands[0]!;
  assert.equal(termination.command_type, 'session_termination');
  await respond(t.url, runtime, termination, { resp_type: 'session_termination_response', resp_code: 204 });
  assert.equal((await ending).status, 204);
  assert.equal(await response.text(), 'retry: 1000\n\n', 'the stream ended, with nothing in it');
  const late = await respond(t.url, runtime, stream, {
    resp_type: 'jsonrpc_notify',
    resp_code: 200,
    resp_json: { jsonrpc: '2.0', method: 'notifications/tools/list_changed' },
  });
  assert.equal(late.status, 404, 'the tunnel-client learns the stream is gone');
});
