// The tunnel-client's runtime contract against the contract-true fake of the hosted service: deadlines,
// streaming, synthesized failures, headers and channels. Every test ends with no contract violation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { CONTRACT_MISSING_NOTICE } from '../../../../test/support/contract.ts';
import type { FakeHostedService } from '../../../../test/support/fake-hosted-service.ts';
import { parseResponseTimeout } from '@mcp-tunnel/protocol';
import { defineConfig, startTunnelClient, type TunnelClientHandle } from '../../src/index.ts';
import { eventually } from '../../../../test/support/eventually.ts';
import { TUNNEL_ID } from '../support/fake-service.ts';
import { memoryLogger } from '../support/memory-logger.ts';
import { API_KEY, contract, startFake } from '../support/fake-service.ts';
import { call, slowServer } from '../support/mcp-servers.ts';
import { makeCertificates, read, type Certificates } from '../support/certificates.ts';

if (!contract) console.log(CONTRACT_MISSING_NOTICE);

type Failure = {
  source: string;
  upstream_status?: number;
  transport_error_kind?: string;
  upstream_response_received: boolean;
};

function failureOf(payload: { resp_json?: Record<string, unknown> | null }): Failure {
  const error = payload.resp_json?.error as { code: number; data: { tunnel_failure: Failure } };
  assert.equal(error.code, -32603);
  assert.deepEqual(contract!.validateTunnelFailure(error.data.tunnel_failure), []);
  return error.data.tunnel_failure;
}

