// The /ui console's JSON API on a real tunnel-client (in this process) against the contract-true fake
// of the hosted service: live traffic and redaction, capture, the log level, the support export, and
// who may call it at all (loopback, Host, Origin).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { networkInterfaces } from 'node:os';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { CONTRACT_MISSING_NOTICE, loadContract } from '../../../test/support/contract.ts';
import type { FakeHostedService } from '../../../test/support/fake-hosted-service.ts';
import { defineConfig, startTunnelClient, type TunnelClientHandle } from '../src/index.ts';
import { checkAccess } from '../src/ops/access.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { startFakeService, TUNNEL_ID } from './support/fake-service.ts';
import { FIXTURE_COMMAND } from './support/mcp-servers.ts';
import { createLogger } from '../src/observability/logger.ts';
import { Writable } from 'node:stream';

const contract = loadContract();
if (!contract) console.log(CONTRACT_MISSING_NOTICE);
const API_KEY = 'mcpt_console_test_key_0123456789';
const HEADER_SECRET = 'static-header-secret-value';
const INVITATION = 'mcpti_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so that Host, Origin and the source address can be chosen. */
function call(
  base: string,
  path: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: unknown;
    localAddress?: string;
  } = {},
): Promise<Answer> {
  const url = new URL(path, base);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        localAddress: options.localAddress,
        headers: {
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${path} did not answer`)));
    req.on('error', reject);
    req.end(body);
  });
}

const json = <T>(answer: Answer) => JSON.parse(answer.body) as T;

function echoServer(): McpServer {
  const server = new McpServer({ name: 'echo', version: '1.0.0' });
  server.registerTool('echo', { inputSchema: { value: z.unknown() } }, async ({ value }) => ({
    content: [{ type: 'text', text: JSON.stringify(value) }],
    structuredContent: { echoed: value },
  }));
  return server;
}

interface CallSummary {
  id: number;
  method: string;
  target: string | null;
  outcome: string | null;
  channel: string;
  session: string | null;
  captured: boolean;
}

describe('the console API', { skip: !contract, timeout: 90_000 }, () => {
  let service: FakeHostedService;
  let client: TunnelClientHandle;
  const opened: string[] = [];

  before(async () => {
    service = await startFakeService(contract!, { apiKey: API_KEY });
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    client = await startTunnelClient(
      defineConfig({
        control_plane: {
          base_url: service.url,
          tunnel_id: TUNNEL_ID,
          api_key: API_KEY,
          extra_headers: { 'X-Gateway-Token': HEADER_SECRET },
        },
        health: { listen_addr: '127.0.0.1:0' },
        admin_ui: { open_browser: true },
        mcp: { commands: [{ channel: 'main', command: FIXTURE_COMMAND }] },
      }),
      {
        servers: { tools: echoServer() },
        logger: createLogger({ level: 'info', format: 'json' }, sink),
        openBrowser: (url) => opened.push(url),
      },
    );
    await client.started;
    await eventually(() => client.status.readiness().ready, 10_000, 'readiness');
  });

  after(async () => {
    await client?.stop();
    await service?.stop();
  });

  /** Sends one tools/call through the tunnel and waits for its answer. */
  async function toolCall(channel: string, name: string, args: Record<string, unknown>, headers = {}) {
    const id = service.enqueue({
      channel,
      response_timeout: '10s',
      headers,
      jsonrpc: { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args } },
    });
    return service.terminal(id);
  }

  test('admin_ui.open_browser opens the console through the given opener', () => {
    assert.deepEqual(opened, [`${client.opsUrl}/ui`]);
  });

  test('the page and its modules are served from this server, under a strict content policy', async () => {
    const page = await call(client.opsUrl, '/ui');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self' 'sha256-/);
    for (const path of [
      '/ui/app.js',
      '/ui/vendor/preact.mjs',
      '/ui/vendor/htm.mjs',
      '/ui/vendor/uPlot.esm.js',
    ]) {
      const asset = await call(client.opsUrl, path);
      assert.equal(asset.status, 200, path);
      assert.match(String(asset.headers['content-type']), /javascript/, path);
    }
  });

  test('calls are listed with their metadata; payloads are not kept while capture is off', async () => {
    const before = json<{ calls: CallSummary[] }>(await call(client.opsUrl, '/api/traffic')).calls.length;
    const answer = await toolCall('main', 'add', { a: 2, b: 3 }, { 'Mcp-Session-Id': ['session-1'] });
    assert.equal(answer.payload.resp_json?.id, 7);
    const { calls, capture } = json<{ calls: CallSummary[]; capture: boolean }>(
      await call(client.opsUrl, '/api/traffic'),
    );
    assert.equal(capture, false);
    assert.equal(calls.length, before + 1);
    const last = calls.at(-1)!;
    assert.deepEqual(
      { method: last.method, target: last.target, outcome: last.outcome, channel: last.channel },
      { method: 'tools/call', target: 'add', outcome: 'ok', channel: 'main' },
    );
    assert.equal(last.session, 'session-1');
    const detail = json<{ payloads: unknown }>(await call(client.opsUrl, `/api/traffic/${last.id}`));
    assert.equal(detail.payloads, null);
    const missing = await call(client.opsUrl, '/api/traffic/999999');
    assert.equal(missing.status, 404);
    assert.match(json<{ error: string }>(missing).error, /no call 999999/);
  });

  test('with capture on, request and response are kept with every secret redacted', async () => {
    const on = await call(client.opsUrl, '/api/traffic/capture', { method: 'PUT', body: { capture: true } });
    assert.equal(on.status, 200);
    assert.deepEqual(json(on), { capture: true });
    await toolCall(
      'tools',
      'echo',
      {
        value: {
          api_key: 'sk-live-abcdefghijklmnop',
          note: `the key is ${API_KEY}`,
          header: 'Bearer abcdefghijklmnopqrstuvwxyz',
          password: 'hunter2hunter2',
          invitation: `join with ${INVITATION}`,
          pwd: 'other-name-password',
          notes: 'the password for the db is prose-password-1',
          plain: 'forty-two',
        },
      },
      {
        Authorization: ['Bearer caller-token-abcdefghijkl'],
        Cookie: ['session=abcdef'],
        'X-Api-Key': ['caller-api-key'],
        'Mcp-Session-Id': ['session-2'],
      },
    );
    const { calls } = json<{ calls: CallSummary[] }>(await call(client.opsUrl, '/api/traffic'));
    const echo = calls.findLast((c) => c.target === 'echo')!;
    assert.equal(echo.captured, true);
    const detailAnswer = await call(client.opsUrl, `/api/traffic/${echo.id}`);
    const text = detailAnswer.body;
    for (const secret of [
      API_KEY,
      'sk-live-abcdefghijklmnop',
      'caller-token-abcdefghijkl',
      'session=abcdef',
      'caller-api-key',
      'hunter2hunter2',
      'abcdefghijklmnopqrstuvwxyz',
      INVITATION,
      'other-name-password',
      'prose-password-1',
    ])
      assert.ok(!text.includes(secret), `${secret} is shown`);
    // A call's target is the caller's text too: neither the list nor the export shows a secret in it.
    await toolCall('tools', `lookup ${INVITATION}`, {});
    const listed = await call(client.opsUrl, '/api/traffic');
    assert.ok(listed.body.includes('lookup [redacted]'), 'the target is listed, redacted');
    assert.ok(!listed.body.includes(INVITATION), 'the target is redacted in the list');
    const exported = await call(client.opsUrl, '/api/logs/export?minutes=5');
    assert.ok(!exported.body.includes(INVITATION), 'the target is redacted in the export');
    const detail = json<{
      payloads: {
        request: { headers: Record<string, string[]>; body: { params: { arguments: { value: unknown } } } };
        response: {
          status: number;
          body: { result: { structuredContent: { echoed: Record<string, string> } } };
        };
      };
    }>(detailAnswer);
    assert.deepEqual(detail.payloads.request.headers.Authorization, ['[redacted]']);
    assert.deepEqual(detail.payloads.request.headers.Cookie, ['[redacted]']);
    assert.deepEqual(detail.payloads.request.headers['X-Api-Key'], ['[redacted]']);
    assert.deepEqual(detail.payloads.request.headers['Mcp-Session-Id'], ['session-2']);
    const echoed = detail.payloads.response.body.result.structuredContent.echoed;
    assert.equal(echoed.plain, 'forty-two', 'ordinary values are shown');
    assert.equal(echoed.api_key, '[redacted]');
    assert.equal(echoed.note, 'the key is [redacted]');

    const off = await call(client.opsUrl, '/api/traffic/capture', {
      method: 'PUT',
      body: { capture: false },
    });
    assert.deepEqual(json(off), { capture: false });
    const dropped = json<{ payloads: unknown }>(await call(client.opsUrl, `/api/traffic/${echo.id}`));
    assert.equal(dropped.payloads, null, 'turning capture off drops what was kept');
    const bad = await call(client.opsUrl, '/api/traffic/capture', {
      method: 'PUT',
      body: { capture: 'yes' },
    });
    assert.equal(bad.status, 400);
  });

  test('live traffic streams each call as server-sent events', async () => {
    const controller = new AbortController();
    const response = await fetch(`${client.opsUrl}/api/traffic/stream`, { signal: controller.signal });
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = response.body!.getReader();
    const done = toolCall('main', 'add', { a: 1, b: 1 });
    let text = '';
    const decoder = new TextDecoder();
    while (!/"outcome":"ok"/.test(text)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    await done;
    controller.abort();
    assert.match(text, /event: call\ndata: \{[^\n]*"target":"add"[^\n]*"outcome":null/, 'the start');
    assert.match(text, /event: call\ndata: \{[^\n]*"target":"add"[^\n]*"outcome":"ok"/, 'the end');
  });

  test('the log level changes for real, children included, and is refused when malformed', async () => {
    assert.deepEqual(json(await call(client.opsUrl, '/api/log-level')), { level: 'info' });
    const set = await call(client.opsUrl, '/api/log-level', { method: 'PUT', body: { level: 'debug' } });
    assert.deepEqual(json(set), { level: 'debug' });
    assert.deepEqual(json(await call(client.opsUrl, '/api/log-level')), { level: 'debug' });
    await toolCall('main', 'add', { a: 4, b: 4 });
    await eventually(
      async () =>
        json<{ lines: { level: number; msg: string }[] }>(await call(client.opsUrl, '/api/logs')).lines.some(
          (l) => l.level === 20 && l.msg === 'command finished',
        ),
      5000,
      'a debug line',
    );
    const bad = await call(client.opsUrl, '/api/log-level', { method: 'PUT', body: { level: 'loud' } });
    assert.equal(bad.status, 400);
    assert.match(json<{ error: string }>(bad).error, /trace, debug, info, warn, error, fatal, silent/);
    const notJson = await call(client.opsUrl, '/api/log-level', {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(notJson.status, 415);
    await call(client.opsUrl, '/api/log-level', { method: 'PUT', body: { level: 'info' } });
    assert.deepEqual(json(await call(client.opsUrl, '/api/log-level')), { level: 'info' });
  });

  test('the support export is a download of logs, metrics, status and config without any secret', async () => {
    const answer = await call(client.opsUrl, '/api/logs/export?minutes=5');
    assert.equal(answer.status, 200);
    assert.match(
      String(answer.headers['content-disposition']),
      /^attachment; filename="tunnel-client-support-/,
    );
    assert.ok(!answer.body.includes(API_KEY), 'the API key is not exported');
    assert.ok(!answer.body.includes(HEADER_SECRET), 'static header values are not exported');
    const bundle = json<{
      minutes: number;
      config: { controlPlane: { apiKey: string; tunnelId: string } };
      logs: { msg: string }[];
      metrics: { prometheus: string; series: { points: unknown[] } };
      status: { tunnel_id: string; channels: { name: string }[] };
      traffic: { method: string }[];
    }>(answer);
    assert.equal(bundle.minutes, 5);
    assert.equal(bundle.config.controlPlane.apiKey, '[redacted]');
    assert.equal(bundle.config.controlPlane.tunnelId, TUNNEL_ID);
    assert.ok(bundle.logs.some((l) => l.msg === 'log level changed from the console'));
    assert.match(bundle.metrics.prometheus, /tunnel_client_commands_total/);
    assert.ok(bundle.metrics.series.points.length > 0);
    assert.deepEqual(bundle.status.channels.map((c) => c.name).sort(), ['main', 'tools']);
    assert.ok(bundle.traffic.some((c) => c.method === 'tools/call'));
    for (const minutes of ['0', 'abc', '100000']) {
      const bad = await call(client.opsUrl, `/api/logs/export?minutes=${minutes}`);
      assert.equal(bad.status, 400, minutes);
      assert.match(json<{ error: string }>(bad).error, /minutes must be a whole number from 1 to 1440/);
    }
  });

  test('channels report binding kind, child pid and restarts, in flight and totals', async () => {
    const status = json<{
      channels: { name: string; kind: string; pid: number | null; restarts: number | null; total: number }[];
    }>(await call(client.opsUrl, '/api/status'));
    const main = status.channels.find((c) => c.name === 'main')!;
    assert.equal(main.kind, 'stdio');
    assert.ok(Number.isInteger(main.pid) && main.pid! > 0, `pid ${main.pid}`);
    assert.equal(main.restarts, 0);
    assert.ok(main.total >= 3);
    const tools = status.channels.find((c) => c.name === 'tools')!;
    assert.equal(tools.kind, 'memory');
    assert.equal(tools.pid, null);
  });

  test('a foreign Host is refused (DNS rebinding), loopback names are accepted', async () => {
    const port = new URL(client.opsUrl).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      const ok = await call(client.opsUrl, '/api/status', { headers: { host } });
      assert.equal(ok.status, 200, host);
    }
    const rebound = await call(client.opsUrl, '/api/status', {
      headers: { host: `attacker.example:${port}` },
    });
    assert.equal(rebound.status, 421);
    assert.match(json<{ error: string }>(rebound).error, /does not name this tunnel-client/);
    const page = await call(client.opsUrl, '/ui', { headers: { host: 'attacker.example' } });
    assert.equal(page.status, 421);
    const health = await call(client.opsUrl, '/healthz', { headers: { host: 'prober.internal' } });
    assert.equal(health.status, 200, 'probes are not the console');
  });

  test('a foreign Origin is refused; the same origin is accepted, and changes need it', async () => {
    const port = new URL(client.opsUrl).port;
    const same = await call(client.opsUrl, '/api/status', {
      headers: { origin: `http://127.0.0.1:${port}` },
    });
    assert.equal(same.status, 200);
    for (const origin of ['http://attacker.example', 'null', `https://127.0.0.1:${port}`]) {
      const refused = await call(client.opsUrl, '/api/status', { headers: { origin } });
      assert.equal(refused.status, 403, origin);
    }
    const change = await call(client.opsUrl, '/api/log-level', {
      method: 'PUT',
      body: { level: 'debug' },
      headers: { origin: 'http://attacker.example' },
    });
    assert.equal(change.status, 403);
    const crossSite = await call(client.opsUrl, '/api/traffic/capture', {
      method: 'PUT',
      body: { capture: true },
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(crossSite.status, 403);
    assert.deepEqual(json(await call(client.opsUrl, '/api/log-level')), { level: 'info' }, 'nothing changed');
  });
});

