// MCP across the nodes of a cluster: three tunnel-service nodes on one store and Redis, the real
// tunnel-client polling node B, and callers (the official SDK client, or plain HTTP where a test must cut
// a stream) on nodes A and C. Every feature a caller relies on must work whichever node it reaches.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { clusterSkip, startCluster, type Cluster, type ClusterNode } from '../support/cluster.ts';
import { startClient, waitReady, type Client as TunnelClient } from '../support/client-process.ts';
import { api, createRuntime, type Runtime } from '../support/management-api.ts';
import { connectSdk, postJsonRpc } from '../support/mcp-callers.ts';
import { CHANGING_SERVER, FEATURES_SERVER } from '../support/mcp-servers.ts';
import { readEvents } from '../support/sse.ts';
import { eventually } from '../support/eventually.ts';
import { sample } from '../support/prometheus.ts';

const skip = await clusterSkip();
let cluster: Cluster;
let runtime: Runtime;
let client: TunnelClient;

/** The connector URL of the tunnel on `node`, for a channel (main unless named). */
const connector = (node: ClusterNode, channel?: string) =>
  new URL(`/v1/mcp/${runtime.tunnelId}${channel ? `/${channel}` : ''}`, node.url);

const textOf = (result: unknown) => (result as { content: { text: string }[] }).content[0]!.text;

/** Answers sampling, elicitation and roots, naming `name`. */
function answering(name: string) {
  return (mcp: McpClient) => {
    mcp.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      model: `model-of-${name}`,
      content: { type: 'text', text: `${name} sampled` },
    }));
    mcp.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { name: `${name}-answer` },
    }));
    mcp.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: `file:///home/${name}` }] }));
  };
}

const initialize = {
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'cluster', version: '1' } },
};

/** Initializes a session on `node` with plain HTTP; returns the headers that carry it. */
async function rawSession(node: ClusterNode, channel?: string): Promise<Record<string, string>> {
  const init = await postJsonRpc(connector(node, channel), runtime.runtimeKey, initialize, {
    accept: 'application/json',
  });
  assert.equal(init.status, 200, await init.clone().text());
  await init.text();
  return {
    authorization: `Bearer ${runtime.runtimeKey}`,
    'mcp-session-id': init.headers.get('mcp-session-id')!,
    'mcp-protocol-version': '2025-06-18',
  };
}

