// Protocol extension `command-stream` on the real tunnel-service: the WebSocket route's refusals, credits,
// acks, bad frames, presence and the end of the stream when its key may no longer use the tunnel, spoken
// by a scripted client (test/support/command-stream.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { keyWith, type Runtime } from '../../../test/support/management-api.ts';
import { postJsonRpc } from '../../../test/support/mcp-callers.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { poll, waitOnline, type Loose } from '../../../test/support/scripted-tunnel-client.ts';
import { openStream, upgradeAnswer } from '../../../test/support/command-stream.ts';
import { startServiceWithTunnel, type TestService } from './support/service.ts';

let t: TestService;
let runtime: Runtime;

before(async () => {
  ({ t, runtime } = await startServiceWithTunnel());
});
after(() => t?.stop());

const call = (id: string | number, tunnelId = runtime.tunnelId, service = t) =>
  postJsonRpc(
    new URL(`/v1/mcp/${tunnelId}`, service.url),
    service.ownerKey,
    { jsonrpc: '2.0', id, method: 'ping' },
    { accept: 'application/json' },
  );

const commandsFrame = (frame: Loose) => frame.type === 'commands';
const answer = (command: Loose) => ({
  request_id: command.request_id,
  resp_type: 'jsonrpc_response',
  resp_code: 200,
  resp_json: { jsonrpc: '2.0', id: command.jsonrpc.id, result: {} },
});

const clients = async () =>
  (await t.ok<{ online: boolean; clients: Loose[] }>('GET', `/v1/tunnels/${runtime.tunnelId}`, t.ownerKey))
    .clients;

