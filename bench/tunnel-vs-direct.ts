// `npm run bench`: the tunnel against the inbound-port gateways it replaces and against calling the same
// server directly, in one run on this machine, printed as a table of targets (our figure, the peer's,
// the ratio, target met or not); `--json <file>` also writes it. The calculator's `add` is called with the
// official SDK client through: the tunnel (service and tunnel-client serving the stdio calculator),
// supergateway `--stateful` and mcp-proxy (each exposing the same stdio calculator on a local port), and
// the calculator's own Streamable HTTP server. The targets are rounds of calls taken in turn, so a change
// in the machine's load mid-run weighs on each of them alike. Then `tunnel-client --version` as users
// install it (the npm package's program, built from this checkout first: installed-client.ts) beside
// `node -e 0`, the floor of any start-up, and the development checkout's, and a 10 MiB
// tool result through the tunnel against the same server called directly over stdio. The CPU time each
// process on a path spent per call is printed too: unlike wall time, it holds on a loaded machine.
// The memory and idle-tunnel figures have their own runs: `npm run bench:memory`, `npm run bench:idle`.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CLIENT_BIN, ROOT, freePort, runCli, startProcess } from '../test/support/processes.ts';
import { eventually } from '../test/support/eventually.ts';
import { keyWith } from '../test/support/management-api.ts';
import { startSystem, startTunnel } from '../test/support/system.ts';
import { CALCULATOR, CALCULATOR_HTTP, FEATURES_SERVER } from '../test/support/mcp-servers.ts';
import { buildInstalledClient } from './installed-client.ts';
import {
  cpuMsOf,
  descendantsOf,
  limitRow,
  machine,
  median,
  percentile,
  printTable,
  ratioRow,
  writeJson,
  type Row,
} from './report.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1200' },
    warmup: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    'big-calls': { type: 'string', default: '5' },
    json: { type: 'string' },
  },
});
const CALLS = Number(values.calls);
const WARMUP = Number(values.warmup);
const ROUNDS = Number(values.rounds);
const BIG_CALLS = Number(values['big-calls']);
const CONCURRENCIES = [1, 16] as const;
const TEN_MIB = 10 * 1024 * 1024;
const before = machine();

interface Sample {
  latencies: number[];
  elapsedMs: number;
  calls: number;
}

interface Result {
  p50: number;
  p99: number;
  throughput: number;
}

/** `calls` calls of `add` by `concurrency` callers sharing one SDK client, added to `into`. */
async function measure(client: McpClient, concurrency: number, calls: number, into: Sample): Promise<void> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) {
        const t0 = performance.now();
        const result = await client.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
        into.latencies.push(performance.now() - t0);
        if ((result.content as { text: string }[])[0]?.text !== '5 + 3 = 8') throw new Error('wrong answer');
      }
    }),
  );
  into.elapsedMs += performance.now() - started;
  into.calls += calls;
}

const summary = ({ latencies, elapsedMs, calls }: Sample): Result => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), throughput: (calls / elapsedMs) * 1000 };
};

