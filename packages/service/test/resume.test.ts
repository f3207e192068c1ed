// Resumability: SSE events carry ids `<stream>:<n>`, the service buffers them per session, and a caller
// whose stream was cut reconnects with GET + Last-Event-ID to get what it missed and the rest. A raw
// poller plays the tunnel-client so the test decides exactly when each message arrives.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Runtime } from '../../../test/support/management-api.ts';
import { poll, respond, type WireCommand } from '../../../test/support/scripted-tunnel-client.ts';
import { firstEventId, sseMessages } from '../../../test/support/sse.ts';
import { startServiceWithTunnel, type TestService } from './support/service.ts';

let t: TestService;
let runtime: Runtime;
let connector: URL;

before(async () => {
  ({ t, runtime } = await startServiceWithTunnel({ eventBufferEvents: 4 }));
  connector = new URL(`/v1/mcp/${runtime.tunnelId}`, t.url);
  await poll(t.url, runtime, 'timeout_ms=1'); // the tunnel is online from here on
});
after(() => t?.stop());

const SESSION = 'resume-session-1';
const headers = (extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${runtime.runtimeKey}`,
  'mcp-session-id': SESSION,
  ...extra,
});
const progress = (n: number) => ({
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progress: n },
});

/** POSTs a tools/call asking for SSE and returns the command the tunnel-client receives for it. */
async function startCall(id: string, signal: AbortSignal) {
  const response = fetch(connector, {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' }),
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow' } }),
    signal,
  });
  const { body } = await poll(t.url, runtime);
  const command = (body.commands as WireCommand[])[0]!;
  const send = (message: unknown, final = false) =>
    respond(t.url, runtime, command, {
      resp_type: final ? 'jsonrpc_response' : 'jsonrpc_notify',
      resp_code: 200,
      resp_json: message,
    });
  return { response, send };
}

const resumeGet = (lastEventId: string) =>
  fetch(connector, { headers: headers({ accept: 'text/event-stream', 'last-event-id': lastEventId }) });

test(
  'a stream cut mid-call is resumed with Last-Event-ID: the missed events, then the answer',
  { timeout: 20_000 },
  async () => {
    const cut = new AbortController();
    const call = await startCall('r1', cut.signal);
    await call.send(progress(1));
    const lastSeen = await firstEventId(await call.response);
    assert.match(lastSeen, /^req_[0-9a-f]+:1$/);
    cut.abort();
    await new Promise((resolve) => setTimeout(resolve, 100));

    // The request goes on while the caller is away; what it sends is buffered.
    assert.equal((await call.send(progress(2))).status, 200);
    assert.equal((await call.send({ jsonrpc: '2.0', id: 'r1', result: { done: true } }, true)).status, 200);

    const resumed = await resumeGet(lastSeen);
    assert.equal(resumed.status, 200);
    assert.deepEqual(sseMessages(await resumed.text()), [
      progress(2),
      { jsonrpc: '2.0', id: 'r1', result: { done: true } },
    ]);
  },
);

test('a caller that comes back while the call runs gets the rest live', { timeout: 20_000 }, async () => {
  const cut = new AbortController();
  const call = await startCall('r2', cut.signal);
  await call.send(progress(1));
  const lastSeen = await firstEventId(await call.response);
  cut.abort();
  await new Promise((resolve) => setTimeout(resolve, 100));
  await call.send(progress(2));

  const resumed = await resumeGet(lastSeen);
  assert.equal(resumed.status, 200);
  await call.send(progress(3));
  await call.send({ jsonrpc: '2.0', id: 'r2', result: { done: true } }, true);
  assert.deepEqual(sseMessages(await resumed.text()), [
    progress(2),
    progress(3),
    { jsonrpc: '2.0', id: 'r2', result: { done: true } },
  ]);
});

test('beyond the buffer: 404 with a JSON-RPC error naming the limits', { timeout: 20_000 }, async () => {
  const cut = new AbortController();
  const call = await startCall('r3', cut.signal);
  await call.send(progress(1));
  const lastSeen = await firstEventId(await call.response);
  cut.abort();
  await new Promise((resolve) => setTimeout(resolve, 100));
  // The buffer keeps 4 events per session: these push out the ones after the caller's last.
  for (const n of [2, 3, 4, 5, 6]) await call.send(progress(n));

  const resumed = await resumeGet(lastSeen);
  assert.equal(resumed.status, 404);
  const body = (await resumed.json()) as { error: { code: number; message: string } };
  assert.equal(body.error.code, -32000);
  assert.match(body.error.message, /no longer buffered.*last 4 events.*--event-buffer-events/);

  const unknown = await resumeGet('req_0123:1');
  assert.equal(unknown.status, 404);
  await call.send({ jsonrpc: '2.0', id: 'r3', result: {} }, true);
});

test('events of another session are not replayed', { timeout: 20_000 }, async () => {
  const cut = new AbortController();
  const call = await startCall('r4', cut.signal);
  await call.send(progress(1));
  const lastSeen = await firstEventId(await call.response);
  cut.abort();
  await call.send({ jsonrpc: '2.0', id: 'r4', result: {} }, true);
  const stranger = await fetch(connector, {
    headers: {
      ...headers({ accept: 'text/event-stream', 'last-event-id': lastSeen }),
      'mcp-session-id': 'other',
    },
  });
  assert.equal(stranger.status, 404);
});