describe('command stream', { timeout: 60_000 }, () => {
  test('the upgrade is refused as a poll would be, with the same JSON errors', async () => {
    const readOnly = await keyWith(t, ['tunnel.read']);
    const cases: [string | undefined, Runtime, string, number][] = [
      [undefined, runtime, '', 401],
      ['sk-not-a-key', runtime, '', 401],
      [readOnly, runtime, '', 403],
      [runtime.runtimeKey, { ...runtime, tunnelId: 'tunnel_xyz' }, '', 400],
      [runtime.runtimeKey, { ...runtime, tunnelId: `tunnel_${'0'.repeat(32)}` }, '', 404],
      [runtime.runtimeKey, runtime, 'channel=Bad!', 400],
    ];
    for (const [key, target, query, status] of cases) {
      const refused = await upgradeAnswer(t.url, target, key, query);
      const polled = await poll(t.url, { ...target, runtimeKey: key ?? '' }, `timeout_ms=1&${query}`, {
        headers: key ? {} : { authorization: '' },
      });
      assert.equal(refused.status, status, JSON.stringify(refused.body));
      assert.deepEqual([refused.status, refused.body], [polled.status, polled.body]);
    }
    assert.equal((await upgradeAnswer(t.url, runtime, runtime.runtimeKey)).status, 101);
    const plain = await t.call('GET', `/v1/tunnels/${runtime.tunnelId}/stream`, runtime.runtimeKey);
    assert.equal(plain.status, 400);
    assert.equal(plain.body.error.code, 'websocket_upgrade_required');
    assert.match(plain.body.error.message, /Upgrade: websocket/);
  });

  test('an open stream is a polling client: online and listed with its headers; closed, it is gone', async () => {
    const stream = await openStream(t.url, runtime, { headers: { 'x-tunnel-client-instance-id': 'listed' } });
    await waitOnline(t, runtime);
    const listed = (await clients()).find((c) => c.instance_id === 'listed');
    assert.equal(listed?.name, 'scripted-client');
    assert.deepEqual(listed?.server_info, { version: 1, channels: [{ name: 'main', proc_affinity: true }] });
    stream.close();
    await stream.closed;
    // A stream that closes is a dropped poll: gone after the grace unless it polls again.
    await eventually(
      async () => !(await clients()).some((c) => c.instance_id === 'listed'),
      10_000,
      'the client to be gone',
    );
    assert.equal((await call('offline')).status, 503);
  });

  test('commands go out only against credits; what is beyond them stays for other clients', async () => {
    const stream = await openStream(t.url, runtime);
    await waitOnline(t, runtime);
    const first = call('first');
    const second = call('second');
    stream.credit(1);
    const frame = await stream.next(commandsFrame);
    assert.equal(frame.commands.length, 1);
    const [command] = frame.commands;
    assert.equal(command.command_type, 'jsonrpc');
    assert.match(command.response_timeout, /^\d+ms$/);
    // The stream has no credit left: a poll takes the other command.
    const polled = await poll(t.url, runtime, 'limit=5&timeout_ms=5000', {
      headers: { 'x-tunnel-client-instance-id': 'poller' },
    });
    assert.equal(polled.status, 200);
    assert.equal(polled.body.commands.length, 1);
    assert.notEqual(polled.body.commands[0].request_id, command.request_id);
    assert.deepEqual(await stream.respond(command, answer(command)), {
      type: 'ack',
      id: 0,
      status: 200,
      body: { status: 'ok' },
    });
    const answered = await (command.jsonrpc.id === 'first' ? first : second);
    assert.equal(answered.status, 200);
    stream.close();
    await stream.closed;
  });

  test("acks carry the response POST's refusals; a bad frame is answered and the stream goes on", async () => {
    const stream = await openStream(t.url, runtime);
    await waitOnline(t, runtime);
    const caller = call(7);
    stream.send('not json');
    const notJson = await stream.next((frame) => frame.type === 'error');
    assert.equal(notJson.error.code, 'invalid_frame');
    assert.match(notJson.error.message, /JSON/);
    stream.send({ type: 'credit', credits: 0 });
    const noCredits = await stream.next((frame) => frame.type === 'error');
    assert.equal(noCredits.error.code, 'invalid_frame');
    assert.match(noCredits.error.message, /credits/);
    // The command queued meanwhile was not lost.
    stream.credit(2);
    const [command] = (await stream.next(commandsFrame)).commands;
    assert.equal(command.jsonrpc.id, 7);

    const invalid = await stream.respond(command, { ...answer(command), resp_code: 'x' });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.code, 'invalid_request');
    assert.match(invalid.body.error.message, /resp_code/);
    const last = command.shard_token.at(-1) === 'a' ? 'b' : 'a';
    const forged = await stream.respond(
      { shard_token: command.shard_token.slice(0, -1) + last },
      answer(command),
    );
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, 'tunnel_request_mismatch');
    assert.equal((await stream.respond(command, answer(command))).status, 200);
    const again = await stream.respond(command, answer(command));
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'pending_request_not_found');
    assert.deepEqual(await (await caller).json(), { jsonrpc: '2.0', id: 7, result: {} });
    stream.close();
    await stream.closed;
  });

  test('a revoked key ends its stream at once with 4401, and the call its client held fails', async () => {
    const created = await t.ok<{ api_key: { id: string; secret: string } }>(
      'POST',
      '/v1/service_accounts',
      t.ownerKey,
      { name: `runtime ${randomUUID()}`, role_ids: [await roleWith(t, ['tunnel.read', 'tunnel.use'])] },
    );
    const own = { ...runtime, runtimeKey: created.api_key.secret };
    const stream = await openStream(t.url, own, { headers: { 'x-tunnel-client-instance-id': 'revoked' } });
    await waitOnline(t, runtime);
    const held = call('held');
    stream.credit(1);
    await stream.next(commandsFrame);
    await t.ok('DELETE', `/v1/api_keys/${created.api_key.id}`, t.ownerKey);
    const closed = await stream.closed;
    assert.equal(closed.code, 4401);
    assert.match(closed.reason, /^invalid_api_key: .*revoked/);
    assert.equal((await held).status, 502);
  });
});

async function roleWith(service: TestService, permissions: string[]): Promise<string> {
  const role = await service.ok<{ id: string }>('POST', '/v1/roles', service.ownerKey, {
    name: `role ${randomUUID()}`,
    permissions,
  });
  return role.id;
}

describe('command stream re-authentication', { timeout: 60_000 }, () => {
  let short: TestService;
  let shortRuntime: Runtime;
  // Streams re-check their key every poll wait: a short one keeps the test short.
  before(async () => {
    ({ t: short, runtime: shortRuntime } = await startServiceWithTunnel({ maxPollWaitMs: 1000 }));
  });
  after(() => short?.stop());

  test('a key that lost Tunnels Use has its stream ended with 4403 within a poll wait', async () => {
    const roleId = await roleWith(short, ['tunnel.read', 'tunnel.use']);
    const created = await short.ok<{ api_key: { secret: string } }>(
      'POST',
      '/v1/service_accounts',
      short.ownerKey,
      { name: `runtime ${randomUUID()}`, role_ids: [roleId] },
    );
    const stream = await openStream(short.url, { ...shortRuntime, runtimeKey: created.api_key.secret });
    await short.ok('POST', `/v1/roles/${roleId}`, short.ownerKey, { permissions: ['tunnel.read'] });
    const closed = await stream.closed;
    assert.equal(closed.code, 4403);
    assert.match(closed.reason, /^tunnel_use_forbidden: /);
  });
});
