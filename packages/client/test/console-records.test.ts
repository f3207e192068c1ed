// The console's records: redaction, the bounded traffic ring and its time series, the log ring and the
// log level switch reaching child loggers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { SECRET_PREFIX, SESSION_COOKIE, type PolledCommand } from '@mcp-tunnel/protocol';
import { defineConfig, resolveConfig } from '../src/config/schema.ts';
import { LogBuffer, LogLevelControl } from '../src/observability/log-buffer.ts';
import { createLogger, logBufferOf } from '../src/observability/logger.ts';
import { REDACTED, Redactor } from '../src/observability/redact.ts';
import { TrafficRecorder } from '../src/observability/traffic.ts';
import { TUNNEL_ID } from './support/fake-service.ts';

const command = (n: number, method = 'tools/call'): PolledCommand => ({
  request_id: `req_${n}`,
  shard_token: `shard_${n}`,
  channel: 'main',
  created_at: new Date().toISOString(),
  headers: { Authorization: ['Bearer abcdefghijklmnop'] },
  command_type: 'jsonrpc',
  jsonrpc: { jsonrpc: '2.0', id: n, method, params: { name: 'add', arguments: { a: n, b: 1 } } },
});

test('the redactor blanks secret names, token-looking values and the configured secrets', () => {
  const redactor = new Redactor(['configured-secret-1234', 'abc']);
  assert.deepEqual(
    redactor.headers({ Authorization: ['x'], 'X-Api-Key': 'k', Cookie: ['a=b'], Accept: ['*/*'] }),
    { Authorization: [REDACTED], 'X-Api-Key': [REDACTED], Cookie: [REDACTED], Accept: ['*/*'] },
  );
  assert.deepEqual(
    redactor.value({
      params: { _meta: { progressToken: 3 }, apiKey: 'k', nested: [{ client_secret: 's' }], text: 'abc' },
    }),
    {
      params: {
        _meta: { progressToken: 3 },
        apiKey: REDACTED,
        nested: [{ client_secret: REDACTED }],
        text: 'abc',
      },
    },
    'short configured values are left alone, progressToken is not a secret',
  );
  assert.equal(redactor.text('key configured-secret-1234 here'), `key ${REDACTED} here`);
  assert.equal(redactor.text('auth: Bearer eyJhbGciOi.xyzxyzxyzxyz'), `auth: ${REDACTED}`);
  assert.equal(
    redactor.text('http://user:pa55word@proxy.internal:3128'),
    `http://${REDACTED}@proxy.internal:3128`,
  );
  assert.equal(redactor.text('node server.js --api-token=s3cr3t'), `node server.js --api-token=${REDACTED}`);
  assert.equal(redactor.text('{"password":"hunter2"}'), `{"password":"${REDACTED}"}`);
  assert.equal(redactor.text('uses sk-abcdefghijklmnopqrst'), `uses ${REDACTED}`);
  assert.equal(redactor.text('the calculator adds 5 + 3'), 'the calculator adds 5 + 3');
});

test('the redactor blanks every secret tunnel-service mints, passwords under any name or in prose', () => {
  const redactor = new Redactor([]);
  const random = 'Q2hhbmdlIG1lIHBsZWFzZSBiZWZvcmUgeW91IHVzZSBpdA';
  for (const prefix of Object.values(SECRET_PREFIX)) {
    const secret = `${prefix}${random}`;
    assert.equal(redactor.text(`join with ${secret} today`), `join with ${REDACTED} today`, prefix);
    assert.equal(redactor.text(`"${secret}"`), `"${REDACTED}"`, prefix);
  }
  assert.equal(redactor.text(`sent ${SESSION_COOKIE}=${random}`), `sent ${SESSION_COOKIE}=${REDACTED}`);
  assert.deepEqual(
    redactor.value({ pw: 'a', pwd: 'b', pass: 'c', passcode: 'd', pin: '1234', db_pwd: 'e', Passwort: 'f' }),
    {
      pw: REDACTED,
      pwd: REDACTED,
      pass: REDACTED,
      passcode: REDACTED,
      pin: REDACTED,
      db_pwd: REDACTED,
      Passwort: REDACTED,
    },
  );
  for (const [prose, shown] of [
    ['my password is hunter2 and more', `my password is ${REDACTED} and more`],
    ['the password for the db is s3cr3t!', `the password for the db is ${REDACTED}`],
    ['Passphrase was "correct horse"', `Passphrase was "${REDACTED} horse"`],
    ['pw: hunter2', `pw: ${REDACTED}`],
    ['{"pin":"1234"}', `{"pin":"${REDACTED}"}`],
  ])
    assert.equal(redactor.text(prose!), shown, prose);
  for (const ordinary of ['spinning wheels', 'bypass: true', 'compass = north', 'the pipeline is green'])
    assert.equal(redactor.text(ordinary), ordinary);
  assert.deepEqual(redactor.value({ bypass: 'x', spin: 'y' }), { bypass: 'x', spin: 'y' });
});

