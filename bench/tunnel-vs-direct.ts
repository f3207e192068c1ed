// `npm run bench`: latency (p50, p99) and throughput of `tools/call add` through the tunnel, against the
// same calculator called directly over stdio and over Streamable HTTP, and against two peers that expose
// the stdio calculator over Streamable HTTP on a local port (supergateway and mcp-proxy: the inbound-port
// set-up a tunnel replaces), at concurrency 1 and 16, all in one run on this machine. Results are printed
// as ratios; absolute numbers depend on the machine and are shown only for context.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ROOT, freePort, startProcess } from '../test/support/processes.ts';
import { measure, type Result } from './measure.ts';
import { eventually } from '../test/support/eventually.ts';
import { keyWith } from '../test/support/management-api.ts';
import { startSystem } from '../test/support/system.ts';
import { CALCULATOR, CALCULATOR_HTTP } from '../test/support/mcp-servers.ts';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '2000' }, warmup: { type: 'string', default: '200' } },
});
const CALLS = Number(values.calls);
const WARMUP = Number(values.warmup);
const CONCURRENCIES = [1, 16];

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
    20_000,
    `${url} to answer`,
    200,
  );

const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
const calculatorCommand = `"${process.execPath}" "${CALCULATOR}"`;
const supergatewayPort = await freePort();
const supergateway = startProcess([
  bin('supergateway'),
  '--stdio',
  calculatorCommand,
  '--outputTransport',
  'streamableHttp',
  '--stateful',
  '--logLevel',
  'none',
  '--port',
  String(supergatewayPort),
]);
const mcpProxyPort = await freePort();
const mcpProxy = startProcess([
  bin('mcp-proxy'),
  '--port',
  String(mcpProxyPort),
  '--',
  process.execPath,
  CALCULATOR,
]);
const supergatewayUrl = `http://127.0.0.1:${supergatewayPort}/mcp`;
const mcpProxyUrl = `http://127.0.0.1:${mcpProxyPort}/mcp`;
await answering(supergatewayUrl);
await answering(mcpProxyUrl);

const system = await startSystem();
const calculatorHttp = startProcess([CALCULATOR_HTTP, '0']);
const [, calculatorUrl] = await calculatorHttp.waitFor(/calculator listening on (\S+)/);
const caller = await keyWith(system.service, ['tunnel.use']);

const targets: Record<string, () => Promise<McpClient>> = {
  'direct stdio': () => connect(new StdioClientTransport({ command: process.execPath, args: [CALCULATOR] })),
  'direct http': () => connect(new StreamableHTTPClientTransport(new URL(calculatorUrl!))),
  supergateway: () => connect(new StreamableHTTPClientTransport(new URL(supergatewayUrl))),
  'mcp-proxy': () => connect(new StreamableHTTPClientTransport(new URL(mcpProxyUrl))),
  tunnel: () =>
    connect(
      new StreamableHTTPClientTransport(system.connectorUrl, {
        requestInit: { headers: { Authorization: `Bearer ${caller}` } },
      }),
    ),
};

const results: Record<string, Record<number, Result>> = {};
try {
  for (const [name, open] of Object.entries(targets)) {
    results[name] = {};
    for (const concurrency of CONCURRENCIES) {
      const client = await open();
      results[name][concurrency] = await measure([client], concurrency, CALLS, WARMUP);
      await client.close();
    }
  }
} finally {
  await calculatorHttp.stop();
  await supergateway.stop();
  await mcpProxy.stop();
  await system.stop();
}

const fmt = (n: number) => n.toFixed(2);
console.log(`tools/call add, ${CALLS} calls per row after ${WARMUP} warm-up calls, Node ${process.version}`);
console.log('');
console.log('target         conc   p50 ms   p99 ms   calls/s');
for (const [name, byConcurrency] of Object.entries(results)) {
  for (const [concurrency, r] of Object.entries(byConcurrency)) {
    console.log(
      `${name.padEnd(14)} ${concurrency.padStart(4)} ${fmt(r.p50).padStart(8)} ${fmt(r.p99).padStart(8)} ${r.throughput.toFixed(0).padStart(9)}`,
    );
  }
}
console.log('');
console.log('ratios: tunnel / other (latency: lower is better; throughput: higher is better)');
for (const direct of ['direct stdio', 'direct http', 'supergateway', 'mcp-proxy']) {
  for (const concurrency of CONCURRENCIES) {
    const t = results.tunnel![concurrency]!;
    const d = results[direct]![concurrency]!;
    console.log(
      `vs ${direct.padEnd(12)} conc ${String(concurrency).padStart(2)}: p50 x${fmt(t.p50 / d.p50)}  p99 x${fmt(t.p99 / d.p99)}  throughput x${fmt(t.throughput / d.throughput)}`,
    );
  }
}