/** This machine's first address that is not loopback, if it has one. */
function otherLocalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;
}

describe('callers from other machines', { skip: !contract, timeout: 60_000 }, () => {
  const local = otherLocalAddress();

  async function withClient(allowRemote: boolean, work: (opsUrl: string) => Promise<void>) {
    const service = await startFakeService(contract!, { apiKey: API_KEY });
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    const client = await startTunnelClient(
      defineConfig({
        control_plane: { base_url: service.url, tunnel_id: TUNNEL_ID, api_key: API_KEY },
        health: { listen_addr: '0.0.0.0:0' },
        admin_ui: { allow_remote: allowRemote },
        mcp: { commands: [{ channel: 'main', command: FIXTURE_COMMAND }] },
      }),
      { logger: createLogger({ level: 'info', format: 'json' }, sink) },
    );
    try {
      await work(`http://127.0.0.1:${new URL(client.opsUrl).port}`);
    } finally {
      await client.stop();
      await service.stop();
    }
  }

  // The request goes to 127.0.0.1 but leaves from this machine's other interface, so the server sees a
  // caller that is not loopback without any packet leaving the machine.
  test(
    'are refused unless admin_ui.allow_remote is set',
    { skip: !local && 'no non-loopback interface' },
    async () => {
      await withClient(false, async (opsUrl) => {
        const refused = await call(opsUrl, '/api/status', { localAddress: local });
        assert.equal(refused.status, 403);
        assert.match(
          json<{ error: string }>(refused).error,
          new RegExp(`caller ${local!.replace(/\./g, '\\.')}`),
        );
        assert.match(json<{ error: string }>(refused).error, /--allow-remote-ui/);
        assert.equal((await call(opsUrl, '/ui', { localAddress: local })).status, 403);
        assert.equal(
          (await call(opsUrl, '/healthz', { localAddress: local })).status,
          200,
          'probes still answer',
        );
        assert.equal((await call(opsUrl, '/api/status')).status, 200, 'loopback callers are served');
      });
      await withClient(true, async (opsUrl) => {
        const port = new URL(opsUrl).port;
        const allowed = await call(opsUrl, '/api/status', {
          localAddress: local,
          headers: { host: `${local}:${port}` },
        });
        assert.equal(allowed.status, 200);
        const rebound = await call(opsUrl, '/api/status', {
          localAddress: local,
          headers: { host: `attacker.example:${port}` },
        });
        assert.equal(rebound.status, 421, 'allow_remote still checks Host');
      });
    },
  );
});

test('checkAccess refuses a caller that is not loopback, whatever else is right', () => {
  const request = { method: 'GET', headers: { host: '127.0.0.1:8080' }, remoteAddress: '203.0.113.9' };
  assert.equal(checkAccess(request, { allowRemote: false, listenHost: '0.0.0.0' })?.status, 403);
  assert.equal(
    checkAccess(
      { ...request, remoteAddress: '::ffff:127.0.0.1' },
      { allowRemote: false, listenHost: '0.0.0.0' },
    ),
    undefined,
  );
});