test('the traffic ring names the target of a call without the secrets in it', () => {
  const traffic = new TrafficRecorder({ redactor: new Redactor(['configured-secret-1234']), capture: false });
  const read = (uri: string): PolledCommand => ({
    ...command(1, 'resources/read'),
    jsonrpc: { jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri } },
  });
  const targets = [
    'https://files.example.com/a.txt?token=abcdef123456',
    'db://admin:hunter2@db.internal/x',
    'invite/mcpti_Q2hhbmdlIG1lIHBsZWFzZSBiZWZvcmU',
    'notes/configured-secret-1234',
  ].map((uri) => {
    traffic.begin(read(uri)).finish({ outcome: 'answered' });
    return traffic.list().at(-1)!.target;
  });
  assert.deepEqual(targets, [
    `https://files.example.com/a.txt?token=${REDACTED}`,
    `db://${REDACTED}@db.internal/x`,
    `invite/${REDACTED}`,
    `notes/${REDACTED}`,
  ]);
});

test('the traffic ring keeps the last calls only, and drops payloads when capture is turned off', () => {
  const traffic = new TrafficRecorder({ redactor: new Redactor([]), capture: true, capacity: 50 });
  for (let n = 1; n <= 5000; n++) traffic.begin(command(n)).finish({ outcome: 'answered' });
  const calls = traffic.list();
  assert.equal(calls.length, 50);
  assert.equal(calls[0]!.requestId, 'req_4951');
  assert.equal(traffic.get(1), undefined);
  const last = traffic.get(calls.at(-1)!.id)!;
  assert.deepEqual(last.payloads?.request.headers, { Authorization: [REDACTED] });
  traffic.setCapture(false);
  assert.equal(traffic.get(calls.at(-1)!.id)!.payloads, null);
  assert.deepEqual(traffic.channel('main'), { inFlight: 0, total: 5000, errors: 0 });
});

test('outcomes come from the answer: JSON-RPC errors, tool errors, client failures', () => {
  const traffic = new TrafficRecorder({ redactor: new Redactor([]), capture: false });
  const payload = (resp_json: unknown) => ({
    request_id: 'r',
    channel: 'main',
    resp_json: resp_json as never,
    resp_headers: {},
    resp_code: 200,
    resp_type: 'jsonrpc_response' as const,
  });
  traffic
    .begin(command(1))
    .finish({ outcome: 'answered', payload: payload({ jsonrpc: '2.0', id: 1, result: {} }) });
  traffic.begin(command(2)).finish({
    outcome: 'answered',
    payload: payload({ jsonrpc: '2.0', id: 2, error: { code: -32602, message: 'bad' } }),
  });
  traffic
    .begin(command(3))
    .finish({ outcome: 'answered', payload: payload({ jsonrpc: '2.0', id: 3, result: { isError: true } }) });
  traffic.begin(command(4)).finish({ outcome: 'failed', errorKind: 'transport_closed/eof' });
  traffic.begin(command(5)).finish({ outcome: 'expired' });
  const inFlight = traffic.begin(command(6));
  assert.deepEqual(
    traffic.list().map((c) => [c.outcome, c.errorKind]),
    [
      ['ok', null],
      ['error', 'jsonrpc_-32602'],
      ['tool_error', 'tool_error'],
      ['failed', 'transport_closed/eof'],
      ['expired', 'expired'],
      [null, null],
    ],
  );
  inFlight.finish({ outcome: 'cancelled' });
  assert.deepEqual(traffic.channel('main'), { inFlight: 0, total: 6, errors: 5 });
});

