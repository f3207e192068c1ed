// Soak run of the tunnel-client against the contract-true fake of the hosted service: thousands of
// calls with random deadlines, injected faults (429 with Retry-After, 503, dropped connections, 404 on
// responses) and a stdio child killed mid-run. Every call must end in a result or a correct error (or,
// past its deadline, in silence), nothing may hang, and memory must stay flat.
// SOAK_SECONDS (default 120) bounds it; exit code 1 on any problem.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { loadContract } from '../test/support/contract.ts';
import { FakeHostedService, type Fault } from '../test/support/fake-hosted-service.ts';
import { defineConfig, startTunnelClient } from '../packages/client/src/index.ts';
import { createLogger } from '../packages/client/src/observability/logger.ts';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const CALLERS = Number(process.env.SOAK_CALLERS ?? 24);
const HEAP_GROWTH_LIMIT_MB = 8;
const TUNNEL_ID = 'tunnel_0123456789abcdef0123456789abcdef';
const API_KEY = 'mcpt_soak_key';
const FIXTURE = fileURLToPath(new URL('../packages/client/test/fixtures/test-server.ts', import.meta.url));

const contract = loadContract();
if (!contract) {
  console.log('soak skipped: ../shared/contract/openapi.json is not beside this checkout');
  process.exit(0);
}

