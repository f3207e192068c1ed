// Retry rules of PROTOCOL.md and backpressure, against the contract-true fake with injected faults.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_MISSING_NOTICE } from '../../../../test/support/contract.ts';
import type { FakeHostedService } from '../../../../test/support/fake-hosted-service.ts';
import { retryAfterMs } from '../../src/base/backoff.ts';
import { defineConfig, startTunnelClient, type TunnelClientHandle } from '../../src/index.ts';
import { eventually } from '../../../../test/support/eventually.ts';
import { TUNNEL_ID } from '../support/fake-service.ts';
import { memoryLogger } from '../support/memory-logger.ts';
import { API_KEY, contract, startFake } from '../support/fake-service.ts';
import { call, slowServer } from '../support/mcp-servers.ts';

if (!contract) console.log(CONTRACT_MISSING_NOTICE);

async function withClient(
  fake: FakeHostedService,
  extra: { control_plane?: Record<string, unknown>; mcp?: Record<string, unknown> },
  counter: { now: number; max: number; started: number },
  body: (client: TunnelClientHandle, logs: ReturnType<typeof memoryLogger>) => Promise<void>,
) {
  const logs = memoryLogger();
  const client = await startTunnelClient(
    defineConfig({
      control_plane: { base_url: fake.url, tunnel_id: TUNNEL_ID, api_key: API_KEY, ...extra.control_plane },
      health: { listen_addr: '127.0.0.1:0' },
      mcp: { ...extra.mcp },
    }),
    { servers: { main: slowServer(counter).server }, logger: logs.log },
  );
  try {
    await client.started;
    await body(client, logs);
    assert.deepEqual(fake.violations, []);
  } finally {
    await client.stop();
    await fake.stop();
  }
}

const posts = (fake: FakeHostedService, id: string, type: string) =>
  fake.requests.filter(
    (r) =>
      r.method === 'POST' &&
      (r.body as { request_id?: string })?.request_id === id &&
      (r.body as { resp_type?: string }).resp_type === type,
  );

