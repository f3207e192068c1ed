// A cluster losing parts under load: three tunnel-service nodes on one store and a Redis of their own,
// HAProxy in front of node B (node C its backup) for the real tunnel-client, callers on nodes A and C.
// A node killed with SIGKILL fails only the callers it held; a killed polled node costs the client under
// 2 s; a Redis restart gives callers an answer or a clear error, never a hang, and service within 5 s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterSkip, startCluster, type Cluster, type ClusterNode } from '../support/cluster.ts';
import { startClient, waitReady, type Client as TunnelClient } from '../support/client-process.ts';
import { eventually } from '../support/eventually.ts';
import { haproxySkip, startHaproxy, type LoadBalancer } from '../support/haproxy.ts';
import { api, createRuntime, type Runtime } from '../support/management-api.ts';
import { postJsonRpc } from '../support/mcp-callers.ts';
import { FEATURES_SERVER } from '../support/mcp-servers.ts';

const skip = clusterSkip() || haproxySkip();
let cluster: Cluster;
let balancer: LoadBalancer;
let runtime: Runtime;
let client: TunnelClient;
/** The headers of an MCP session opened once; sessions live in the store, so every node knows it. */
let session: Record<string, string>;

const connector = (node: ClusterNode) => new URL(`/v1/mcp/${runtime.tunnelId}`, node.url);

interface Outcome {
  status: number;
  /** The JSON-RPC result's text, or the error's message. */
  text: string;
  startedAt: number;
  endedAt: number;
}

/** One tools/call on `node`, JSON answer; a call that takes 20 s counts as hung and fails the test. */
async function call(node: ClusterNode, tool: string, args: Record<string, unknown> = {}): Promise<Outcome> {
  const startedAt = Date.now();
  const response = await postJsonRpc(
    connector(node),
    runtime.runtimeKey,
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: args } },
    { ...session, accept: 'application/json' },
    AbortSignal.timeout(20_000),
  );
  const body = (await response.json()) as {
    result?: { content: { text: string }[] };
    error?: { message: string };
  };
  return {
    status: response.status,
    text: body.result?.content[0]?.text ?? body.error?.message ?? JSON.stringify(body),
    startedAt,
    endedAt: Date.now(),
  };
}

/** The newest poll the service has seen from the tunnel's client, asked on `node`. */
async function lastPoll(node: ClusterNode): Promise<number> {
  const tunnel = await api<{ clients: { last_poll_at: string }[] }>(
    node.url,
    cluster.ownerKey,
    'GET',
    `/v1/tunnels/${runtime.tunnelId}`,
  );
  return Math.max(0, ...tunnel.clients.map((c) => Date.parse(c.last_poll_at)));
}

