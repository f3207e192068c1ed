// Loaded (`--import`) into every process of `bench/hops.ts`: records, on the machine's monotonic clock
// (the same in every process), when HTTP requests arrive and answers finish (tunnel-service), when
// requests go out and answers arrive (tunnel-client's undici), and when a line is written to a stdio MCP
// server and its answer read. Each process writes its events to HOPS_DIR when it exits.
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ServerResponse, type IncomingMessage } from 'node:http';

const events: [bigint, string][] = [];
const at = (what: string) => events.push([process.hrtime.bigint(), what]);
const route = (url: string | undefined) =>
  (url ?? '').includes('/poll') ? 'poll' : (url ?? '').includes('/response') ? 'response' : 'mcp';

subscribe('http.server.request.start', (message) => {
  at(`server ${route((message as { request: IncomingMessage }).request.url)} arrived`);
});
// When the answer is ended (handed to the socket); 'finish' comes only once the socket has taken it all.
const end = ServerResponse.prototype.end;
ServerResponse.prototype.end = function (this: ServerResponse, ...args: unknown[]) {
  at(`server ${route(this.req.url)} answered`);
  return (end as (...args: unknown[]) => ServerResponse).apply(this, args);
} as typeof end;
subscribe('undici:client:sendHeaders', (message) => {
  at(`undici ${route((message as { request: { path: string } }).request.path)} sent`);
});
subscribe('undici:request:headers', (message) => {
  at(`undici ${route((message as { request: { path: string } }).request.path)} answered`);
});
// The SDK's stdio transport spawns through cross-spawn, which calls child_process.spawn when it runs.
const childProcess = createRequire(import.meta.url)(
  'node:child_process',
) as typeof import('node:child_process');
const spawn = childProcess.spawn;
childProcess.spawn = ((...args: Parameters<typeof spawn>) => {
  const child: ChildProcess = spawn(...args);
  const stdin = child.stdin;
  if (stdin) {
    const write = stdin.write.bind(stdin);
    stdin.write = ((...chunk: Parameters<typeof write>) => {
      at('stdio written');
      return write(...chunk);
    }) as typeof stdin.write;
  }
  child.stdout?.on('data', () => at('stdio read'));
  return child;
}) as typeof spawn;

process.once('exit', () => {
  if (events.length === 0) return;
  const lines = events.map(([ns, what]) => `${ns} ${what}`).join('\n');
  writeFileSync(join(process.env.HOPS_DIR!, `${process.pid}.events`), `${lines}\n`);
});
