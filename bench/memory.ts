// `npm run bench:memory`: the tunnel-client's resident memory, idle and after a minute of calls at
// concurrency 16, beside supergateway `--stateful` serving the same stdio calculator under the same load
// (each gateway's own process; the calculator child is apart in both). The tunnel-client measured is the
// one users install: the npm package's program, built from this checkout first (installed-client.ts),
// run as installed and with the V8 flags the single executable sets (scripts/release/bundle.ts, given
// here through NODE_OPTIONS); `--checkout` also measures the development checkout's (TypeScript sources run by Node) beside it, for
// information. Prints the table of targets; `--json <file>` also writes it; `--seconds N` shortens the load.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ROOT, freePort, startProcess } from '../test/support/processes.ts';
import { eventually } from '../test/support/eventually.ts';
import { keyWith } from '../test/support/management-api.ts';
import { startSystem, startTunnel } from '../test/support/system.ts';
import { CALCULATOR } from '../test/support/mcp-servers.ts';
import { V8_FLAGS } from '../scripts/release/v8-flags.ts';
import { INSTALLED_CLIENT_DIR, buildInstalledClient } from './installed-client.ts';
import { MB, limitRow, machine, printTable, rssOf, writeJson, type Row } from './report.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    'idle-seconds': { type: 'string', default: '10' },
    json: { type: 'string' },
    checkout: { type: 'boolean', default: false },
  },
});
const LOAD_MS = Number(values.seconds) * 1000;
const IDLE_MS = Number(values['idle-seconds']) * 1000;
const CONCURRENCY = 16;
const before = machine();

/** Resident memory of `pid` once every second for `ms`: the last sample and the highest. */
async function watchRss(pid: number, ms: number, during: Promise<void> = Promise.resolve()) {
  let peak = 0;
  let last: number;
  const until = Date.now() + ms;
  do {
    last = await rssOf(pid);
    peak = Math.max(peak, last);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  } while (Date.now() < until);
  await during;
  last = await rssOf(pid);
  return { last, peak: Math.max(peak, last) };
}

/** `add` called by 16 callers on one SDK client for `ms`; resolves with the number of calls. */
async function load(client: McpClient, ms: number): Promise<number> {
  let calls = 0;
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        await client.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
        calls++;
      }
    }),
  );
  return calls;
}

async function connect(url: URL, headers: Record<string, string> = {}): Promise<McpClient> {
  const client = new McpClient({ name: 'bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  return client;
}

const running: { stop: () => Promise<void> }[] = [];
const figures: Record<string, { idle: number; after: number; peak: number; calls: number }> = {};
try {
  const installed = await buildInstalledClient();
  console.log(`tunnel-client: the npm package's program, built into ${INSTALLED_CLIENT_DIR}`);
  const system = await startSystem({ client: { bin: installed } });
  running.push(system);
  const flags = V8_FLAGS['tunnel-client'].join(' ');
  const flagged = await startTunnel(system.service, {
    client: { bin: installed, extraEnv: { NODE_OPTIONS: flags } },
  });
  running.push(flagged);
  const checkout = values.checkout ? await startTunnel(system.service) : undefined;
  if (checkout) running.push(checkout);
  const port = await freePort();
  const supergateway = startProcess([
    join(ROOT, 'node_modules', '.bin', 'supergateway'),
    '--stdio',
    `"${process.execPath}" "${CALCULATOR}"`,
    '--outputTransport',
    'streamableHttp',
    '--stateful',
    '--logLevel',
    'none',
    '--port',
    String(port),
  ]);
  running.push(supergateway);
  const supergatewayUrl = new URL(`http://127.0.0.1:${port}/mcp`);
  await eventually(
    () =>
      fetch(supergatewayUrl).then(
        () => true,
        () => false,
      ),
    // Slow to start on a loaded machine.
    60_000,
    'supergateway to answer',
    200,
  );
  const caller = await keyWith(system.service, ['tunnel.use']);
  const gateways = {
    'tunnel-client': {
      pid: system.client.proc.child.pid!,
      open: () => connect(system.connectorUrl, { Authorization: `Bearer ${caller}` }),
    },
    [`tunnel-client ${flags}`]: {
      pid: flagged.client.proc.child.pid!,
      open: () => connect(flagged.connectorUrl, { Authorization: `Bearer ${caller}` }),
    },
    ...(checkout && {
      'tunnel-client (checkout)': {
        pid: checkout.client.proc.child.pid!,
        open: () => connect(checkout.connectorUrl, { Authorization: `Bearer ${caller}` }),
      },
    }),
    supergateway: { pid: supergateway.child.pid!, open: () => connect(supergatewayUrl) },
  };
  for (const [name, gateway] of Object.entries(gateways)) {
    const idle = await watchRss(gateway.pid, IDLE_MS);
    const client = await gateway.open();
    const calls = load(client, LOAD_MS);
    const loaded = await watchRss(
      gateway.pid,
      LOAD_MS,
      calls.then(() => {}),
    );
    figures[name] = { idle: idle.last, after: loaded.last, peak: loaded.peak, calls: await calls };
    await client.close();
  }
} finally {
  for (const thing of running.reverse()) await thing.stop();
}

const peer = figures.supergateway!;
const seconds = LOAD_MS / 1000;
const rows: Row[] = Object.entries(figures)
  .filter(([name]) => name.startsWith('tunnel-client') && !name.includes('checkout'))
  .flatMap(([name, ours]) => {
    const how =
      name === 'tunnel-client' ? 'npm package' : `npm package, ${name.slice('tunnel-client '.length)}`;
    return [
      limitRow(`tunnel-client RSS, idle (${how})`, 'MB', ours.idle / MB, 80, {
        name: 'supergateway',
        value: peer.idle / MB,
      }),
      limitRow(
        `tunnel-client RSS after ${seconds} s at concurrency 16 (${how})`,
        'MB',
        ours.after / MB,
        120,
        {
          name: 'supergateway',
          value: peer.after / MB,
        },
      ),
    ];
  });
const after = machine();
for (const [name, f] of Object.entries(figures))
  console.log(
    `${name}: idle ${(f.idle / MB).toFixed(1)} MB; after ${seconds} s at concurrency 16 (${f.calls} calls) ${(f.after / MB).toFixed(1)} MB, peak ${(f.peak / MB).toFixed(1)} MB`,
  );
console.log('');
printTable(rows, before, after);
if (values.json) writeJson(values.json, 'memory', rows, { before, after }, figures);