async function connect(transport: Transport): Promise<McpClient> {
  const client = new McpClient({ name: 'bench', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** Waits until something answers HTTP on the port (the peers print nothing useful when quiet). */
const answering = (url: string) =>
  eventually(
    () =>
      fetch(url, { method: 'GET', signal: AbortSignal.timeout(1000) }).then(
        () => true,
        () => false,
      ),
    // Slow to start on a loaded machine.
    60_000,
    `${url} to answer`,
    200,
  );

/** Median wall time of running a command to its end, in ms. */
/** Start-up to exit of each command line, the median of `runs`, run in turn so a change of load weighs on all alike. */
async function startUpMs(commands: Record<string, string[]>, runs = 5): Promise<Record<string, number>> {
  const times: Record<string, number[]> = {};
  for (let i = 0; i < runs; i++)
    for (const [name, args] of Object.entries(commands)) {
      const t0 = performance.now();
      const { code, output } = await runCli(args);
      if (code !== 0) throw new Error(`${args.join(' ')} failed (${code}): ${output}`);
      (times[name] ??= []).push(performance.now() - t0);
    }
  return Object.fromEntries(Object.entries(times).map(([name, ms]) => [name, median(ms)]));
}

const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
const calculatorCommand = `"${process.execPath}" "${CALCULATOR}"`;

/** What this run started, stopped in reverse order at the end even when a step fails. */
const running: { stop: () => Promise<void> }[] = [];
const started = <T extends { stop: () => Promise<void> }>(thing: T): T => {
  running.push(thing);
  return thing;
};

const samples: Record<string, Record<number, Sample>> = {};
/** Per target, the processes on its path (named) and the CPU ms each used during the measured calls. */
const cpu: Record<string, Record<string, { pid: number; ms: number }>> = {};

/** The processes on a path: each named one and its descendants (the MCP server a gateway spawned). */
async function pathProcesses(
  named: Record<string, number>,
): Promise<Record<string, { pid: number; ms: number }>> {
  const found: Record<string, { pid: number; ms: number }> = {};
  for (const [name, pid] of Object.entries(named)) {
    found[name] = { pid, ms: 0 };
    // A gateway's MCP server may run under a shell: every process below it counts as the server.
    for (const [i, child] of (await descendantsOf(pid)).entries())
      found[`${name}'s server${i ? ` ${i + 1}` : ''}`] = { pid: child, ms: 0 };
  }
  return found;
}

async function counted(processes: Record<string, { pid: number; ms: number }>, work: () => Promise<void>) {
  const before = await Promise.all(Object.values(processes).map((p) => cpuMsOf(p.pid)));
  await work();
  const after = await Promise.all(Object.values(processes).map((p) => cpuMsOf(p.pid)));
  Object.values(processes).forEach((p, i) => (p.ms += after[i]! - before[i]!));
}
const bigMs: Record<string, number[]> = { tunnel: [], 'direct stdio': [] };
let versionMs: Record<string, number> | undefined;
try {
  // First, alone: on a loaded machine the service's start is the slowest. Large enough for the 10 MiB result.
  const system = started(
    await startSystem({ service: { extraArgs: ['--max-body-bytes', String(24 * 1024 * 1024)] } }),
  );
  const supergatewayUrl = `http://127.0.0.1:${await freePort()}/mcp`;
  const supergateway = started(
    startProcess([
      bin('supergateway'),
      '--stdio',
      calculatorCommand,
      '--outputTransport',
      'streamableHttp',
      '--stateful',
      '--logLevel',
      'none',
      '--port',
      new URL(supergatewayUrl).port,
    ]),
  );
  const mcpProxyUrl = `http://127.0.0.1:${await freePort()}/mcp`;
  const mcpProxy = started(
    startProcess([bin('mcp-proxy'), '--port', new URL(mcpProxyUrl).port, '--', process.execPath, CALCULATOR]),
  );
  const calculatorHttp = started(startProcess([CALCULATOR_HTTP, '0']));
  await answering(supergatewayUrl);
  await answering(mcpProxyUrl);
  const [, calculatorUrl] = await calculatorHttp.waitFor(/calculator listening on (\S+)/);
  const caller = await keyWith(system.service, ['tunnel.use']);
  const overHttp = (url: URL, headers: Record<string, string> = {}) =>
    connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));

  const clients: Record<string, McpClient> = {
    tunnel: await overHttp(system.connectorUrl, { Authorization: `Bearer ${caller}` }),
    supergateway: await overHttp(new URL(supergatewayUrl)),
    'direct http': await overHttp(new URL(calculatorUrl!)),
    'mcp-proxy': await overHttp(new URL(mcpProxyUrl)),
  };
  const names = Object.keys(clients);
  const empty = (): Sample => ({ latencies: [], elapsedMs: 0, calls: 0 });
  for (const name of names) {
    samples[name] = { 1: empty(), 16: empty() };
    await measure(clients[name]!, 1, WARMUP, empty());
  }
  // After the warm-up calls: a gateway may spawn its MCP server at the first session.
  const pid = (proc: { child: { pid?: number } }) => proc.child.pid!;
  cpu.tunnel = await pathProcesses({
    'tunnel-service': pid(system.service.proc),
    'tunnel-client': pid(system.client.proc),
  });
  cpu.supergateway = await pathProcesses({ supergateway: pid(supergateway) });
  cpu['direct http'] = await pathProcesses({ calculator: pid(calculatorHttp) });
  cpu['mcp-proxy'] = await pathProcesses({ 'mcp-proxy': pid(mcpProxy) });
  for (let round = 0; round < ROUNDS; round++)
    for (let i = 0; i < names.length; i++) {
      // Each round starts with the next target, so none always runs first or last.
      const name = names[(i + round) % names.length]!;
      for (const concurrency of CONCURRENCIES)
        await counted(cpu[name]!, () =>
          measure(clients[name]!, concurrency, Math.ceil(CALLS / ROUNDS), samples[name]![concurrency]!),
        );
    }
  for (const client of Object.values(clients)) await client.close();

  const installedClient = await buildInstalledClient();
  versionMs = await startUpMs({
    'tunnel-client': [installedClient, '--version'],
    supergateway: [bin('supergateway'), '--version'],
    'node -e 0': ['-e', '0'],
    'tunnel-client --help': [installedClient, '--help'],
    'tunnel-client --version (checkout)': [CLIENT_BIN, '--version'],
  });

  const features = started(
    await startTunnel(system.service, {
      client: { mcpCommand: `"${process.execPath}" "${FEATURES_SERVER}"` },
    }),
  );
  const big = {
    tunnel: await overHttp(features.connectorUrl, { Authorization: `Bearer ${caller}` }),
    'direct stdio': await connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [FEATURES_SERVER],
        maxBufferSize: 32 * 1024 * 1024,
      }),
    ),
  };
  for (let i = 0; i < BIG_CALLS + 1; i++)
    for (const [name, client] of Object.entries(big)) {
      const t0 = performance.now();
      const result = await client.callTool({ name: 'big', arguments: { bytes: TEN_MIB } });
      if ((result.content as { text: string }[])[0]?.text.length !== TEN_MIB) throw new Error('short result');
      // The first call of each warms up.
      if (i > 0) bigMs[name]!.push(performance.now() - t0);
    }
  for (const client of Object.values(big)) await client.close();
} finally {
  for (const thing of running.reverse()) await thing.stop();
}

