import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_MISSING_NOTICE, loadContract } from '../../../test/support/contract.ts';
import {
  apiError,
  buildServerInfo,
  parsePolledCommand,
  PolledCommandListSchema,
  synthesizedFailure,
  TunnelResponsePayloadSchema,
  type TunnelResponsePayload,
} from '../src/index.ts';

const contract = loadContract();
if (!contract) console.log(CONTRACT_MISSING_NOTICE);
const skip = contract ? false : CONTRACT_MISSING_NOTICE;

test('the poll envelope fixture parses, both command types included', { skip }, () => {
  const envelope = PolledCommandListSchema.parse(contract!.fixtures['poll_command_envelope.json']);
  const parsed = envelope.commands.map(parsePolledCommand);
  assert.equal(parsed.length, 2);
  const [rpc, end] = parsed;
  assert.ok(rpc?.ok && end?.ok);
  assert.equal(rpc.command.command_type, 'jsonrpc');
  assert.equal(rpc.command.channel, 'harpoon');
  assert.deepEqual(rpc.command.headers, { 'x-test': ['alpha'] });
  assert.equal(end.command.command_type, 'session_termination');
});

test('the jsonrpc_notify response fixture parses and round-trips', { skip }, () => {
  const fixture = contract!.fixtures['jsonrpc_notify_response.json'];
  const payload = TunnelResponsePayloadSchema.parse(fixture);
  assert.equal(payload.resp_type, 'jsonrpc_notify');
  assert.deepEqual(contract!.validate('TunnelResponsePayload', payload), []);
});

test('response payloads we produce validate against the contract', { skip }, () => {
  const payloads: TunnelResponsePayload[] = [
    {
      request_id: 'req_1',
      channel: 'main',
      resp_json: { jsonrpc: '2.0', id: 1, result: { content: [] } },
      resp_headers: { 'Content-Type': ['application/json'] },
      resp_code: 200,
      resp_type: 'jsonrpc_response',
    },
    { request_id: 'req_2', channel: 'main', resp_code: 202, resp_type: 'notify_ack' },
    { request_id: 'req_3', channel: 'main', resp_code: 204, resp_type: 'session_termination_response' },
    {
      request_id: 'req_4',
      channel: 'main',
      resp_json: synthesizedFailure(7, { source: 'connect', kind: 'connection_refused' }),
      resp_code: 502,
      resp_type: 'jsonrpc_response',
    },
  ];
  for (const payload of payloads) {
    assert.deepEqual(TunnelResponsePayloadSchema.parse(payload), payload);
    assert.deepEqual(contract!.validate('TunnelResponsePayload', payload), [], JSON.stringify(payload));
  }
});

test('every synthesized tunnel_failure validates against the published provenance schema', { skip }, () => {
  const inputs = [
    { source: 'target_http', upstreamStatus: 503 },
    { source: 'target_http', upstreamStatus: 404 },
    { source: 'dns', kind: 'dns' },
    { source: 'tls', kind: 'tls' },
    { source: 'connect', kind: 'connection_refused' },
    { source: 'transport_closed', kind: 'eof' },
    { source: 'timeout', kind: 'timeout' },
    { source: 'protocol', kind: 'malformed_json', responseReceived: true },
    { source: 'client_internal' },
  ] as const;
  for (const input of inputs) {
    const message = synthesizedFailure('x', input) as unknown as {
      error: { code: number; data: { tunnel_failure: unknown } };
    };
    assert.equal(message.error.code, -32603);
    assert.deepEqual(
      contract!.validateTunnelFailure(message.error.data.tunnel_failure),
      [],
      JSON.stringify(input),
    );
  }
});

test('error bodies we produce validate as APIErrorResponse', { skip }, () => {
  const body = apiError('invalid_request_error', 'invalid_tunnel_id_format', 'bad id', 'tunnel_id');
  assert.deepEqual(contract!.validate('APIErrorResponse', body), []);
});

test('the server-info header fits the contract limits', { skip }, () => {
  const built = buildServerInfo([
    { name: 'main', procAffinity: true },
    { name: 'harpoon', procAffinity: false },
  ]);
  assert.ok(built.ok);
  assert.equal(
    built.header,
    '{"version":1,"channels":[{"name":"main","proc_affinity":true},{"name":"harpoon"}]}',
  );
  const param = contract!.document.paths['/v1/tunnels/{tunnel_id}/poll']?.get?.parameters?.find(
    (p) => p.name === 'X-Tunnel-MCP-Server-Info',
  );
  assert.ok(built.header.length <= Number(param?.schema?.maxLength));
});