describe('retries', { skip: !contract, timeout: 60_000 }, () => {
  test('Retry-After: seconds, HTTP date, malformed ignored, large capped', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs('3', now), 3000);
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:02 GMT', now), 2000);
    assert.equal(retryAfterMs('soon', now), undefined);
    assert.equal(retryAfterMs('-5', now), undefined);
    assert.equal(retryAfterMs('999999', now), 300_000);
  });

  test('polls retry 429 (HTTP-date Retry-After), 503, dropped connections and malformed Retry-After', async () => {
    const counter = { now: 0, max: 0, started: 0 };
    const fake = await startFake();
    await withClient(fake, {}, counter, async () => {
      // An HTTP date has whole seconds: this one is 2 to 3 s away, far beyond the first back-off (250 ms).
      const retryAt = new Date(Date.now() + 3000);
      const date = retryAt.toUTCString();
      fake.inject(
        'poll',
        { kind: 'status', status: 429, headers: { 'retry-after': date } },
        { kind: 'status', status: 503, headers: { 'retry-after': 'whenever' } },
        { kind: 'drop' },
        { kind: 'status', status: 502 },
      );
      const pollsBefore = fake.requests.filter((r) => r.path.endsWith('/poll')).length;
      const id = fake.enqueue({ response_timeout: '20s', jsonrpc: call(1, 'wait', { ms: 1 }) });
      await fake.terminal(id, 15_000);
      // The first poll after the injection got the 429; the one after it must wait for the date.
      const polls = fake.requests.filter((r) => r.path.endsWith('/poll')).slice(pollsBefore);
      const refusedAt = polls[0]!.at;
      const nextAt = polls[1]!.at;
      const honoured = Date.parse(date) - 100;
      assert.ok(
        nextAt >= honoured,
        `the poll after the 429 came ${nextAt - refusedAt} ms later, before its Retry-After date`,
      );
    });
  });

  test('terminal responses: dropped, 408, 502, 504 retried with the same body and headers; 400 not; 404 terminal without replay', async () => {
    const counter = { now: 0, max: 0, started: 0 };
    const fake = await startFake();
    await withClient(fake, { mcp: { max_concurrent_requests: 1 } }, counter, async () => {
      // The tool sends two notifications first: give them clean answers, then fault the terminal post.
      fake.inject('response', { kind: 'status', status: 200, body: { status: 'ok' } });
      fake.inject('response', { kind: 'status', status: 200, body: { status: 'ok' } });
      fake.inject(
        'response',
        { kind: 'drop' },
        { kind: 'status', status: 408 },
        { kind: 'status', status: 502 },
        { kind: 'status', status: 504, headers: { 'retry-after': '0' } },
      );
      const id = fake.enqueue({ response_timeout: '20s', jsonrpc: call(2, 'wait', { ms: 1 }) });
      await fake.terminal(id);
      const tries = posts(fake, id, 'jsonrpc_response');
      assert.equal(tries.length, 5);
      for (const t of tries) {
        assert.deepEqual(t.body, tries[0]!.body);
        assert.equal(t.headers['x-tunnel-shard-token'], tries[0]!.headers['x-tunnel-shard-token']);
      }

      fake.inject(
        'response',
        { kind: 'status', status: 200, body: { status: 'ok' } },
        { kind: 'status', status: 200, body: { status: 'ok' } },
        { kind: 'status', status: 400, body: { error: { message: 'bad', type: 'invalid_request_error' } } },
      );
      const refused = fake.enqueue({ response_timeout: '20s', jsonrpc: call(3, 'wait', { ms: 1 }) });
      await eventually(() => posts(fake, refused, 'jsonrpc_response').length === 1, 5000, 'the refused post');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(posts(fake, refused, 'jsonrpc_response').length, 1, 'no retry on 400');

      const started = counter.started;
      const gone = fake.enqueue({ response_timeout: '20s', jsonrpc: call(4, 'wait', { ms: 300 }) });
      await eventually(() => counter.started > started, 5000, 'the call to start');
      fake.expire(gone);
      await eventually(() => posts(fake, gone, 'jsonrpc_response').length === 1, 5000, 'the 404 post');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(posts(fake, gone, 'jsonrpc_response').length, 1, '404 is terminal');
      assert.equal(counter.started, started + 1, 'the MCP work was not replayed');
    });
  });

  test('an answer the service refuses as too large (413) becomes a failure the caller can read', async () => {
    const counter = { now: 0, max: 0, started: 0 };
    const fake = await startFake();
    await withClient(fake, { mcp: { max_concurrent_requests: 1 } }, counter, async () => {
      // The tool's two notifications go through; the service refuses the terminal answer's size.
      fake.inject(
        'response',
        { kind: 'status', status: 200, body: { status: 'ok' } },
        { kind: 'status', status: 200, body: { status: 'ok' } },
        {
          kind: 'status',
          status: 413,
          body: { error: { message: 'body too large', type: 'invalid_request_error' } },
        },
      );
      const id = fake.enqueue({ response_timeout: '20s', jsonrpc: call(7, 'wait', { ms: 1 }) });
      const answer = await fake.terminal(id);
      const tries = posts(fake, id, 'jsonrpc_response');
      assert.equal(tries.length, 2, 'the refused answer, then its replacement');
      assert.ok((tries[0]!.body as { resp_json: { result?: unknown } }).resp_json.result);
      const error = answer.payload.resp_json?.error as {
        code: number;
        data: { tunnel_failure: { source: string; transport_error_kind: string } };
      };
      assert.equal(answer.payload.resp_json?.id, 7);
      assert.equal(error.code, -32603);
      assert.deepEqual(
        [error.data.tunnel_failure.source, error.data.tunnel_failure.transport_error_kind],
        ['protocol', 'response_body_too_large'],
      );
    });
  });

  test('notifications: 429 retried; another failure skips later notifications, the final response still arrives', async () => {
    const counter = { now: 0, max: 0, started: 0 };
    const fake = await startFake();
    await withClient(fake, {}, counter, async () => {
      fake.inject('response', { kind: 'status', status: 429, headers: { 'retry-after': '0' } });
      const a = fake.enqueue({ response_timeout: '20s', jsonrpc: call(5, 'wait', { ms: 1 }) });
      await fake.terminal(a);
      assert.equal(fake.responsesFor(a).filter((r) => r.payload.resp_type === 'jsonrpc_notify').length, 2);
      assert.equal(posts(fake, a, 'jsonrpc_notify').length, 3, 'the 429 was retried');

      fake.inject('response', { kind: 'status', status: 503 });
      const b = fake.enqueue({ response_timeout: '20s', jsonrpc: call(6, 'wait', { ms: 1 }) });
      await fake.terminal(b);
      assert.equal(
        posts(fake, b, 'jsonrpc_notify').length,
        1,
        'after the failure the second notification is skipped',
      );
      assert.equal(fake.responsesFor(b).at(-1)!.payload.resp_type, 'jsonrpc_response');
    });
  });

  test('403 is reported plainly in /readyz and retried slowly', async () => {
    const counter = { now: 0, max: 0, started: 0 };
    const fake = await startFake();
    await withClient(fake, {}, counter, async (client, logs) => {
      fake.inject('poll', {
        kind: 'status',
        status: 403,
        body: { error: { message: 'no Use', type: 'invalid_request_error', code: 'tunnel_use_forbidden' } },
      });
      await eventually(() => client.status.controlPlane.state === 'forbidden', 10_000, 'the refusal');
      const ready = (await (
        await fetch(`${client.opsUrl}/readyz`, { headers: { accept: 'application/json' } })
      ).json()) as { reasons: string[] };
      assert.match(ready.reasons.join(' '), /lacks Tunnels Use/);
      assert.ok(logs.lines().some((l) => /lacks Tunnels Use/.test(String(l.msg))));
      const before = fake.requests.filter((r) => r.path.endsWith('/poll')).length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(fake.requests.filter((r) => r.path.endsWith('/poll')).length, before, 'no spinning');
    });
  });
});