describe('MCP across cluster nodes', { skip, timeout: 180_000 }, () => {
  before(async () => {
    cluster = await startCluster({ extraArgs: ['--metrics-port', '0'] });
    const [a, b] = [cluster.node('A'), cluster.node('B')];
    runtime = await createRuntime({ url: a.url, ownerKey: cluster.ownerKey });
    const features = `"${process.execPath}" "${FEATURES_SERVER}"`;
    const changing = `"${process.execPath}" "${CHANGING_SERVER}"`;
    client = await startClient({ url: b.url }, runtime, {
      extraEnv: { MCP_COMMAND: `channel=main,command=${features}\nchannel=changes,command=${changing}` },
    });
    await waitReady(client.opsUrl);
  });
  after(async () => {
    await client?.stop();
    await cluster?.stop();
  });

  test('tools with progress, called on nodes A and C at once, while the client polls node B', async () => {
    // Our client is served over its command stream to node B; the calls reach it through Redis.
    const metrics = async () => (await fetch(new URL('/metrics', client.opsUrl))).text();
    await eventually(
      async () => /^tunnel_client_command_stream_open 1$/m.test(await metrics()),
      15_000,
      'the command stream to node B to open',
    );
    const callers = await Promise.all(
      ['A', 'C'].map((name) => connectSdk(connector(cluster.node(name)), runtime.runtimeKey)),
    );
    try {
      const results = await Promise.all(
        callers.map(async (caller, i) => {
          const progress: number[] = [];
          const result = await caller.mcp.callTool(
            { name: 'slow', arguments: { ms: 300, tag: `t${i}` } },
            undefined,
            {
              onprogress: (p) => progress.push(p.progress),
            },
          );
          return { text: textOf(result), progress };
        }),
      );
      assert.deepEqual(results, [
        { text: 'done t0', progress: [1, 2, 3] },
        { text: 'done t1', progress: [1, 2, 3] },
      ]);
      assert.match(await metrics(), /^tunnel_client_command_stream_messages_total\{kind="response"\} [1-9]/m);
    } finally {
      await Promise.all(callers.map((caller) => caller.end()));
    }
  });

  test("the MCP server's requests during a call on node C reach that caller", async () => {
    const caller = await connectSdk(
      connector(cluster.node('C')),
      runtime.runtimeKey,
      { capabilities: { sampling: {}, elicitation: {}, roots: {} } },
      answering('carol'),
    );
    try {
      const result = await caller.mcp.callTool({ name: 'ask', arguments: { tag: 'hi' } });
      assert.deepEqual(JSON.parse(textOf(result)), {
        sampled: 'carol sampled',
        elicited: 'carol-answer',
        roots: ['file:///home/carol'],
      });
    } finally {
      await caller.end();
    }
  });

  test('a session opened on node A is used and deleted on node C, and then refused on A', async () => {
    const headers = await rawSession(cluster.node('A'));
    const call = await postJsonRpc(
      connector(cluster.node('C')),
      runtime.runtimeKey,
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'pid', arguments: {} } },
      { ...headers, accept: 'application/json' },
    );
    assert.equal(call.status, 200, await call.clone().text());
    const deleted = await fetch(connector(cluster.node('C')), { method: 'DELETE', headers });
    assert.ok(deleted.status < 300, `DELETE answered ${deleted.status}`);
    const after = await postJsonRpc(
      connector(cluster.node('A')),
      runtime.runtimeKey,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { ...headers, accept: 'application/json' },
    );
    assert.equal(after.status, 404, 'the session ended on every node');
  });

  test("the standalone GET stream on node C carries the server's notifications", async () => {
    let opened!: (status: number) => void;
    const streamOpen = new Promise<number>((resolve) => (opened = resolve));
    const transport = new StreamableHTTPClientTransport(connector(cluster.node('C'), 'changes'), {
      requestInit: { headers: { Authorization: `Bearer ${runtime.runtimeKey}` } },
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        if (init?.method === 'GET') opened(response.status);
        return response;
      },
    });
    const mcp = new Client({ name: 'cluster-stream', version: '1' });
    const listChanged = new Promise<void>((resolve) =>
      mcp.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    await mcp.connect(transport);
    try {
      assert.equal(await streamOpen, 200);
      await mcp.callTool({ name: 'announce', arguments: {} });
      await listChanged;
    } finally {
      await transport.terminateSession().catch(() => {});
      await mcp.close();
    }
  });

  test('a stream cut on node A resumes on node C with Last-Event-ID, losing nothing', async () => {
    const headers = await rawSession(cluster.node('A'), 'changes');
    const cut = new AbortController();
    const call = await postJsonRpc(
      connector(cluster.node('A'), 'changes'),
      runtime.runtimeKey,
      {
        jsonrpc: '2.0',
        id: 'count',
        method: 'tools/call',
        params: { name: 'slow_count', arguments: { steps: 8 }, _meta: { progressToken: 'p' } },
      },
      headers,
      cut.signal,
    );
    assert.equal(call.status, 200);
    const seen = await readEvents(call, (events) => events.length >= 2);
    cut.abort();
    assert.deepEqual(
      seen.map((e) => e.message.params?.progress),
      [1, 2],
    );
    const resumed = await fetch(connector(cluster.node('C'), 'changes'), {
      headers: { ...headers, accept: 'text/event-stream', 'last-event-id': seen.at(-1)!.id! },
    });
    assert.equal(resumed.status, 200);
    const rest = await readEvents(resumed, () => false);
    assert.deepEqual(
      rest
        .filter((e) => e.message.method === 'notifications/progress')
        .map((e) => e.message.params?.progress),
      [3, 4, 5, 6, 7, 8],
      'every progress message after the last one seen, once, while the call ran on node A',
    );
    assert.equal(rest.at(-1)!.message.id, 'count');
    assert.deepEqual(rest.at(-1)!.message.result, { content: [{ type: 'text', text: 'counted to 8' }] });
  });

  test('a call on node C past the tunnel’s response_timeout gets 504 at the deadline', async () => {
    const a = cluster.node('A');
    const path = `/v1/tunnels/${runtime.tunnelId}`;
    await api(a.url, cluster.ownerKey, 'POST', path, { response_timeout: '2s' });
    try {
      const started = Date.now();
      const late = await postJsonRpc(
        connector(cluster.node('C')),
        runtime.runtimeKey,
        { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'block', arguments: {} } },
        { accept: 'application/json' },
      );
      const waited = Date.now() - started;
      assert.equal(late.status, 504, await late.clone().text());
      assert.match(((await late.json()) as { error: { message: string } }).error.message, /response_timeout/);
      assert.ok(waited >= 1900 && waited < 15_000, `answered after ${waited} ms`);
    } finally {
      await api(a.url, cluster.ownerKey, 'POST', path, { response_timeout: '60s' });
    }
  });

  test('a tunnel no client polls is offline on every node: 503', async () => {
    const idle = await createRuntime({ url: cluster.node('A').url, ownerKey: cluster.ownerKey });
    for (const name of ['A', 'B', 'C']) {
      const answer = await postJsonRpc(
        new URL(`/v1/mcp/${idle.tunnelId}`, cluster.node(name).url),
        idle.runtimeKey,
        initialize,
      );
      assert.equal(answer.status, 503, `node ${name}`);
      assert.match(await answer.text(), /offline/);
    }
  });

  test("each node's metrics count what happened on it: hand-overs on the client's node, its callers' calls and their outcomes on the others", async () => {
    const scrape = async (name: string) => {
      const [, url] = await cluster.node(name).service.proc.waitFor(/tunnel-service metrics at (\S+)/);
      return (await fetch(url!)).text();
    };
    const [a, b, c] = [await scrape('A'), await scrape('B'), await scrape('C')];
    for (const [name, text] of [
      ['A', a],
      ['B', b],
      ['C', c],
    ] as const) {
      assert.equal(
        sample(text, 'tunnel_service_info', { version: '0.1.0', store: 'postgres', broker: 'redis' }),
        1,
        `node ${name}`,
      );
      assert.ok(
        (sample(text, 'tunnel_service_connector_calls_total', {
          kind: 'request',
          outcome: 'tunnel_offline',
        }) ?? 0) >= 1,
        `node ${name} refused a call to the offline tunnel`,
      );
    }
    // The client streams from node B: every command, whichever node queued it, is handed over there.
    assert.equal(sample(b, 'tunnel_service_command_streams_open'), 1);
    assert.ok(
      (sample(b, 'tunnel_service_command_queue_wait_seconds_count', { carrier: 'stream' }) ?? 0) >= 5,
    );
    for (const text of [a, c]) {
      assert.equal(sample(text, 'tunnel_service_command_streams_open'), 0);
      assert.equal(
        sample(text, 'tunnel_service_command_queue_wait_seconds_count', { carrier: 'stream' }),
        undefined,
      );
      assert.ok(
        (sample(text, 'tunnel_service_connector_calls_total', { kind: 'request', outcome: 'answered' }) ??
          0) >= 1,
      );
    }
    assert.equal(
      sample(c, 'tunnel_service_connector_calls_total', { kind: 'request', outcome: 'timed_out' }),
      1,
    );
  });
});
