import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { USE_PROBE_REQUEST_PREFIX } from '@mcp-tunnel/protocol';
import { createRuntime, keyWith, type Runtime } from '../../../test/support/management-api.ts';
import { postJsonRpc } from '../../../test/support/mcp-callers.ts';
import {
  CLIENT_HEADERS,
  poll,
  respond,
  waitOnline,
  type WireCommand,
} from '../../../test/support/scripted-tunnel-client.ts';
import { startServiceWithTunnel, type TestService } from './support/service.ts';

let t: TestService;
let runtime: Runtime;

before(async () => {
  ({ t, runtime } = await startServiceWithTunnel());
});
after(() => t?.stop());

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} };

const callConnector = (body: unknown, key = t.ownerKey, tunnelId = runtime.tunnelId) =>
  postJsonRpc(new URL(`/v1/mcp/${tunnelId}`, t.url), key, body, { accept: 'application/json' });

/** Opens a poll, waits until the service counts it, then makes a connector call that becomes its command. */
async function commandFor(body: unknown, query = 'limit=1&timeout_ms=5000') {
  const polled = poll(t.url, runtime, query);
  await waitOnline(t, runtime);
  const caller = callConnector(body);
  const answer = await polled;
  assert.equal(answer.status, 200);
  return { command: answer.body.commands[0] as WireCommand, caller };
}