describe('runtime contract', { skip: !contract, timeout: 120_000 }, () => {
  let fake: FakeHostedService;
  let client: TunnelClientHandle;
  let upstream: Server;
  let tlsUpstream: Server;
  let certs: Certificates;
  let base = '';
  const seen: { path: string; headers: IncomingMessage['headers'] }[] = [];
  const counter = { now: 0, max: 0, started: 0 };
  const logs = memoryLogger();

  before(async () => {
    certs = makeCertificates();
    const handler = async (req: IncomingMessage, res: import('node:http').ServerResponse) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      seen.push({ path: req.url ?? '', headers: req.headers });
      const id = (JSON.parse(body || '{}') as { id?: unknown }).id ?? null;
      const json = (status: number, value: unknown) =>
        res
          .writeHead(status, {
            'content-type': 'application/json',
            'x-secret-upstream': 'no',
            'mcp-session-id': 's-9',
          })
          .end(JSON.stringify(value));
      if (req.url === '/ok') return json(200, { jsonrpc: '2.0', id, result: { ok: true } });
      if (req.url === '/rpc-error')
        return json(403, {
          jsonrpc: '2.0',
          id,
          error: { code: -32001, message: 'denied here', data: { why: 'policy' } },
        });
      if (req.url === '/h500')
        return res
          .writeHead(500, { 'content-type': 'text/html' })
          .end('<h1>boom at http://secret.internal</h1>');
      if (req.url === '/h404')
        return res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>nope</h1>');
      if (req.url === '/malformed')
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc": "2.0", oops');
      if (req.url === '/slow') {
        await new Promise((resolve) => setTimeout(resolve, 3000));
        return json(200, { jsonrpc: '2.0', id, result: {} });
      }
      res.writeHead(404).end();
    };
    upstream = createHttpServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    tlsUpstream = createHttpsServer(
      { cert: read(certs.strangerCert), key: read(certs.strangerKey) },
      (req, res) => void handler(req, res),
    );
    await new Promise<void>((resolve) => tlsUpstream.listen(0, '127.0.0.1', resolve));
    const closed = createHttpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const refusedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    fake = await startFake();
    const entries = {
      ok: `${base}/ok`,
      rpcerr: `${base}/rpc-error`,
      h500: `${base}/h500`,
      h404: `${base}/h404`,
      malformed: `${base}/malformed`,
      slowhttp: `${base}/slow`,
      refused: `http://127.0.0.1:${refusedPort}/mcp`,
      dns: 'http://mcp-host.invalid/mcp',
      tls: `https://127.0.0.1:${(tlsUpstream.address() as AddressInfo).port}/ok`,
    };
    client = await startTunnelClient(
      defineConfig(
        {
          control_plane: { base_url: fake.url, tunnel_id: TUNNEL_ID, api_key: API_KEY },
          health: { listen_addr: '127.0.0.1:0' },
          mcp: {
            server_urls: Object.entries(entries).map(([channel, url]) => ({ channel, url })),
            extra_headers: { 'X-Upstream-Token': 'env:UPSTREAM_TOKEN' },
            max_concurrent_requests: 4,
            // The /slow upstream answers after 3 s: without a nearer deadline, that is a timeout failure.
            request_timeout: '1500ms',
          },
        },
        { UPSTREAM_TOKEN: 'upstream-secret' },
      ),
      { servers: { main: slowServer(counter).server }, logger: logs.log },
    );
    await client.started;
  });

  after(async () => {
    await client?.stop();
    await fake?.stop();
    upstream?.closeAllConnections();
    tlsUpstream?.closeAllConnections();
    await new Promise((resolve) => upstream?.close(resolve));
    await new Promise((resolve) => tlsUpstream?.close(resolve));
    certs?.cleanup();
  });

  test('identity headers and X-Tunnel-MCP-Server-Info from the configured channels', () => {
    for (const request of fake.requests) {
      assert.equal(request.headers['x-tunnel-client-name'], 'mcp-tunnel-client');
      assert.equal(request.headers['x-tunnel-client-instance-id'], client.instanceId);
      assert.ok(request.headers['x-tunnel-client-version']);
      const info = JSON.parse(String(request.headers['x-tunnel-mcp-server-info'])) as {
        version: number;
        channels: { name: string; proc_affinity?: boolean }[];
      };
      assert.equal(info.version, 1);
      assert.deepEqual(
        info.channels.find((c) => c.name === 'main'),
        { name: 'main', proc_affinity: true },
      );
      assert.deepEqual(
        info.channels.find((c) => c.name === 'ok'),
        { name: 'ok' },
        'HTTP channels omit proc_affinity',
      );
      assert.ok(!String(request.headers['x-tunnel-mcp-server-info']).includes('127.0.0.1'), 'no URLs');
    }
    assert.deepEqual(fake.violations, []);
  });

  test('response_timeout: absent, null and malformed mean no deadline; 0s is dropped unseen', async () => {
    const started = counter.started;
    // Malformed values cannot come from a contract-true service; the parser fails open on them.
    for (const malformed of ['5 s', '1.5s', '-1s', '10d', 5, ''])
      assert.deepEqual(parseResponseTimeout(malformed), { kind: 'none' });
    assert.deepEqual(parseResponseTimeout('4500ms'), { kind: 'deadline', ms: 4500 });
    assert.deepEqual(parseResponseTimeout('1500us'), { kind: 'deadline', ms: 1.5 });
    const none = [undefined, null].map((t) =>
      fake.enqueue({
        ...(t === undefined ? {} : { response_timeout: t }),
        jsonrpc: call(1, 'wait', { ms: 50 }),
      }),
    );
    const zero = fake.enqueue({ response_timeout: '0s', jsonrpc: call(2, 'wait', { ms: 50 }) });
    for (const id of none) assert.equal((await fake.terminal(id)).payload.resp_json?.id, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(fake.responsesFor(zero), [], 'nothing posted for 0s');
    assert.equal(counter.started - started, none.length, 'MCP was not contacted for 0s');
    assert.deepEqual(fake.violations, []);
  });

  test('the deadline bounds MCP work: cancelled, nothing posted; streaming comes before the answer', async () => {
    const late = fake.enqueue({ response_timeout: '300ms', jsonrpc: call(3, 'wait', { ms: 1500 }) });
    const late2 = fake.enqueue({ channel: 'slowhttp', response_timeout: '400ms', jsonrpc: call(3, 'x') });
    const ok = fake.enqueue({ response_timeout: '10s', jsonrpc: call(4, 'wait', { ms: 10 }) });
    const answer = await fake.terminal(ok);
    const all = fake.responsesFor(ok);
    assert.deepEqual(
      all.map((r) => r.payload.resp_type),
      ['jsonrpc_notify', 'jsonrpc_notify', 'jsonrpc_response'],
    );
    assert.deepEqual(
      all.map((r) => (r.payload.resp_json?.params as { data?: string } | undefined)?.data),
      ['one', 'two', undefined],
    );
    assert.equal(all.at(-1), answer);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const id of [late, late2])
      assert.deepEqual(
        fake.responsesFor(id).filter((r) => r.payload.resp_type !== 'jsonrpc_notify'),
        [],
      );
    assert.deepEqual(fake.violations, []);
  });

  test('the deadline bounds the response POST too: a stalled service gets nothing after it', async () => {
    fake.inject('response', { kind: 'status', status: 503, headers: { 'retry-after': '2' } });
    // A deadline the first attempt meets even on a loaded machine, and that a retry 2 s later would miss.
    const id = fake.enqueue({ channel: 'ok', response_timeout: '1500ms', jsonrpc: call(5, 'x') });
    const tries = () =>
      fake.requests.filter(
        (r) =>
          r.method === 'POST' &&
          (r.body as { request_id?: string })?.request_id === id &&
          (r.body as { resp_type?: string }).resp_type === 'jsonrpc_response',
      );
    await eventually(() => tries().length > 0, 10_000, 'the first attempt');
    // Longer than the Retry-After: a client that ignored the deadline would have tried again by now.
    await new Promise((resolve) => setTimeout(resolve, 2600));
    assert.deepEqual(
      fake.responsesFor(id).filter((r) => r.payload.resp_type === 'jsonrpc_response'),
      [],
    );
    assert.equal(tries().length, 1, 'Retry-After beyond the deadline: no second attempt');
    assert.deepEqual(fake.violations, []);
  });

  test('a real JSON-RPC error passes through untouched with the real status', async () => {
    const id = fake.enqueue({ channel: 'rpcerr', response_timeout: '10s', jsonrpc: call('e1', 'x') });
    const answer = await fake.terminal(id);
    assert.equal(answer.payload.resp_code, 403);
    assert.deepEqual(answer.payload.resp_json, {
      jsonrpc: '2.0',
      id: 'e1',
      error: { code: -32001, message: 'denied here', data: { why: 'policy' } },
    });
    assert.deepEqual(
      answer.payload.resp_headers,
      { 'Content-Type': ['application/json'], 'Mcp-Session-Id': ['s-9'] },
      'only allowlisted headers',
    );
  });

  test('synthesized failures: refused, DNS, TLS, 5xx, 4xx, malformed, timeout; nothing raw or secret', async () => {
    const expected: Record<string, Partial<Failure>> = {
      refused: {
        source: 'connect',
        transport_error_kind: 'connection_refused',
        upstream_response_received: false,
      },
      dns: { source: 'dns', upstream_response_received: false },
      tls: { source: 'tls', upstream_response_received: false },
      h500: { source: 'target_http', upstream_status: 500, upstream_response_received: true },
      h404: { source: 'target_http', upstream_status: 404, upstream_response_received: true },
      malformed: {
        source: 'protocol',
        transport_error_kind: 'malformed_json',
        upstream_response_received: true,
      },
      slowhttp: { source: 'timeout', transport_error_kind: 'timeout', upstream_response_received: false },
    };
    const ids = Object.keys(expected).map(
      (channel) =>
        [
          channel,
          fake.enqueue({ channel, response_timeout: '15s', jsonrpc: call(`id-${channel}`, 'x') }),
        ] as const,
    );
    for (const [channel, id] of ids) {
      const answer = await fake.terminal(id, 15_000);
      assert.equal(answer.payload.resp_json?.id, `id-${channel}`);
      const failure = failureOf(answer.payload);
      for (const [key, value] of Object.entries(expected[channel]!))
        assert.equal(failure[key as keyof Failure], value, `${channel}.${key}`);
      const text = JSON.stringify(answer.payload);
      for (const raw of [
        '127.0.0.1',
        'mcp-host',
        'http://',
        'boom',
        'ECONN',
        'ENOTFOUND',
        'certificate',
        'upstream-secret',
        API_KEY,
      ])
        assert.ok(!text.includes(raw), `${channel} answer carries "${raw}": ${text}`);
    }
    assert.deepEqual(fake.violations, []);
  });

  test('command headers reach HTTP bindings minus hop-by-hop, proxy and Connection-named ones; extra headers go to the MCP origin only', async () => {
    const before = seen.length;
    const id = fake.enqueue({
      channel: 'ok',
      response_timeout: '10s',
      headers: {
        'Mcp-Session-Id': ['s-1'],
        'X-Caller': ['a', 'b'],
        Connection: ['close, X-Drop-Me'],
        'X-Drop-Me': ['1'],
        'Proxy-Authorization': ['Basic x'],
        'Keep-Alive': ['5'],
        'X-Forwarded-For': ['10.0.0.1'],
      },
      jsonrpc: call(6, 'x'),
    });
    await fake.terminal(id);
    const headers = seen.slice(before).find((s) => s.headers['mcp-session-id'] === 's-1')!.headers;
    assert.equal(headers['x-caller'], 'a, b');
    for (const name of ['x-drop-me', 'proxy-authorization', 'keep-alive', 'x-forwarded-for'])
      assert.equal(headers[name], undefined, name);
    assert.equal(headers['x-upstream-token'], 'upstream-secret');
    for (const request of fake.requests)
      assert.equal(request.headers['x-upstream-token'], undefined, 'never sent to the tunnel service');
    assert.ok(!logs.lines().some((l) => JSON.stringify(l).includes('upstream-secret')), 'never logged');
    assert.deepEqual(fake.violations, []);
  });

  test('a command on an unconfigured channel gets unsupported_channel, never the main binding', async () => {
    const started = counter.started;
    const id = fake.enqueue({
      channel: 'nowhere',
      response_timeout: '10s',
      jsonrpc: call(7, 'wait', { ms: 1 }),
    });
    const answer = await fake.terminal(id);
    assert.equal(answer.payload.resp_type, 'jsonrpc_response');
    assert.equal(
      (answer.payload.resp_json?.error as { data: { reason: string } }).data.reason,
      'unsupported_channel',
    );
    assert.equal(counter.started, started);
    assert.deepEqual(fake.violations, []);
  });

  test('session_termination and notifications are answered with their own response types', async () => {
    const note = fake.enqueue({ jsonrpc: { jsonrpc: '2.0', method: 'notifications/initialized' } });
    const end = fake.enqueue({
      channel: 'ok',
      command_type: 'session_termination',
      headers: { 'Mcp-Session-Id': ['s-1'] },
    });
    assert.equal((await fake.terminal(note)).payload.resp_type, 'notify_ack');
    assert.equal((await fake.terminal(end)).payload.resp_type, 'session_termination_response');
    assert.deepEqual(fake.violations, []);
  });

  test('protocol extensions: a service that offers none is sent nothing beyond the contract', async () => {
    // Were a standalone_stream command to arrive anyway, it is skipped like any unknown command type.
    const stream = fake.enqueue({
      command_type: 'standalone_stream',
      headers: { 'Mcp-Session-Id': ['s-2'] },
    });
    const ping = fake.enqueue({ jsonrpc: { jsonrpc: '2.0', id: 'after-stream', method: 'ping' } });
    await fake.terminal(ping);
    assert.deepEqual(fake.responsesFor(stream), [], 'nothing posted for the extension command');
    assert.ok(fake.requests.length > 0);
    for (const request of fake.requests)
      assert.equal(request.headers['x-tunnel-extensions'], undefined, `${request.method} ${request.path}`);
    assert.deepEqual(fake.violations, []);
  });

  test('a stopping client says nothing to a service that offers no leave extension', async () => {
    // Held work at the moment it stops: a call to the slow upstream.
    fake.enqueue({
      channel: 'slowhttp',
      jsonrpc: { jsonrpc: '2.0', id: 'held', method: 'tools/list' },
    });
    const slowCalls = seen.filter((r) => r.path === '/slow').length;
    await eventually(
      () => seen.filter((r) => r.path === '/slow').length > slowCalls,
      10_000,
      'the held call',
    );
    const before = fake.requests.length;
    await client.stop();
    const after = fake.requests.slice(before);
    for (const request of after)
      assert.match(
        request.path,
        /\/(poll|response)$|^\/v1\/tunnels\/[^/]+$/,
        `${request.method} ${request.path}`,
      );
    assert.deepEqual(fake.violations, []);
  });
});