describe('a cluster losing a node or Redis', { skip, timeout: 240_000 }, () => {
  before(async () => {
    cluster = await startCluster();
    balancer = await startHaproxy([
      { name: 'B', port: cluster.node('B').port },
      { name: 'C', port: cluster.node('C').port, backup: true },
    ]);
    runtime = await createRuntime({ url: cluster.node('A').url, ownerKey: cluster.ownerKey });
    client = await startClient({ url: balancer.url }, runtime, {
      mcpCommand: `"${process.execPath}" "${FEATURES_SERVER}"`,
    });
    await waitReady(client.opsUrl);
    const init = await postJsonRpc(
      connector(cluster.node('A')),
      runtime.runtimeKey,
      {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'failures', version: '1' },
        },
      },
      { accept: 'application/json' },
    );
    assert.equal(init.status, 200);
    await init.text();
    session = { 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-06-18' };
  });
  after(async () => {
    await client?.stop();
    await balancer?.stop();
    await cluster?.stop();
  });

  test("kill -9 of a caller's node fails that caller; calls on other nodes complete", async () => {
    const a = cluster.node('A');
    const c = cluster.node('C');
    const held = await postJsonRpc(
      connector(a),
      runtime.runtimeKey,
      {
        jsonrpc: '2.0',
        id: 'held',
        method: 'tools/call',
        params: { name: 'slow', arguments: { ms: 6000, tag: 'on-a' }, _meta: { progressToken: 'h' } },
      },
      session,
    );
    assert.equal(held.status, 200);
    const events = held.body!.pipeThrough(new TextDecoderStream()).getReader();
    assert.match((await events.read()).value ?? '', /progress/, 'the call on node A runs');
    const others = [1, 2, 3].map((n) => call(c, 'slow', { ms: 1500, tag: `on-c-${n}` }));

    await a.kill();
    await assert.rejects(
      (async () => {
        for (;;) if ((await events.read()).done) throw new Error('ended without an answer');
      })(),
      'the caller on the killed node loses its connection',
    );
    const completed = await Promise.all(others);
    assert.deepEqual(
      completed.map((o) => [o.status, o.text]),
      [1, 2, 3].map((n) => [200, `done on-c-${n}`]),
    );
    assert.equal((await call(c, 'pid')).status, 200, 'the cluster serves on');

    const restarted = await cluster.restart('A');
    const again = await call(restarted, 'pid');
    assert.equal(again.status, 200, again.text);
  });

  test('kill -9 of the node the client polls: it polls another within 2 s, and calls succeed', async (t) => {
    const a = cluster.node('A');
    const before = await lastPoll(a);
    assert.ok(before > 0, 'the client polls through the load balancer');
    const killedAt = Date.now();
    await cluster.node('B').kill();
    let polledAt = 0;
    await eventually(
      async () => (polledAt = await lastPoll(a)) > killedAt,
      15_000,
      'a poll after node B was killed',
      100,
    );
    t.diagnostic(`the client polled again ${polledAt - killedAt} ms after node B was killed`);
    assert.ok(polledAt - killedAt < 2000, `the client polled again ${polledAt - killedAt} ms after the kill`);
    const answered = await call(a, 'pid');
    assert.equal(answered.status, 200, answered.text);
  });

  test('Redis restarted under load: every caller gets an answer or a clear error, and service returns within 5 s', async (t) => {
    const nodes = [cluster.node('A'), cluster.node('C')];
    const outcomes: Outcome[] = [];
    let running = true;
    const loops = [0, 1, 2, 3].map(async (i) => {
      while (running) outcomes.push(await call(nodes[i % 2]!, 'pid'));
    });
    try {
      await eventually(
        () => outcomes.filter((o) => o.status === 200).length >= 8,
        20_000,
        'calls under load',
      );
      await cluster.redis.kill();
      await eventually(
        () => outcomes.some((o) => o.status !== 200),
        10_000,
        'a call refused while Redis is down',
      );
      await cluster.redis.start();
      const backAt = Date.now();
      await eventually(
        () => outcomes.some((o) => o.status === 200 && o.startedAt >= backAt),
        20_000,
        () => `a call answered after Redis came back; last outcomes ${JSON.stringify(outcomes.slice(-4))}`,
      );
      const first = outcomes.find((o) => o.status === 200 && o.startedAt >= backAt)!;
      t.diagnostic(`served again ${first.endedAt - backAt} ms after Redis was back`);
      assert.ok(
        first.endedAt - backAt < 5000,
        `served again ${first.endedAt - backAt} ms after Redis was back`,
      );
    } finally {
      running = false;
      await Promise.allSettled(loops);
    }
    // A hung call would have thrown (20 s timeout) and failed its loop.
    for (const loop of await Promise.allSettled(loops))
      assert.equal(loop.status, 'fulfilled', String((loop as PromiseRejectedResult).reason));
    const refused = outcomes.filter((o) => o.status !== 200);
    t.diagnostic(
      `${outcomes.length} calls, ${refused.length} refused: ${[...new Set(refused.map((o) => o.text))].join(' | ')}`,
    );
    assert.ok(refused.length > 0);
    for (const o of refused) {
      assert.equal(o.status, 503, JSON.stringify(o));
      assert.match(o.text, /Redis|offline/, 'the refusal says why');
    }
  });
});
