// A tunnel-client's key revoked, or its Tunnels Use taken away, while it long-polls: it is handed no more
// work, its open polls end with a clear refusal, and callers get a prompt answer (or another client's),
// never the deadline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { postJsonRpc } from '../../../test/support/mcp-callers.ts';
import { eventually } from '../../../test/support/eventually.ts';
import type { Runtime } from '../../../test/support/management-api.ts';
import { poll, respond, waitOnline, type WireCommand } from '../../../test/support/scripted-tunnel-client.ts';
import { startTestService, type TestService } from './support/service.ts';

let t: TestService;
let tunnelId: string;

before(async () => {
  t = await startTestService();
  ({ id: tunnelId } = await t.ok<{ id: string }>('POST', '/v1/tunnels', t.ownerKey, { name: 'revocation' }));
});
after(() => t?.stop());

/** A service account with its own role (Tunnels Read + Use) and key, as a tunnel-client's runtime key. */
async function account(): Promise<{ runtime: Runtime; keyId: string; roleId: string }> {
  const role = await t.ok<{ id: string }>('POST', '/v1/roles', t.ownerKey, {
    name: `runtime ${randomUUID()}`,
    permissions: ['tunnel.read', 'tunnel.use'],
  });
  const created = await t.ok<{ api_key: { id: string; secret: string } }>(
    'POST',
    '/v1/service_accounts',
    t.ownerKey,
    { name: `tunnel-client ${randomUUID()}`, role_ids: [role.id] },
  );
  return {
    runtime: { tunnelId, runtimeKey: created.api_key.secret },
    keyId: created.api_key.id,
    roleId: role.id,
  };
}

const asInstance = (id: string) => ({ headers: { 'x-tunnel-client-instance-id': id } });

const callConnector = (id: string) =>
  postJsonRpc(
    new URL(`/v1/mcp/${tunnelId}`, t.url),
    t.ownerKey,
    { jsonrpc: '2.0', id, method: 'ping' },
    { accept: 'application/json' },
  );

const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { message: string } }).error.message;

const clientsPolling = async () =>
  (
    await t.ok<{ clients: { instance_id: string }[] }>('GET', `/v1/tunnels/${tunnelId}`, t.ownerKey)
  ).clients.map((c) => c.instance_id);

describe('a key that may no longer poll', { timeout: 30_000 }, () => {
  test('revoked: its open poll ends with 401, and the call its client held fails at once', async () => {
    const { runtime, keyId } = await account();
    const taking = poll(t.url, runtime, 'limit=1&timeout_ms=5000', asInstance('revoked-1'));
    await waitOnline(t, runtime);
    const held = callConnector('held');
    assert.equal((await taking).status, 200);
    const open = poll(t.url, runtime, 'timeout_ms=20000', asInstance('revoked-1'));
    await eventually(async () => (await clientsPolling()).includes('revoked-1'), 5000, 'the open poll');

    const revokedAt = performance.now();
    await t.ok('DELETE', `/v1/api_keys/${keyId}`, t.ownerKey);
    const ended = await open;
    assert.equal(ended.status, 401, JSON.stringify(ended.body));
    assert.match(ended.body.error.message, /revoked/);
    assert.ok(performance.now() - revokedAt < 5000, 'the poll ended at the revocation, not after its wait');

    const heldAnswer = await held;
    assert.equal(heldAnswer.status, 502);
    assert.match(await errorOf(heldAnswer), /lost its access/);
    assert.ok(performance.now() - revokedAt < 5000, 'the held call failed at the revocation');
    assert.deepEqual(await clientsPolling(), [], 'the console shows it gone');
    const late = await callConnector('late');
    assert.equal(late.status, 503, 'no client left: offline');
  });

  test("lost Tunnels Use while polling: the poll is refused and the command goes to another client's poll", async () => {
    const first = await account();
    const second = await account();
    const refused = poll(t.url, first.runtime, 'limit=1&timeout_ms=20000', asInstance('lost-use'));
    await eventually(async () => (await clientsPolling()).includes('lost-use'), 5000, 'the first poll');
    // A role change reaches no open poll by itself: the key is checked again when work is handed out.
    await t.ok('POST', `/v1/roles/${first.roleId}`, t.ownerKey, { permissions: ['tunnel.read'] });
    const served = poll(t.url, second.runtime, 'limit=1&timeout_ms=20000', asInstance('valid'));
    await eventually(async () => (await clientsPolling()).includes('valid'), 5000, 'the second poll');

    const caller = callConnector('moved');
    const refusal = await refused;
    assert.equal(refusal.status, 403, JSON.stringify(refusal.body));
    assert.match(refusal.body.error.message, /Tunnels Use/);
    const answer = await served;
    assert.equal(answer.status, 200);
    const command = answer.body.commands[0] as WireCommand;
    assert.equal(command.jsonrpc?.id, 'moved');
    const posted = await respond(t.url, second.runtime, command, {
      resp_code: 200,
      resp_json: { jsonrpc: '2.0', id: 'moved', result: {} },
    });
    assert.equal(posted.status, 200);
    assert.equal((await caller).status, 200);
    assert.deepEqual(await clientsPolling(), ['valid']);
  });
});