test('the series has one bucket per interval, quiet gaps included, and never more than its length', () => {
  let now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const traffic = new TrafficRecorder({
    redactor: new Redactor([]),
    capture: false,
    bucketSeconds: 5,
    buckets: 10,
    now: () => now,
  });
  for (let i = 0; i < 4; i++) traffic.begin(command(i)).finish({ outcome: 'answered' });
  traffic.begin(command(9)).finish({ outcome: 'expired' });
  now += 15_000;
  traffic.begin(command(10)).finish({ outcome: 'answered' });
  const points = traffic.points();
  assert.deepEqual(
    points.map((p) => [p.t - points[0]!.t, p.calls, p.errors]),
    [
      [0, 5, { expired: 1 }],
      [5, 0, {}],
      [10, 0, {}],
      [15, 1, {}],
    ],
  );
  assert.equal(typeof points[0]!.p50, 'number');
  now += 3_600_000;
  traffic.begin(command(11)).finish({ outcome: 'answered' });
  assert.equal(traffic.points().length, 10, 'an hour later the series is still 10 buckets long');
});

test('the log ring keeps the last lines, and the level switch reaches existing children', () => {
  const buffer = new LogBuffer(3);
  for (let i = 0; i < 10; i++) buffer.write(`${JSON.stringify({ level: 30, time: i, msg: `line ${i}` })}\n`);
  assert.deepEqual(
    buffer.list().map((l) => l.msg),
    ['line 7', 'line 8', 'line 9'],
  );

  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const log = createLogger({ level: 'info', format: 'text' }, sink);
  const levels = new LogLevelControl(log);
  const child = log.child({ channel: 'main' });
  const grandchild = child.child({ part: 'x' });
  grandchild.debug('hidden');
  levels.set('debug');
  grandchild.debug('shown');
  assert.deepEqual(
    logBufferOf(log)!
      .list()
      .map((l) => l.msg),
    ['shown'],
  );
  assert.equal(levels.level, 'debug');
});

test('admin_ui settings come from the profile, the environment and flags, and are checked', () => {
  const base = {
    control_plane: { tunnel_id: TUNNEL_ID, api_key: 'k' },
    mcp: { commands: [{ channel: 'main', command: 'node x.js' }] },
  };
  const defaults = defineConfig(base).adminUi;
  assert.deepEqual(defaults, {
    openBrowser: false,
    allowRemote: false,
    capturePayloads: false,
    logBufferEvents: 2000,
  });
  const fromProfile = defineConfig({ ...base, admin_ui: { allow_remote: true, capture_payloads: true } });
  assert.deepEqual(fromProfile.adminUi, {
    openBrowser: false,
    allowRemote: true,
    capturePayloads: true,
    logBufferEvents: 2000,
  });
  const fromEnvAndFlags = resolveConfig({
    env: { CONTROL_PLANE_API_KEY: 'k', ADMIN_UI_ALLOW_REMOTE: 'yes', OPEN_WEB_UI: 'true' },
    flags: {
      'control_plane.tunnel_id': TUNNEL_ID,
      'mcp.commands': ['node x.js'],
      'admin_ui.capture_payloads': true,
    },
  });
  assert.deepEqual(fromEnvAndFlags.adminUi, {
    openBrowser: true,
    allowRemote: true,
    capturePayloads: true,
    logBufferEvents: 2000,
  });
  assert.throws(
    () => defineConfig({ ...base, admin_ui: { allow_remote: 'sometimes' } }),
    /admin_ui\.allow_remote.*expected true or false, got "sometimes"/,
  );
});