const results = Object.fromEntries(
  Object.entries(samples).map(([name, byConcurrency]) => [
    name,
    { 1: summary(byConcurrency[1]!), 16: summary(byConcurrency[16]!) },
  ]),
);
const tunnel = results.tunnel!;
const peer = (name: string, value: number) => ({ name, value });
const rows: Row[] = [
  ratioRow(
    'tools/call p50, concurrency 1',
    'ms',
    tunnel[1].p50,
    peer('supergateway', results.supergateway![1].p50),
    '<=',
    1.5,
  ),
  ratioRow(
    'calls/s, concurrency 16',
    'calls/s',
    tunnel[16].throughput,
    peer('supergateway', results.supergateway![16].throughput),
    '>=',
    1.5,
  ),
  ratioRow(
    'calls/s, concurrency 16',
    'calls/s',
    tunnel[16].throughput,
    peer('direct http', results['direct http']![16].throughput),
    '>=',
    1,
  ),
  limitRow(
    'tunnel-client --version (npm package)',
    'ms',
    versionMs!['tunnel-client']!,
    150,
    peer('supergateway', versionMs!.supergateway!),
  ),
  ratioRow(
    '10 MiB tool result',
    'ms',
    median(bigMs.tunnel!),
    peer('direct stdio', median(bigMs['direct stdio']!)),
    '<=',
    2,
  ),
];
const after = machine();

const fmt = (n: number) => n.toFixed(2);
console.log(
  `tools/call add: ${CALLS} calls per row in ${ROUNDS} rounds after ${WARMUP} warm-up calls; 10 MiB result: median of ${BIG_CALLS}`,
);
console.log('');
console.log('target         conc   p50 ms   p99 ms   calls/s');
for (const [name, byConcurrency] of Object.entries(results))
  for (const concurrency of CONCURRENCIES) {
    const r = byConcurrency[concurrency];
    console.log(
      `${name.padEnd(14)} ${String(concurrency).padStart(4)} ${fmt(r.p50).padStart(8)} ${fmt(r.p99).padStart(8)} ${r.throughput.toFixed(0).padStart(9)}`,
    );
  }
console.log('');
console.log('CPU time per call, by process on the path (ms):');
for (const [name, processes] of Object.entries(cpu)) {
  const calls = samples[name]![1]!.calls + samples[name]![16]!.calls;
  const parts = Object.entries(processes).map(([process, { ms }]) => `${process} ${(ms / calls).toFixed(2)}`);
  const total = Object.values(processes).reduce((sum, p) => sum + p.ms, 0) / calls;
  console.log(`${name.padEnd(14)} ${total.toFixed(2)} = ${parts.join(' + ')}`);
}
console.log(
  `start-up to exit (median of 5): ${Object.entries(versionMs!)
    .map(([k, v]) => `${k} ${v.toFixed(0)} ms`)
    .join(', ')}`,
);
console.log('');
printTable(rows, before, after);
if (values.json)
  writeJson(
    values.json,
    'tunnel-vs-direct',
    rows,
    { before, after },
    { calls: results, cpuMs: cpu, versionMs, bigMs },
  );