function memoryServer(): McpServer {
  const server = new McpServer({ name: 'soak', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('wait', { inputSchema: { ms: z.number() } }, async ({ ms }, extra) => {
    await extra.sendNotification({
      method: 'notifications/message',
      params: { level: 'info', data: 'tick' },
    });
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { content: [{ type: 'text', text: `waited ${ms}` }] };
  });
  return server;
}

const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;

const fake = await new FakeHostedService({
  tunnelId: TUNNEL_ID,
  apiKey: API_KEY,
  contract,
  maxPollWaitMs: 200,
}).start();
let logLines = 0;
const sink = new Writable({ write: (_c, _e, done) => (logLines++, done()) });
const client = await startTunnelClient(
  defineConfig({
    control_plane: { base_url: fake.url, tunnel_id: TUNNEL_ID, api_key: API_KEY, max_inflight_requests: 20 },
    health: { listen_addr: '127.0.0.1:0' },
    mcp: {
      commands: [{ channel: 'main', command: `"${process.execPath}" "${FIXTURE}"` }],
      max_concurrent_requests: 10,
      server_wait_timeout: '5s',
    },
  }),
  { servers: { memory: memoryServer() }, logger: createLogger({ level: 'warn', format: 'json' }, sink) },
);
await client.started;

interface Call {
  id: string;
  deadlineAt: number | undefined;
  /** When the service gave up on it (a later answer gets 404). */
  expiredAt: number | undefined;
  createdAt: number;
  kill: boolean;
  done: (outcome: string) => void;
}
const open = new Map<string, Call>();
const outcomes: Record<string, number> = {};
const problems: string[] = [];
const faults: Record<string, number> = {};
let calls = 0;
let kills = 0;

let lastPollFault = 0;
function inject(): void {
  const kind = pick(['poll429', 'poll503', 'pollDrop', 'resp429', 'resp503', 'respDrop', 'none', 'none']);
  const fault: Record<string, Fault> = {
    poll429: { kind: 'status', status: 429, headers: { 'retry-after': String(pick([0, 1])) } },
    poll503: { kind: 'status', status: 503 },
    pollDrop: { kind: 'drop' },
    resp429: { kind: 'status', status: 429, headers: { 'retry-after': '0' } },
    resp503: { kind: 'status', status: 503 },
    respDrop: { kind: 'drop' },
  };
  if (kind === 'none') return;
  const route = kind.startsWith('poll') ? 'poll' : 'response';
  // One fault at a time per route, and a poll fault at most every 2 s: back-to-back poll faults are an
  // outage, which the poller rides out with backoff up to 30 s (longer than this run's hang limit).
  if (fake.pendingFaults(route)) return;
  if (route === 'poll' && Date.now() - lastPollFault < 2000) return;
  if (route === 'poll') lastPollFault = Date.now();
  faults[kind] = (faults[kind] ?? 0) + 1;
  fake.inject(route, fault[kind]!);
}

/** One call: random channel, tool and deadline; resolves with how it ended. */
function oneCall(): Promise<void> {
  calls++;
  const deadlineMs = pick([undefined, 150, 500, 2000, 5000, 10_000]);
  const kill = killsDue > kills;
  const memory = Math.random() < 0.5;
  const jsonrpc = kill
    ? { jsonrpc: '2.0', id: calls, method: 'tools/call', params: { name: 'exit', arguments: {} } }
    : memory
      ? {
          jsonrpc: '2.0',
          id: calls,
          method: 'tools/call',
          params: { name: 'wait', arguments: { ms: pick([0, 5, 50, 300]) } },
        }
      : {
          jsonrpc: '2.0',
          id: `c${calls}`,
          method: 'tools/call',
          params: { name: 'add', arguments: { a: calls, b: 1 } },
        };
  if (kill) kills++;
  return new Promise((resolve) => {
    const id = fake.enqueue({
      channel: memory && !kill ? 'memory' : 'main',
      ...(deadlineMs === undefined ? {} : { response_timeout: `${deadlineMs}ms` }),
      jsonrpc,
    });
    const call: Call = {
      id,
      deadlineAt: deadlineMs === undefined ? undefined : Date.now() + deadlineMs,
      expiredAt: undefined,
      createdAt: Date.now(),
      kill,
      done: (outcome) => {
        open.delete(id);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        resolve();
      },
    };
    open.set(id, call);
    // The service sometimes gives up on a call early (its answer then gets 404).
    if (Math.random() < 0.03)
      setTimeout(
        () => {
          call.expiredAt = Date.now();
          fake.expire(id);
        },
        pick([1, 20, 100]),
      );
  });
}

function settle(): void {
  const { responses } = fake.drain();
  for (const r of responses) {
    if (r.payload.resp_type === 'jsonrpc_notify') continue;
    const call = open.get(r.payload.request_id);
    if (!call) continue;
    const json = r.payload.resp_json as {
      result?: unknown;
      error?: { code: number; data?: { tunnel_failure?: { source: string } } };
    };
    if (json?.result) call.done('result');
    else if (json?.error?.data?.tunnel_failure) call.done(`error:${json.error.data.tunnel_failure.source}`);
    else {
      problems.push(`unexpected answer ${JSON.stringify(json).slice(0, 200)}`);
      call.done('bad');
    }
  }
  const now = Date.now();
  for (const call of open.values()) {
    // Past its deadline (plus slack) a call may end in silence: the service would have answered 504.
    if (call.deadlineAt !== undefined && now > call.deadlineAt + 1000) call.done('expired');
    // A call the service gave up on gets its answer refused (404): silence is right.
    else if (call.expiredAt !== undefined && now > call.expiredAt + 1000) call.done('gone');
    else if (now - call.createdAt > 30_000) {
      problems.push(`call ${call.id} without a deadline hung for 30 s`);
      call.done('hung');
    }
  }
}

const started = Date.now();
const stopAt = started + SECONDS * 1000;
const settler = setInterval(settle, 50);
const injector = setInterval(inject, 250);
// The stdio child is killed (its exit tool) twice mid-run.
let killsDue = 0;
const killers = [0.4, 0.7].map((at) => setTimeout(() => killsDue++, SECONDS * 1000 * at));
let startMem: NodeJS.MemoryUsage | undefined;
const warmup = setTimeout(
  () => {
    globalThis.gc?.();
    startMem = process.memoryUsage();
  },
  Math.min(10_000, (SECONDS * 1000) / 4),
);

// Heap after a full collection, every tenth of the run: a leak shows as a steady climb, not a plateau.
const heapSeries: number[] = [];
const sampler = setInterval(
  () => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    heapSeries.push(mb(m.heapUsed));
  },
  (SECONDS * 1000) / 10,
);

await Promise.all(
  Array.from({ length: CALLERS }, async () => {
    while (Date.now() < stopAt) await oneCall();
  }),
);
clearInterval(injector);
for (const killer of killers) clearTimeout(killer);
clearInterval(settler);
clearTimeout(warmup);
clearInterval(sampler);
settle();
globalThis.gc?.();
const endMem = process.memoryUsage();
startMem ??= endMem;
await client.stop();
await fake.stop();

// Live objects after a full collection: a few MB of slack for caches and JIT, far below what a per-call
// leak leaves behind over thousands of calls (about 1 KB each).
const heapGrowth = endMem.heapUsed - startMem.heapUsed;
if (heapGrowth > HEAP_GROWTH_LIMIT_MB * 1024 * 1024)
  problems.push(`heap grew ${mb(heapGrowth)} MB after warm-up (limit ${HEAP_GROWTH_LIMIT_MB} MB)`);
const report = {
  seconds: Math.round((Date.now() - started) / 1000),
  calls,
  child_kills: kills,
  faults_injected: faults,
  outcomes,
  still_open: open.size,
  log_lines: logLines,
  rss_mb: { start: mb(startMem.rss), end: mb(endMem.rss) },
  heap_used_mb: { start: mb(startMem.heapUsed), end: mb(endMem.heapUsed), series: heapSeries },
  violations: fake.violations.length,
  problems: problems.slice(0, 10),
};
console.log(JSON.stringify(report, null, 2));
if (open.size || problems.length || fake.violations.length) {
  console.error('soak FAILED');
  process.exit(1);
}
console.log('soak passed');
