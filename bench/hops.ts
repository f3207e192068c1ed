// `node bench/hops.ts [--calls 300]`: where the wall time of one `tools/call add` through the tunnel goes,
// hop by hop, at concurrency 1. Every process of the tunnel is started with bench/hops-preload.ts, which
// timestamps each hop on the machine's monotonic clock; this prints the median time of each step.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { keyWith } from '../test/support/management-api.ts';
import { connectSdk } from '../test/support/mcp-callers.ts';
import { startSystem } from '../test/support/system.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '300' } } });
const CALLS = Number(values.calls);
const WARMUP = 50;
const dir = mkdtempSync(join(tmpdir(), 'hops-'));

process.env.HOPS_DIR = dir;
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${new URL('./hops-preload.ts', import.meta.url).pathname}`;
const system = await startSystem();
delete process.env.NODE_OPTIONS;
const calls: [bigint, bigint][] = [];
try {
  const caller = await connectSdk(system.connectorUrl, await keyWith(system.service, ['tunnel.use']));
  for (let i = 0; i < WARMUP + CALLS; i++) {
    const start = process.hrtime.bigint();
    await caller.mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
    if (i >= WARMUP) calls.push([start, process.hrtime.bigint()]);
  }
  await caller.end();
} finally {
  await system.stop();
}

const events = readdirSync(dir)
  .flatMap((file) => readFileSync(join(dir, file), 'utf8').trim().split('\n'))
  .map((line) => {
    const space = line.indexOf(' ');
    return { ns: BigInt(line.slice(0, space)), what: line.slice(space + 1) };
  })
  .sort((a, b) => (a.ns < b.ns ? -1 : 1));
rmSync(dir, { recursive: true, force: true });

// The hops of one call, in order; a poll sent by the client in between is not one of them. Over the
// command stream (protocol extension) the poll and response hops are WebSocket frames and not seen here:
// a hop missing from a call is skipped, and the step runs from the previous hop seen.
const HOPS = [
  'server mcp arrived',
  'server poll answered',
  'undici poll answered',
  'stdio written',
  'stdio read',
  'undici response sent',
  'server response arrived',
  'server mcp answered',
];
const steps = new Map<string, number[]>();
const add = (step: string, ms: number) => steps.set(step, [...(steps.get(step) ?? []), ms]);
for (const [start, end] of calls) {
  let previous = { ns: start, what: 'caller sent' };
  let next = 0;
  for (const event of events) {
    if (event.ns < start || event.ns > end) continue;
    const hop = HOPS.indexOf(event.what, next);
    if (hop < 0) continue;
    add(`${previous.what} → ${event.what}`, Number(event.ns - previous.ns) / 1e6);
    previous = event;
    next = hop + 1;
  }
  if (next === HOPS.length) add(`${previous.what} → caller has the answer`, Number(end - previous.ns) / 1e6);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const total = median(calls.map(([start, end]) => Number(end - start) / 1e6));
console.log(
  `${calls.length} calls at concurrency 1, median ${total.toFixed(2)} ms; median of each hop (ms):`,
);
for (const [step, values] of steps)
  console.log(`${median(values).toFixed(2).padStart(7)}  ${step}  (${values.length} calls)`);
