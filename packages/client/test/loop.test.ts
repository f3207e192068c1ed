// The poll → dispatch → binding → response loop against the contract-true fake of the hosted service.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { CONTRACT_MISSING_NOTICE, loadContract } from '../../../test/support/contract.ts';
import type { FakeHostedService } from '../../../test/support/fake-hosted-service.ts';
import { defineConfig, startTunnelClient, type TunnelClientHandle } from '../src/index.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { startFakeService, TUNNEL_ID } from './support/fake-service.ts';
import { memoryLogger } from './support/memory-logger.ts';
import { FIXTURE_COMMAND, call } from './support/mcp-servers.ts';

const contract = loadContract();
if (!contract) console.log(CONTRACT_MISSING_NOTICE);
const API_KEY = 'mcpt_test_key';

function inProcessServer(): McpServer {
  const server = new McpServer({ name: 'in-process', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('shout', { inputSchema: { text: z.string() } }, async ({ text }, extra) => {
    await extra.sendNotification({
      method: 'notifications/message',
      params: { level: 'info', data: 'shouting' },
    });
    return { content: [{ type: 'text', text: text.toUpperCase() }] };
  });
  return server;
}

describe(
  'the tunnel-client loop against the hosted-service fake',
  { skip: !contract, timeout: 90_000 },
  () => {
    let service: FakeHostedService;
    let client: TunnelClientHandle;
    const logs = memoryLogger();

    before(async () => {
      service = await startFakeService(contract!, { apiKey: API_KEY });
      client = await startTunnelClient(
        defineConfig({
          control_plane: { base_url: service.url, tunnel_id: TUNNEL_ID, api_key: API_KEY },
          health: { listen_addr: '127.0.0.1:0' },
          mcp: { commands: [{ channel: 'main', command: FIXTURE_COMMAND }], max_concurrent_requests: 4 },
        }),
        { servers: { memory: inProcessServer() }, logger: logs.log },
      );
      await client.started;
      await eventually(async () => (await fetch(`${client.opsUrl}/readyz`)).ok, 15_000, 'readiness');
    });

    after(async () => {
      await client?.stop();
      await service?.stop();
    });

    test('announces itself on every request and logs the start line once', async () => {
      const polls = service.requests.filter((r) => r.path.endsWith('/poll'));
      assert.ok(polls.length > 0);
      for (const request of service.requests) {
        assert.equal(request.headers.authorization, `Bearer ${API_KEY}`);
        assert.equal(request.headers['x-tunnel-client-name'], 'mcp-tunnel-client');
        assert.equal(request.headers['x-tunnel-client-instance-id'], client.instanceId);
        assert.ok(request.headers['x-tunnel-client-version']);
        assert.equal(
          request.headers['x-tunnel-mcp-server-info'],
          '{"version":1,"channels":[{"name":"main","proc_affinity":true},{"name":"memory","proc_affinity":true}]}',
        );
      }
      assert.ok(
        service.requests.some((r) => r.path === `/v1/tunnels/${TUNNEL_ID}`),
        'metadata was read',
      );
      assert.equal(polls[0]!.query.get('timeout_ms'), '1', 'the first poll confirms the key without waiting');
      assert.ok(polls.slice(1).every((p) => p.query.get('timeout_ms') === '30000'));
      const limit = Number(polls[0]!.query.get('limit'));
      assert.ok(limit >= 1 && limit <= 20);
      const started = logs.lines().filter((l) => l.msg === '🟢 tunnel-client started');
      assert.equal(started.length, 1);
      assert.equal(started[0]!.tunnel_id, TUNNEL_ID);
      assert.ok(!JSON.stringify(logs.lines()).includes(API_KEY), 'the key never reaches the log');
    });

    test('initialize and tools/call are answered with the caller ids and the shard token', async () => {
      const init = service.enqueue({
        response_timeout: '10s',
        jsonrpc: {
          jsonrpc: '2.0',
          id: 'init-1',
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 't', version: '1' },
          },
        },
      });
      const add = service.enqueue({ response_timeout: '10s', jsonrpc: call(7, 'add', { a: 5, b: 3 }) });
      const initAnswer = await service.terminal(init);
      assert.equal(initAnswer.payload.resp_type, 'jsonrpc_response');
      assert.equal(initAnswer.payload.resp_code, 200);
      assert.equal(initAnswer.payload.resp_json?.id, 'init-1');
      const addAnswer = await service.terminal(add);
      assert.deepEqual(addAnswer.payload.resp_json, {
        jsonrpc: '2.0',
        id: 7,
        result: { content: [{ type: 'text', text: '5 + 3 = 8' }] },
      });
      assert.deepEqual(addAnswer.payload.resp_headers, { 'Content-Type': ['application/json'] });
      assert.deepEqual(service.violations, []);
    });

    test('server messages during a request are posted as jsonrpc_notify before the answer', async () => {
      const id = service.enqueue({
        response_timeout: '10s',
        jsonrpc: call(1, 'slow', { ms: 100, tag: 'n' }, { progressToken: 42 }),
      });
      const answer = await service.terminal(id);
      const all = service.responsesFor(id);
      const notices = all.filter((r) => r.payload.resp_type === 'jsonrpc_notify');
      assert.ok(notices.length >= 2, `got ${notices.length} notifications`);
      assert.deepEqual(notices[0]!.payload.resp_json?.params, { progressToken: 42, progress: 1, total: 2 });
      assert.equal(all.at(-1), answer, 'the terminal answer comes last');
      assert.deepEqual(service.violations, []);
    });

    test('notifications get notify_ack 202, session termination 204, an unknown channel a JSON-RPC error', async () => {
      const note = service.enqueue({ jsonrpc: { jsonrpc: '2.0', method: 'notifications/initialized' } });
      const end = service.enqueue({
        command_type: 'session_termination',
        headers: { 'Mcp-Session-Id': ['s-1'] },
      });
      const lost = service.enqueue({ channel: 'nowhere', jsonrpc: call(9, 'add', { a: 1, b: 1 }) });
      const ack = await service.terminal(note);
      assert.equal(ack.payload.resp_type, 'notify_ack');
      assert.equal(ack.payload.resp_code, 202);
      const ended = await service.terminal(end);
      assert.equal(ended.payload.resp_type, 'session_termination_response');
      assert.equal(ended.payload.resp_code, 204);
      const missing = await service.terminal(lost);
      assert.equal(missing.payload.resp_type, 'jsonrpc_response');
      assert.equal(missing.payload.resp_json?.id, 9);
      assert.match(
        String((missing.payload.resp_json?.error as { message: string }).message),
        /no MCP server for channel "nowhere"/,
      );
      assert.deepEqual(service.violations, []);
    });

    test('the in-process channel answers, with its logging routed to the request', async () => {
      const id = service.enqueue({
        channel: 'memory',
        response_timeout: '10s',
        jsonrpc: call(3, 'shout', { text: 'hi' }),
      });
      const answer = await service.terminal(id);
      assert.deepEqual(answer.payload.resp_json, {
        jsonrpc: '2.0',
        id: 3,
        result: { content: [{ type: 'text', text: 'HI' }] },
      });
      const notices = service.responsesFor(id).filter((r) => r.payload.resp_type === 'jsonrpc_notify');
      assert.equal((notices[0]?.payload.resp_json?.params as { data: string }).data, 'shouting');
    });

    test('0s is dropped unseen; an unknown command type is skipped; polling goes on', async () => {
      const expired = service.enqueue({ response_timeout: '0s', jsonrpc: call(1, 'add', { a: 1, b: 1 }) });
      service.enqueue({ command_type: 'future_thing', request_id: 'req_future' });
      const next = service.enqueue({ response_timeout: '10s', jsonrpc: call(2, 'add', { a: 2, b: 2 }) });
      await service.terminal(next);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(service.responsesFor(expired), []);
      assert.deepEqual(service.responsesFor('req_future'), []);
      assert.ok(logs.lines().some((l) => l.request_id === 'req_future' && /skipped/.test(String(l.msg))));
    });

    test('a response_timeout longer than a timer keeps is capped with a warning, not an instant expiry', async () => {
      const id = service.enqueue({
        response_timeout: '99999999999999999999h',
        jsonrpc: call(6, 'add', { a: 3, b: 4 }),
      });
      const answer = await service.terminal(id);
      assert.equal(
        (answer.payload.resp_json?.result as { content: { text: string }[] }).content[0]!.text,
        '3 + 4 = 7',
      );
      const warning = logs.lines().find((l) => l.request_id === id && /response_timeout/.test(String(l.msg)));
      assert.match(String(warning?.msg), /longer than this client can keep \(2147483647ms, about 596h\)/);
    });

    test('at the deadline the MCP call is cancelled and nothing is posted', async () => {
      const id = service.enqueue({
        response_timeout: '300ms',
        jsonrpc: call(1, 'slow', { ms: 1500, tag: 'late' }),
      });
      await new Promise((r) => setTimeout(r, 2000));
      const posted = service.responsesFor(id).filter((r) => r.payload.resp_type !== 'jsonrpc_notify');
      assert.deepEqual(posted, []);
      const follow = service.enqueue({ response_timeout: '10s', jsonrpc: call(2, 'add', { a: 4, b: 4 }) });
      assert.equal(
        ((await service.terminal(follow)).payload.resp_json?.result as { content: { text: string }[] })
          .content[0]!.text,
        '4 + 4 = 8',
      );
    });

    test('a crashed child answers with transport_closed at once, then is restarted', async () => {
      const id = service.enqueue({ response_timeout: '20s', jsonrpc: call(5, 'exit', {}) });
      const answer = await service.terminal(id, 5000);
      const error = answer.payload.resp_json?.error as {
        code: number;
        data: { tunnel_failure: Record<string, unknown> };
      };
      assert.equal(error.code, -32603);
      assert.equal(error.data.tunnel_failure.source, 'transport_closed');
      assert.deepEqual(contract!.validateTunnelFailure(error.data.tunnel_failure), []);
      const follow = service.enqueue({ response_timeout: '20s', jsonrpc: call(6, 'add', { a: 1, b: 5 }) });
      assert.equal(
        (
          (await service.terminal(follow, 15_000)).payload.resp_json?.result as {
            content: { text: string }[];
          }
        ).content[0]!.text,
        '1 + 5 = 6',
      );
    });

    test('response posts are retried on 429 and 503; a poll 503 with Retry-After is honoured', async () => {
      service.inject(
        'response',
        { kind: 'status', status: 429, headers: { 'retry-after': '0' } },
        { kind: 'status', status: 503 },
      );
      const id = service.enqueue({ response_timeout: '10s', jsonrpc: call(8, 'add', { a: 3, b: 3 }) });
      const answer = await service.terminal(id);
      assert.equal(answer.payload.resp_json?.id, 8);
      service.inject('poll', { kind: 'status', status: 503, headers: { 'retry-after': '1' } });
      const before = service.requests.length;
      await new Promise((r) => setTimeout(r, 600));
      const polledSoon = service.requests.slice(before).filter((r) => r.path.endsWith('/poll')).length;
      assert.ok(polledSoon <= 1, `polled ${polledSoon} times inside the Retry-After window`);
      const later = service.enqueue({ response_timeout: '10s', jsonrpc: call(10, 'add', { a: 1, b: 1 }) });
      await service.terminal(later);
    });

    test('the ops server reports health, readiness, metrics and a status page', async () => {
      const health = await fetch(`${client.opsUrl}/healthz`);
      assert.equal(health.status, 200);
      const ready = await fetch(`${client.opsUrl}/readyz`);
      assert.equal(ready.status, 200);
      const metrics = await (await fetch(`${client.opsUrl}/metrics`)).text();
      assert.match(metrics, /tunnel_client_polls_total\{result="empty"\} \d+/);
      assert.match(metrics, /tunnel_client_commands_total\{outcome="answered",channel="main"\} \d+/);
      assert.match(metrics, /tunnel_client_command_duration_seconds_bucket/);
      // Node's process metrics, whose collectors start at this first scrape.
      assert.match(metrics, /^tunnel_client_process_cpu_user_seconds_total \d/m);
      assert.match(metrics, /^tunnel_client_nodejs_eventloop_lag_seconds /m);
      assert.ok(!metrics.includes(API_KEY));
      const ui = await fetch(`${client.opsUrl}/ui`);
      assert.match(ui.headers.get('content-type') ?? '', /text\/html/);
      const status = (await (await fetch(`${client.opsUrl}/api/status`)).json()) as {
        tunnel_id: string;
        instance_id: string;
        tunnel_name: string;
        channels: { name: string; detail: string }[];
      };
      assert.equal(status.tunnel_id, TUNNEL_ID);
      assert.equal(status.instance_id, client.instanceId);
      assert.match(status.tunnel_name, /fake/, 'shows the tunnel name');
      assert.equal(status.channels.find((c) => c.name === 'main')?.detail, 'answered initialize');
    });
  },
);

