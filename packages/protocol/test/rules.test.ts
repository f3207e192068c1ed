import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allowedResponseHeaders,
  buildServerInfo,
  forwardableRequestHeaders,
  isTunnelId,
  jsonRpcKind,
  newTunnelId,
  parsePolledCommand,
  parseResponseTimeout,
  parseServerInfo,
  withoutAuthParam,
  TunnelFailureSchema,
  MAX_TIMER_MS,
  TunnelResponseTimeoutSchema,
} from '../src/index.ts';

test('response_timeout follows the exact grammar and fails open', () => {
  assert.deepEqual(parseResponseTimeout('30s'), { kind: 'deadline', ms: 30_000 });
  assert.deepEqual(parseResponseTimeout('4500ms'), { kind: 'deadline', ms: 4500 });
  assert.deepEqual(parseResponseTimeout('2m'), { kind: 'deadline', ms: 120_000 });
  assert.deepEqual(parseResponseTimeout('1h'), { kind: 'deadline', ms: 3_600_000 });
  assert.deepEqual(parseResponseTimeout('1500000us'), { kind: 'deadline', ms: 1500 });
  assert.deepEqual(parseResponseTimeout('0s'), { kind: 'expired' });
  assert.deepEqual(parseResponseTimeout('0ns'), { kind: 'expired' });
  for (const bad of [
    undefined,
    null,
    '',
    '30',
    's',
    '1.5s',
    '-1s',
    '30S',
    ' 30s',
    '30s ',
    '1m30s',
    30,
    '30 s',
  ])
    assert.deepEqual(parseResponseTimeout(bad), { kind: 'none' }, String(bad));
});

test('a response_timeout longer than a timer keeps is capped there, not overflowed into an instant expiry', () => {
  assert.deepEqual(parseResponseTimeout('596h'), { kind: 'deadline', ms: 596 * 3_600_000 });
  for (const huge of ['597h', '2147483648ms', '99999999999999999999h', `${'9'.repeat(400)}h`])
    assert.deepEqual(parseResponseTimeout(huge), { kind: 'deadline', ms: MAX_TIMER_MS, capped: true }, huge);
});

test('a tunnel response_timeout is at most 24h', () => {
  assert.ok(TunnelResponseTimeoutSchema.safeParse('24h').success);
  assert.ok(TunnelResponseTimeoutSchema.safeParse('86400000ms').success);
  for (const long of ['25h', '86400001ms', '597h', '99999999999999999999h']) {
    const parsed = TunnelResponseTimeoutSchema.safeParse(long);
    assert.ok(!parsed.success, long);
    assert.match(parsed.error.issues[0]!.message, /at most 24h/);
  }
});

test('tunnel ids have one shape', () => {
  assert.ok(isTunnelId(newTunnelId()));
  assert.ok(!isTunnelId('tunnel_123'));
  assert.ok(!isTunnelId('tunnel_' + 'A'.repeat(32)));
  assert.ok(!isTunnelId('tunnel_' + 'g'.repeat(32)));
});

test('unknown command types and malformed commands are reported with their request id', () => {
  const unknown = parsePolledCommand({
    request_id: 'r1',
    shard_token: 's',
    created_at: 'x',
    command_type: 'fly',
  });
  assert.deepEqual(unknown.ok ? null : unknown.requestId, 'r1');
  const missing = parsePolledCommand({ request_id: 'r2', command_type: 'jsonrpc' });
  assert.equal(missing.ok, false);
  const extra = parsePolledCommand({
    request_id: 'r3',
    shard_token: 's',
    created_at: 'x',
    jsonrpc: { jsonrpc: '2.0', id: 1, method: 'ping' },
    future_field: true,
  });
  assert.ok(extra.ok && extra.command.channel === 'main');
});

test('hop-by-hop, proxy and Connection-nominated headers are never forwarded', () => {
  const out = forwardableRequestHeaders({
    Connection: ['keep-alive, X-Secret-Hop'],
    'X-Secret-Hop': ['1'],
    'Keep-Alive': ['timeout=5'],
    'Proxy-Authorization': ['Basic x'],
    'X-Forwarded-For': ['10.0.0.1'],
    'Transfer-Encoding': ['chunked'],
    'Mcp-Session-Id': ['abc'],
    'x-test': ['alpha', 'beta'],
  });
  assert.deepEqual(out, { 'Mcp-Session-Id': ['abc'], 'x-test': ['alpha', 'beta'] });
});

test('only allowlisted response headers travel back', () => {
  const out = allowedResponseHeaders(
    new Headers({
      'content-type': 'application/json',
      'mcp-session-id': 's1',
      'set-cookie': 'a=b',
      server: 'x',
    }),
  );
  assert.deepEqual(out, { 'Content-Type': ['application/json'], 'Mcp-Session-Id': ['s1'] });
});

test('server info refuses duplicate, non-canonical and too many channels', () => {
  assert.equal(buildServerInfo([{ name: 'Main', procAffinity: true }]).ok, false);
  assert.equal(
    buildServerInfo([
      { name: 'main', procAffinity: true },
      { name: 'main', procAffinity: false },
    ]).ok,
    false,
  );
  const many = Array.from({ length: 33 }, (_, i) => ({ name: `c${i}`, procAffinity: true }));
  assert.equal(buildServerInfo(many).ok, false);
  assert.equal(parseServerInfo('{"version":1,"channels":[{"name":"main","url":"http://x"}]}').ok, false);
  const parsed = parseServerInfo('{"version":1,"channels":[{"name":"main","proc_affinity":false}]}');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.channels, [{ name: 'main' }]);
});

test('JSON-RPC messages are classified by method and id', () => {
  assert.equal(jsonRpcKind({ jsonrpc: '2.0', id: 1, method: 'ping' }), 'request');
  assert.equal(jsonRpcKind({ jsonrpc: '2.0', method: 'notifications/initialized' }), 'notification');
  assert.equal(jsonRpcKind({ jsonrpc: '2.0', id: 1, result: {} }), 'response');
});

test('tunnel_failure rules: target_http needs a status, transport_closed had no response', () => {
  assert.equal(
    TunnelFailureSchema.safeParse({ version: 1, source: 'target_http', upstream_response_received: true })
      .success,
    false,
  );
  assert.equal(
    TunnelFailureSchema.safeParse({
      version: 1,
      source: 'transport_closed',
      upstream_response_received: true,
    }).success,
    false,
  );
  assert.equal(
    TunnelFailureSchema.safeParse({
      version: 1,
      source: 'dns',
      upstream_response_received: false,
      upstream_status: 502,
    }).success,
    false,
  );
});

test('withoutAuthParam takes one auth-param out of a WWW-Authenticate value and returns its value', () => {
  const cases: [string, string, string | undefined][] = [
    ['Bearer resource_metadata="http://10.0.0.5/m"', 'Bearer', 'http://10.0.0.5/m'],
    [
      'Bearer error="invalid_token", resource_metadata="http://x/m", scope="a b"',
      'Bearer error="invalid_token", scope="a b"',
      'http://x/m',
    ],
    ['Bearer resource_metadata="http://x/m", scope="read"', 'Bearer scope="read"', 'http://x/m'],
    ['Bearer scope="read", resource_metadata=http://x/m', 'Bearer scope="read"', 'http://x/m'],
    ['Bearer realm="x"', 'Bearer realm="x"', undefined],
  ];
  for (const [header, value, removed] of cases)
    assert.deepEqual(
      withoutAuthParam(header, 'resource_metadata'),
      removed === undefined ? { value } : { value, removed },
    );
});