describe('backpressure', { skip: !contract, timeout: 60_000 }, () => {
  test('limit = min(25, free slots); MCP work capped; resident work bounded by queue + workers + 1', async () => {
    const counter = { now: 0, max: 0, started: 0 };
    const fake = await startFake({ overDeliver: 1 });
    const queue = 4;
    const workers = 2;
    await withClient(
      fake,
      { control_plane: { max_inflight_requests: queue }, mcp: { max_concurrent_requests: workers } },
      counter,
      async (client) => {
        let maxResident = 0;
        const sample = setInterval(() => {
          const resident = (
            client.metrics.queued as unknown as { hashMap: Record<string, { value: number }> }
          ).hashMap[''];
          const active = (client.metrics.active as unknown as { hashMap: Record<string, { value: number }> })
            .hashMap[''];
          maxResident = Math.max(maxResident, (resident?.value ?? 0) + (active?.value ?? 0));
        }, 2);
        const ids: string[] = [];
        // The service hands out one command more than each poll asked for.
        for (let i = 0; i < 30; i++) {
          ids.push(fake.enqueue({ response_timeout: '30s', jsonrpc: call(i, 'wait', { ms: 40 }) }));
          await new Promise((resolve) => setTimeout(resolve, 8));
        }
        for (const id of ids) await fake.terminal(id, 20_000);
        clearInterval(sample);
        assert.ok(counter.max <= workers, `MCP concurrency ${counter.max} > ${workers}`);
        assert.ok(maxResident <= queue + workers + 1, `resident ${maxResident} > ${queue + workers + 1}`);
        const limits = fake.requests
          .filter((r) => r.path.endsWith('/poll'))
          .map((r) => Number(r.query.get('limit')));
        assert.ok(
          limits.every((l) => l >= 1 && l <= queue),
          `limits ${limits.join(',')}`,
        );
      },
    );
  });

  test('a service that ignores limit altogether: every command received is still worked and answered', async () => {
    const counter = { now: 0, max: 0, started: 0 };
    const fake = await startFake({ ignoreLimit: true });
    await withClient(
      fake,
      { control_plane: { max_inflight_requests: 2 }, mcp: { max_concurrent_requests: 2 } },
      counter,
      async () => {
        const ids = Array.from({ length: 40 }, (_, i) =>
          fake.enqueue({ response_timeout: '30s', jsonrpc: call(i, 'wait', { ms: 5 }) }),
        );
        for (const id of ids)
          assert.equal((await fake.terminal(id, 20_000)).payload.resp_type, 'jsonrpc_response');
        assert.ok(counter.max <= 2);
      },
    );
  });
});
