// `npm run bench:cluster`: what the Redis broker costs against the embedded one, side by side in one run:
// p50, p99 and calls/s of `tools/call add` through one node at concurrency 1 and 16, embedded (in-process
// broker, SQLite) and as a node of a cluster (Redis broker, the nodes sharing one store); then calls/s
// with the callers spread over three nodes against one. One tunnel-client serves the calculator each
// time, polling node A. Everything runs on this machine, so three nodes share its cores.
import { parseArgs } from 'node:util';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { clusterSkip, startCluster } from '../test/support/cluster.ts';
import { startClient, waitReady } from '../test/support/client-process.ts';
import { createRuntime, keyWith } from '../test/support/management-api.ts';
import { startSystem } from '../test/support/system.ts';
import { percentile } from './report.ts';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '2000' }, warmup: { type: 'string', default: '200' } },
});
const CALLS = Number(values.calls);
const WARMUP = Number(values.warmup);

const skip = await clusterSkip();
if (skip) {
  console.error(`bench:cluster ${skip}`);
  process.exit(1);
}

interface Result {
  p50: number;
  p99: number;
  throughput: number;
}

/**
 * `calls` calls of add(5, 3) by `concurrency` workers, after `warmup` calls; workers take the clients in
 * turn, so calls spread over every client (one per service node, say).
 */
async function measure(
  clients: McpClient[],
  concurrency: number,
  calls: number,
  warmup: number,
): Promise<Result> {
  const call = (client: McpClient) => client.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
  for (let i = 0; i < warmup; i++) await call(clients[i % clients.length]!);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      const client = clients[worker % clients.length]!;
      while (next++ < calls) {
        const t0 = performance.now();
        const result = await call(client);
        latencies.push(performance.now() - t0);
        if ((result.content as { text: string }[])[0]?.text !== '5 + 3 = 8') throw new Error('wrong answer');
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    throughput: (calls / elapsed) * 1000,
  };
}

async function connect(url: URL, key: string): Promise<McpClient> {
  const client = new McpClient({ name: 'bench-cluster', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${key}` } } }),
  );
  return client;
}

interface Row {
  broker: string;
  entry: string;
  concurrency: number;
  result: Result;
}
const rows: Row[] = [];

async function run(broker: string, entry: string, concurrency: number, urls: URL[], key: string) {
  const clients = await Promise.all(urls.map((url) => connect(url, key)));
  try {
    rows.push({ broker, entry, concurrency, result: await measure(clients, concurrency, CALLS, WARMUP) });
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

const embedded = await startSystem();
try {
  const key = await keyWith(embedded.service, ['tunnel.use']);
  for (const concurrency of [1, 16])
    await run('embedded', '1 node', concurrency, [embedded.connectorUrl], key);
} finally {
  await embedded.stop();
}

const cluster = await startCluster();
try {
  const owner = { url: cluster.node('A').url, ownerKey: cluster.ownerKey };
  const runtime = await createRuntime(owner);
  const client = await startClient(owner, runtime);
  try {
    await waitReady(client.opsUrl);
    const key = await keyWith(owner, ['tunnel.use']);
    const connector = (name: string) => new URL(`/v1/mcp/${runtime.tunnelId}`, cluster.node(name).url);
    for (const concurrency of [1, 16]) await run('Redis', '1 node', concurrency, [connector('A')], key);
    await run('Redis', '3 nodes', 16, ['A', 'B', 'C'].map(connector), key);
  } finally {
    await client.stop();
  }
} finally {
  await cluster.stop();
}

const fmt = (n: number) => n.toFixed(2);
const find = (broker: string, entry: string, concurrency: number) =>
  rows.find((r) => r.broker === broker && r.entry === entry && r.concurrency === concurrency)!.result;
console.log(`tools/call add, ${CALLS} calls per row after ${WARMUP} warm-up calls, Node ${process.version}`);
console.log('');
console.log('broker     callers on  conc   p50 ms   p99 ms   calls/s');
for (const { broker, entry, concurrency, result } of rows)
  console.log(
    `${broker.padEnd(10)} ${entry.padEnd(10)} ${String(concurrency).padStart(5)} ${fmt(result.p50).padStart(8)} ${fmt(result.p99).padStart(8)} ${result.throughput.toFixed(0).padStart(9)}`,
  );
console.log('');
for (const concurrency of [1, 16]) {
  const [r, e] = [find('Redis', '1 node', concurrency), find('embedded', '1 node', concurrency)];
  console.log(
    `Redis / embedded, one node, conc ${String(concurrency).padStart(2)}: p50 x${fmt(r.p50 / e.p50)}  calls/s x${fmt(r.throughput / e.throughput)}`,
  );
}
const [three, one] = [find('Redis', '3 nodes', 16), find('Redis', '1 node', 16)];
console.log(`three nodes / one node, conc 16: calls/s x${fmt(three.throughput / one.throughput)}`);
