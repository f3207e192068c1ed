// tunnel-service's Prometheus metrics (--metrics-port): the real service and tunnel-client, the calculator
// called through the tunnel with the MCP SDK, then the metrics address scraped as Prometheus does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../support/eventually.ts';
import { connectSdk, postJsonRpc } from '../support/mcp-callers.ts';
import { startService } from '../support/service-process.ts';
import { startSystem, type System } from '../support/system.ts';
import { sample } from '../support/prometheus.ts';

describe('tunnel-service metrics', { timeout: 120_000 }, () => {
  let system: System;
  let metricsUrl: string;

  before(async () => {
    system = await startSystem({ service: { extraArgs: ['--metrics-port', '0'] } });
    metricsUrl = (await system.service.proc.waitFor(/tunnel-service metrics at (\S+)/))[1]!;
  });
  after(() => system?.stop());

  const scrape = async () => {
    const response = await fetch(metricsUrl);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  test('a scrape counts the calls through the tunnel, their hand-overs and the refusals by route, and names no tunnel, key or path', async () => {
    const { mcp, end } = await connectSdk(system.connectorUrl, system.runtime.runtimeKey);
    try {
      for (let a = 1; a <= 3; a++) {
        const result = await mcp.callTool({ name: 'add', arguments: { a, b: 1 } });
        assert.deepEqual(result.content, [{ type: 'text', text: `${a} + 1 = ${a + 1}` }]);
      }
    } finally {
      await end();
    }
    const refused = await fetch(new URL('/v1/tunnels', system.service.url), {
      headers: { authorization: 'Bearer mcpt_not_a_key' },
    });
    assert.equal(refused.status, 401);

    const text = await scrape();
    // initialize and three tools/call; the SDK's notifications/initialized is a notification.
    const answered = sample(text, 'tunnel_service_connector_calls_total', {
      kind: 'request',
      outcome: 'answered',
    });
    assert.ok(answered !== undefined && answered >= 4, `answered requests: ${answered}`);
    assert.ok(
      (sample(text, 'tunnel_service_connector_calls_total', { kind: 'notification', outcome: 'answered' }) ??
        0) >= 1,
    );
    assert.equal(
      sample(text, 'tunnel_service_connector_call_duration_seconds_count', { kind: 'request' }),
      answered,
    );
    const handedOver =
      (sample(text, 'tunnel_service_command_queue_wait_seconds_count', { carrier: 'stream' }) ?? 0) +
      (sample(text, 'tunnel_service_command_queue_wait_seconds_count', { carrier: 'poll' }) ?? 0);
    assert.ok(handedOver >= 5, `commands handed over: ${handedOver}`);
    assert.equal(sample(text, 'tunnel_service_command_streams_open'), 1, 'the tunnel-client streams');
    assert.equal(
      sample(text, 'tunnel_service_http_requests_total', { route: '/v1/tunnels', status: '401' }),
      1,
    );
    assert.equal(
      sample(text, 'tunnel_service_info', { version: '0.1.0', store: 'sqlite', broker: 'memory' }),
      1,
    );
    assert.ok(
      sample(text, 'tunnel_service_process_cpu_user_seconds_total') !== undefined,
      'the process metrics',
    );
    for (const secret of [system.runtime.tunnelId, system.runtime.runtimeKey, 'mcpt_', '/v1/mcp/tunnel_'])
      assert.ok(!text.includes(secret), `the scrape holds ${secret}`);
  });

  test('the stream gauge falls when the tunnel-client stops, and a call to the offline tunnel counts as tunnel_offline', async () => {
    await system.client.stop();
    await eventually(
      async () => sample(await scrape(), 'tunnel_service_command_streams_open') === 0,
      20_000,
      'no command stream open',
    );
    const call = await postJsonRpc(system.connectorUrl, system.runtime.runtimeKey, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
    });
    assert.equal(call.status, 503);
    const text = await scrape();
    assert.equal(
      sample(text, 'tunnel_service_connector_calls_total', { kind: 'request', outcome: 'tunnel_offline' }),
      1,
    );
    assert.equal(
      sample(text, 'tunnel_service_http_requests_total', { route: '/v1/mcp/:tunnel_id', status: '503' }),
      1,
    );
  });

  test('the metrics address serves GET /metrics only, and a port in use stops start-up naming --metrics-port', async () => {
    const elsewhere = await fetch(new URL('/healthz', metricsUrl));
    assert.equal(elsewhere.status, 404);
    assert.match(await elsewhere.text(), /serves GET \/metrics only/);

    const taken = new URL(metricsUrl).port;
    await assert.rejects(
      startService({ extraArgs: ['--metrics-port', taken] }),
      new RegExp(
        `could not start: the metrics address 127\\.0\\.0\\.1:${taken} is already in use.*--metrics-port`,
      ),
    );
  });
});
