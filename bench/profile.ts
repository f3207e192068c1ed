// `npm run bench:profile -- --dir DIR`: CPU profiles of the tunnel-service and the tunnel-client (and the
// calculator they serve) while the official SDK client calls `add` through the tunnel, for Chrome
// DevTools or any .cpuprofile viewer. Each process writes its profile into DIR when it stops.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { keyWith } from '../test/support/management-api.ts';
import { connectSdk } from '../test/support/mcp-callers.ts';
import { startSystem } from '../test/support/system.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: 'cpu-profiles' },
    calls: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
  },
});
const dir = resolve(values.dir);
const CALLS = Number(values.calls);
mkdirSync(dir, { recursive: true });

// The processes the system starts inherit this environment; this process is already running.
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${dir}`;
const system = await startSystem();
delete process.env.NODE_OPTIONS;
try {
  const caller = await connectSdk(system.connectorUrl, await keyWith(system.service, ['tunnel.use']));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Number(values.concurrency) }, async () => {
      while (next++ < CALLS) await caller.mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
    }),
  );
  console.log(`${CALLS} calls, ${((CALLS / (performance.now() - started)) * 1000).toFixed(0)} calls/s`);
  await caller.end();
} finally {
  await system.stop();
}
console.log(`profiles (one per process, named by pid) in ${dir}`);