describe('tunnel API', { timeout: 30_000 }, () => {
  test('a poll with nothing to do answers 204 after timeout_ms', async () => {
    const started = performance.now();
    const answer = await poll(t.url, runtime, 'timeout_ms=300');
    const elapsed = performance.now() - started;
    assert.equal(answer.status, 204);
    assert.ok(elapsed >= 280 && elapsed < 2000, `took ${elapsed} ms`);
  });

  test('a poll records the client: instance, name, version, server info and last poll time', async () => {
    await poll(t.url, runtime, 'timeout_ms=1');
    const tunnel = await t.ok<{ online: boolean; clients: Record<string, unknown>[] }>(
      'GET',
      `/v1/tunnels/${runtime.tunnelId}`,
      runtime.runtimeKey,
    );
    assert.equal(tunnel.online, true);
    const client = tunnel.clients.find((c) => c.instance_id === 'instance-1')!;
    assert.equal(client.name, 'scripted-client');
    assert.equal(client.version, '0.0.1');
    assert.deepEqual(client.server_info, { version: 1, channels: [{ name: 'main', proc_affinity: true }] });
    assert.ok(!Number.isNaN(Date.parse(client.last_poll_at as string)));
  });

  test('poll parameters are checked', async () => {
    for (const query of ['limit=0', 'limit=26', 'limit=x', 'timeout_ms=0', 'timeout_ms=-5', 'channel=Bad!']) {
      const answer = await poll(t.url, runtime, query);
      assert.equal(answer.status, 400, query);
      assert.ok(answer.body.error.message.length > 20);
    }
    const malformed = await fetch(new URL('/v1/tunnels/tunnel_xyz/poll', t.url), {
      headers: { authorization: `Bearer ${runtime.runtimeKey}` },
    });
    assert.equal(malformed.status, 400);
    assert.equal(
      ((await malformed.json()) as { error: { code: string } }).error.code,
      'invalid_tunnel_id_format',
    );
  });

  test('a key without Tunnels Use gets 403 tunnel_use_forbidden on poll and response', async () => {
    const readOnly = await keyWith(t, ['tunnel.read']);
    const refused = await poll(t.url, { ...runtime, runtimeKey: readOnly }, 'timeout_ms=1');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'tunnel_use_forbidden');
    assert.match(refused.body.error.message, /Tunnels Use/);
    const answer = await respond(
      t.url,
      { ...runtime, runtimeKey: readOnly },
      { request_id: 'r', shard_token: 's' },
      {
        resp_code: 200,
      },
    );
    assert.equal(answer.status, 403);
  });

  test('a command carries the contract fields and the caller gets the posted answer', async () => {
    const { command, caller } = await commandFor(INIT);
    assert.equal(command.command_type, 'jsonrpc');
    assert.equal(command.channel, 'main');
    assert.match(command.response_timeout, /^\d+ms$/);
    assert.ok(Number(command.response_timeout.slice(0, -2)) > 55_000);
    assert.ok(!Number.isNaN(Date.parse(command.created_at)));
    assert.deepEqual(command.jsonrpc, INIT);
    assert.equal(command.headers.Authorization, undefined);
    assert.deepEqual(command.headers.Accept, ['application/json']);
    const ok = await respond(t.url, runtime, command, {
      resp_type: 'jsonrpc_response',
      resp_code: 200,
      resp_json: { jsonrpc: '2.0', id: 1, result: { protocolVersion: '2025-06-18' } },
    });
    assert.deepEqual(ok, { status: 200, body: { status: 'ok' } });
    const answered = await caller;
    assert.equal(answered.status, 200);
    assert.deepEqual(await answered.json(), {
      jsonrpc: '2.0',
      id: 1,
      result: { protocolVersion: '2025-06-18' },
    });
  });

  test('wrong, missing or cross-tunnel shard tokens are refused; a finished request is 404', async () => {
    const other = await t.ok<{ id: string }>('POST', '/v1/tunnels', t.ownerKey, { name: 'other' });
    const { command, caller } = await commandFor({ jsonrpc: '2.0', id: 7, method: 'ping' });
    const answer = {
      resp_type: 'jsonrpc_response',
      resp_code: 200,
      resp_json: { jsonrpc: '2.0', id: 7, result: {} },
    };
    const last = command.shard_token.at(-1) === 'a' ? 'b' : 'a';
    const forged = await respond(
      t.url,
      runtime,
      { ...command, shard_token: command.shard_token.slice(0, -1) + last },
      answer,
    );
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, 'tunnel_request_mismatch');
    const missing = await respond(t.url, runtime, { ...command, shard_token: '' }, answer);
    assert.equal(missing.status, 401);
    const crossTunnel = await respond(t.url, { ...runtime, tunnelId: other.id }, command, answer);
    assert.equal(crossTunnel.status, 401);
    assert.equal((await respond(t.url, runtime, command, answer)).status, 200);
    assert.equal((await caller).status, 200);
    const late = await respond(t.url, runtime, command, answer);
    assert.equal(late.status, 404);
    assert.equal(late.body.error.code, 'pending_request_not_found');
  });

  test("doctor's Use probe is answered as an unknown request and audited as a check, not a refusal", async () => {
    const probe = { request_id: `${USE_PROBE_REQUEST_PREFIX}${randomUUID()}`, shard_token: 'doctor-probe' };
    const notify = { resp_code: 202, resp_type: 'notify_ack' };
    const audited = async (requestKey: string, action: string) => {
      const me = await t.ok<{ owner: { id: string } }>('GET', '/v1/me', requestKey);
      const entries = await t.ok<{ data: { action: string; outcome: string; reason: string | null }[] }>(
        'GET',
        `/v1/audit?actor=${me.owner.id}&action=${action}`,
        t.ownerKey,
      );
      return entries.data.map((entry) => [entry.action, entry.outcome, entry.reason ?? null]);
    };

    // A runtime of its own, so that its actor has no other entries.
    const probing = await createRuntime(t, { tunnelName: 'probed' });
    const probed = await respond(t.url, probing, probe, notify);
    assert.equal(probed.status, 404);
    assert.equal(probed.body.error.code, 'pending_request_not_found');
    assert.match(
      probed.body.error.message,
      /Tunnels Use probe \(tunnel-client doctor\): the key holds Tunnels Use/,
    );
    assert.deepEqual(await audited(probing.runtimeKey, 'tunnel.use_check'), [
      ['tunnel.use_check', 'allowed', null],
    ]);
    assert.deepEqual(await audited(probing.runtimeKey, 'tunnel.respond'), []);

    // Without Use the probe is refused like any response, and audited as the refusal it is.
    const readOnly = await keyWith(t, ['tunnel.read']);
    const before = await audited(readOnly, 'tunnel.respond');
    const refused = await respond(t.url, { ...probing, runtimeKey: readOnly }, probe, notify);
    assert.equal(refused.status, 403);
    const after = await audited(readOnly, 'tunnel.respond');
    assert.equal(after.length, before.length + 1);
    assert.deepEqual(after[0], ['tunnel.respond', 'refused', 'tunnel_use_forbidden']);
  });

  test('invalid response payloads get a 400 naming the field', async () => {
    const { command, caller } = await commandFor({ jsonrpc: '2.0', id: 8, method: 'ping' });
    const badType = await respond(t.url, runtime, command, { resp_type: 'maybe', resp_code: 200 });
    assert.equal(badType.status, 400);
    assert.match(badType.body.error.message, /resp_type/);
    const noCode = await respond(t.url, runtime, command, { resp_type: 'jsonrpc_response' });
    assert.equal(noCode.status, 400);
    assert.equal(noCode.body.error.param, 'resp_code');
    const badChannel = await respond(t.url, runtime, command, { channel: 'Not OK', resp_code: 200 });
    assert.equal(badChannel.status, 400);
    assert.equal(badChannel.body.error.code, 'invalid_channel_format');
    const malformed = await fetch(new URL(`/v1/tunnels/${runtime.tunnelId}/response`, t.url), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${runtime.runtimeKey}`,
        'content-type': 'application/json',
        'x-tunnel-shard-token': command.shard_token,
      },
      body: '{"request_id": ',
    });
    assert.equal(malformed.status, 400);
    assert.equal(
      ((await malformed.json()) as { error: { code: string } }).error.code,
      'invalid_json_payload',
    );
    await respond(t.url, runtime, command, {
      resp_code: 200,
      resp_json: { jsonrpc: '2.0', id: 8, result: {} },
    });
    await caller;
  });

  test('an oversized response body is refused with 413', async () => {
    const { t: small, runtime: smallRuntime } = await startServiceWithTunnel({ maxBodyBytes: 2048 });
    try {
      const answer = await respond(
        small.url,
        smallRuntime,
        { request_id: 'r', shard_token: 's' },
        {
          resp_code: 200,
          resp_json: { big: 'x'.repeat(4096) },
        },
      );
      assert.equal(answer.status, 413);
      assert.equal(answer.body.error.code, 'request_body_too_large');
    } finally {
      await small.stop();
    }
  });

  test('commands of a poller that hung up go to the next poller', async () => {
    const hangUp = new AbortController();
    const first = poll(t.url, runtime, 'timeout_ms=5000', { signal: hangUp.signal }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    hangUp.abort();
    await first;
    const caller = callConnector({ jsonrpc: '2.0', id: 'kept', method: 'ping' });
    const next = await poll(t.url, runtime, 'timeout_ms=5000');
    assert.equal(next.status, 200);
    const command = next.body.commands[0] as WireCommand;
    assert.equal(command.jsonrpc?.id, 'kept');
    await respond(t.url, runtime, command, {
      resp_code: 200,
      resp_json: { jsonrpc: '2.0', id: 'kept', result: {} },
    });
    assert.equal((await caller).status, 200);
  });

  test('limit bounds a poll and the channel allowlist filters it', async () => {
    const polled = poll(t.url, runtime, 'limit=1&timeout_ms=3000&channel=other');
    await waitOnline(t, runtime);
    const onMain = callConnector({ jsonrpc: '2.0', id: 'm', method: 'ping' });
    await new Promise((r) => setTimeout(r, 100));
    const onOther = fetch(new URL(`/v1/mcp/${runtime.tunnelId}/other`, t.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${t.ownerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'o', method: 'ping' }),
    });
    const answer = await polled;
    assert.equal(answer.status, 200);
    assert.deepEqual(
      answer.body.commands.map((c: WireCommand) => [c.channel, c.jsonrpc?.id]),
      [['other', 'o']],
    );
    const rest = await poll(t.url, runtime, 'limit=5&timeout_ms=1000');
    assert.deepEqual(
      rest.body.commands.map((c: WireCommand) => c.jsonrpc?.id),
      ['m'],
    );
    for (const command of [answer.body.commands[0], rest.body.commands[0]] as WireCommand[])
      await respond(t.url, runtime, command, {
        resp_code: 200,
        resp_json: { jsonrpc: '2.0', id: command.jsonrpc?.id, result: {} },
      });
    assert.equal((await onMain).status, 200);
    assert.equal((await onOther).status, 200);
  });

  test('a client that leaves is gone at once: what it held fails with 502, what it released with 503', async () => {
    const own = await createRuntime(t);
    const connector = new URL(`/v1/mcp/${own.tunnelId}`, t.url);
    const taken: { command: WireCommand; caller: Promise<Response> }[] = [];
    for (const id of ['held', 'released']) {
      const polled = poll(t.url, own, 'limit=1&timeout_ms=5000');
      await waitOnline(t, own);
      const caller = postJsonRpc(
        connector,
        t.ownerKey,
        { jsonrpc: '2.0', id, method: 'ping' },
        {
          accept: 'application/json',
        },
      );
      const answer = await polled;
      assert.equal(answer.status, 200);
      taken.push({ command: answer.body.commands[0] as WireCommand, caller });
    }
    const leave = (body: string) =>
      fetch(new URL(`/v1/tunnels/${own.tunnelId}/leave`, t.url), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${own.runtimeKey}`,
          'content-type': 'application/json',
          ...CLIENT_HEADERS,
        },
        body,
      });
    const refused = await leave('{"released": "req_1"}');
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /released/);

    const left = await leave(JSON.stringify({ released: [taken[1]!.command.request_id] }));
    assert.equal(left.status, 204);
    const tunnel = await t.ok<{ online: boolean }>('GET', `/v1/tunnels/${own.tunnelId}`, own.runtimeKey);
    assert.equal(tunnel.online, false, 'offline at once');
    const [held, released] = await Promise.all(taken.map(({ caller }) => caller));
    assert.equal(held!.status, 502);
    assert.match(
      ((await held!.json()) as { error: { message: string } }).error.message,
      /stopped or was lost/,
    );
    assert.equal(released!.status, 503, 'no other client to take it: the tunnel is offline');
    assert.match(((await released!.json()) as { error: { message: string } }).error.message, /offline/);
  });
});
