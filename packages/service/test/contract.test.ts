// What the service puts on the wire validates against the public contract (../shared/contract/openapi.json).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_MISSING_NOTICE, loadContract, type Contract } from '../../../test/support/contract.ts';
import { keyWith, type Runtime } from '../../../test/support/management-api.ts';
import {
  CLIENT_HEADERS,
  poll,
  respond,
  waitOnline,
  type WireCommand,
} from '../../../test/support/scripted-tunnel-client.ts';
import { startServiceWithTunnel, type TestService } from './support/service.ts';

const contract = loadContract();
if (!contract) console.log(CONTRACT_MISSING_NOTICE);

let t: TestService;
let runtime: Runtime;

before(async () => {
  if (!contract) return;
  ({ t, runtime } = await startServiceWithTunnel());
});
after(() => t?.stop());

function assertValid(c: Contract, schema: string, value: unknown): void {
  assert.deepEqual(c.validate(schema, value), [], `${schema}: ${JSON.stringify(value)}`);
}

/** The error body validates and, where the contract lists codes for this status, uses one of them. */
function assertContractError(c: Contract, path: string, method: string, status: number, body: unknown): void {
  assertValid(c, 'APIErrorResponse', body);
  const response = c.document.paths[path]?.[method]?.responses[String(status)] as
    { 'x-tunnel-error-codes'?: string[] } | undefined;
  const codes = response?.['x-tunnel-error-codes'];
  if (codes)
    assert.ok(
      codes.includes((body as { error: { code: string } }).error.code),
      `${status} ${JSON.stringify(body)}`,
    );
}

describe('the wire contract', { timeout: 30_000, skip: contract ? false : CONTRACT_MISSING_NOTICE }, () => {
  test('poll bodies, acks and metadata validate', async () => {
    const c = contract!;
    const polled = poll(t.url, runtime, 'limit=5&timeout_ms=3000');
    await waitOnline(t, runtime);
    const connector = new URL(`/v1/mcp/${runtime.tunnelId}`, t.url);
    const headers = { authorization: `Bearer ${t.ownerKey}`, 'content-type': 'application/json' };
    const call = fetch(connector, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    const end = fetch(connector, {
      method: 'DELETE',
      headers: { ...headers, 'mcp-session-id': 'upstream-session' },
    });
    await new Promise((r) => setTimeout(r, 50));
    let body = (await polled).body as { commands: WireCommand[] };
    if (body.commands.length < 2)
      body = { commands: [...body.commands, ...(await poll(t.url, runtime)).body.commands] };
    assertValid(c, 'PolledCommandList', body);
    assert.deepEqual(body.commands.map((command) => command.command_type).sort(), [
      'jsonrpc',
      'session_termination',
    ]);
    for (const command of body.commands) {
      const payload =
        command.command_type === 'jsonrpc'
          ? {
              resp_type: 'jsonrpc_response',
              resp_code: 200,
              resp_json: { jsonrpc: '2.0', id: 1, result: { tools: [] } },
            }
          : { resp_type: 'session_termination_response', resp_code: 204 };
      assertValid(c, 'TunnelResponsePayload', {
        request_id: command.request_id,
        channel: 'main',
        ...payload,
      });
      const ack = await respond(t.url, runtime, command, payload);
      assert.equal(ack.status, 200);
      assertValid(c, 'TunnelResponseAck', ack.body);
    }
    assert.equal((await call).status, 200);
    assert.equal((await end).status, 204);

    const metadata = await fetch(new URL(`/v1/tunnels/${runtime.tunnelId}`, t.url), {
      headers: { authorization: `Bearer ${runtime.runtimeKey}`, ...CLIENT_HEADERS },
    });
    assert.equal(metadata.status, 200);
    assertValid(c, 'TunnelClientMetadata', await metadata.json());
  });

  test('error bodies validate and use the contract codes', async () => {
    const c = contract!;
    const pollPath = '/v1/tunnels/{tunnel_id}/poll';
    const responsePath = '/v1/tunnels/{tunnel_id}/response';

    const malformed = await fetch(new URL('/v1/tunnels/tunnel_1/poll', t.url), {
      headers: { authorization: `Bearer ${runtime.runtimeKey}` },
    });
    assert.equal(malformed.status, 400);
    assertContractError(c, pollPath, 'get', 400, await malformed.json());

    const readOnly = await keyWith(t, ['tunnel.read']);
    const forbidden = await poll(t.url, { ...runtime, runtimeKey: readOnly }, 'timeout_ms=1');
    assert.equal(forbidden.status, 403);
    assertContractError(c, '/v1/tunnels/{tunnel_id}', 'get', 403, forbidden.body);

    const unknownKey = await poll(t.url, { ...runtime, runtimeKey: 'mcpt_unknown' });
    assert.equal(unknownKey.status, 401);
    assertValid(c, 'APIErrorResponse', unknownKey.body);

    const mismatch = await respond(
      t.url,
      runtime,
      { request_id: 'req_x', shard_token: 'node.00' },
      { resp_code: 200 },
    );
    assert.equal(mismatch.status, 401);
    assertContractError(c, responsePath, 'post', 401, mismatch.body);

    const polled = poll(t.url, runtime, 'limit=1&timeout_ms=3000');
    await waitOnline(t, runtime);
    const caller = fetch(new URL(`/v1/mcp/${runtime.tunnelId}`, t.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${t.ownerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    });
    const command = (await polled).body.commands[0] as WireCommand;
    const answer = { resp_code: 200, resp_json: { jsonrpc: '2.0', id: 2, result: {} } };
    assert.equal((await respond(t.url, runtime, command, answer)).status, 200);
    await caller;
    const late = await respond(t.url, runtime, command, answer);
    assert.equal(late.status, 404);
    assertContractError(c, responsePath, 'post', 404, late.body);

    const badChannel = await respond(t.url, runtime, command, { ...answer, channel: 'NOPE' });
    assert.equal(badChannel.status, 400);
    assertContractError(c, responsePath, 'post', 400, badChannel.body);
  });
});