describe('a refused key', { skip: !contract, timeout: 30_000 }, () => {
  test('401 shows in /readyz and the log in plain words', async () => {
    const service = await startFakeService(contract!, { apiKey: 'the-right-key', maxPollWaitMs: 200 });
    const logs = memoryLogger();
    const client = await startTunnelClient(
      defineConfig({
        control_plane: { base_url: service.url, tunnel_id: TUNNEL_ID, api_key: 'a-wrong-key' },
        health: { listen_addr: '127.0.0.1:0' },
        mcp: { commands: [{ channel: 'main', command: FIXTURE_COMMAND }] },
      }),
      { logger: logs.log },
    );
    try {
      await eventually(() => client.status.controlPlane.state === 'unauthorized', 10_000, 'the refusal');
      const ready = await fetch(`${client.opsUrl}/readyz`, { headers: { accept: 'application/json' } });
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as { ready: boolean; reasons: string[] };
      assert.equal(body.ready, false);
      assert.match(body.reasons.join(' '), /the API key is invalid/);
      assert.ok(logs.lines().some((l) => /the API key is invalid/.test(String(l.msg))));
      const polls = service.requests.filter((r) => r.path.endsWith('/poll')).length;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(
        service.requests.filter((r) => r.path.endsWith('/poll')).length,
        polls,
        'backs off instead of spinning',
      );
    } finally {
      await client.stop();
      await service.stop();
    }
  });
});
