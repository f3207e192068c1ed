// What the release tests share: the built release/ folder, any command started as a user starts it
// (with an environment the test chooses whole), and the seed walkthrough run with given commands.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { waitReady } from '../support/client-process.ts';
import { createRuntime, type Runtime } from '../support/management-api.ts';
import { connectSdk } from '../support/mcp-callers.ts';
import { CALCULATOR } from '../support/mcp-servers.ts';
import type { Proc } from '../support/processes.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RELEASE = join(ROOT, 'release');
/** The folder of the Node 24 binary the project brings, and nothing else. */
export const NODE_DIR = dirname(realpathSync(process.execPath));

/** release/ must have been built by `npm run release` (`npm run test:release` does it first). */
export function releaseFile(...path: string[]): string {
  const file = join(RELEASE, ...path);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run release\` first`);
  return file;
}

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `mcp-tunnel-${name}-`));
}

/** Starts `command` with exactly `env` (nothing inherited), collecting its output lines. */
export function startCommand(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Proc {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (m: RegExpMatchArray) => void }>();
  const onLine = (line: string) => {
    lines.push(line);
    for (const waiter of waiters) {
      const match = line.match(waiter.pattern);
      if (match) {
        waiters.delete(waiter);
        waiter.resolve(match);
      }
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('error', (error) => lines.push(`spawn failed: ${error.message}`));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    } else await exited;
  };
  return {
    child,
    output: () => lines.join('\n'),
    waitFor(pattern, timeoutMs = 20_000) {
      const seen = lines.map((line) => line.match(pattern)).find(Boolean);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const fail = (why: string) => {
          if (!waiters.delete(waiter)) return;
          reject(new Error(`${why} while waiting for ${pattern}; ${command} printed:\n${lines.join('\n')}`));
        };
        const timer = setTimeout(() => fail(`no match after ${timeoutMs} ms`), timeoutMs);
        const waiter = {
          pattern,
          resolve: (match: RegExpMatchArray) => {
            clearTimeout(timer);
            resolve(match);
          },
        };
        waiters.add(waiter);
        void exited.then(() => {
          clearTimeout(timer);
          fail(`it exited (code ${child.exitCode})`);
        });
      });
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Runs `command` to completion (bounded), returning its exit code and output. */
export async function runCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs = 60_000,
): Promise<{ code: number | null; output: string }> {
  const proc = startCommand(command, args, env, cwd);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  await new Promise((resolve) => proc.child.once('close', resolve));
  clearTimeout(timer);
  return { code: proc.child.exitCode, output: proc.output() };
}

export interface RunningService {
  url: string;
  ownerKey: string;
  proc: Proc;
}

/** `tunnel-service start` on a free loopback port with its own data directory. */
export async function startServiceCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<RunningService> {
  const keyFile = join(cwd, 'owner-key');
  const proc = startCommand(
    argv[0]!,
    [...argv.slice(1), 'start', '--port', '0', '--data-dir', join(cwd, 'data'), '--owner-key-file', keyFile],
    env,
    cwd,
  );
  const [, url] = await proc.waitFor(/tunnel-service listening on (http:\/\/\S+)/);
  return { url: url!, ownerKey: readFileSync(keyFile, 'utf8').trim(), proc };
}

/** Calls the calculator's add(5, 3) through the service with the official MCP SDK client. */
export async function callThroughTunnel(
  service: RunningService,
  runtime: Runtime,
  tool: string,
  args: Record<string, unknown>,
): Promise<unknown> {
  const { mcp, end } = await connectSdk(
    new URL(`/v1/mcp/${runtime.tunnelId}`, service.url),
    runtime.runtimeKey,
  );
  try {
    return (await mcp.callTool({ name: tool, arguments: args })).content;
  } finally {
    await end();
  }
}

/** How to run the two programs: the words before their subcommand, and the environment they get. */
export interface Programs {
  /** e.g. `['/prefix/bin/tunnel-service']`, or `['podman', 'run', ..., 'image']`, for the walkthrough's home */
  service: (home: string) => string[];
  client: (home: string) => string[];
  env: NodeJS.ProcessEnv;
  /** The calculator over Streamable HTTP at this URL; by default a stdio command the client spawns. */
  calculatorUrl?: string;
  /** Readies the walkthrough's home folder before anything runs in it (e.g. for a container's user). */
  prepareHome?: (home: string) => void;
}

const start = (argv: string[], args: string[], env: NodeJS.ProcessEnv, cwd: string) =>
  startCommand(argv[0]!, [...argv.slice(1), ...args], env, cwd);

/**
 * The seed walkthrough with the given `tunnel-service` and `tunnel-client`: start the service, create a
 * runtime key and a tunnel, `tunnel-client init` and `run` with the calculator, call add(5, 3) with the
 * SDK client, check both programs' health routes and consoles, and stop both cleanly.
 */
export async function walkthrough(programs: Programs) {
  const home = tempDir('release-walkthrough');
  programs.prepareHome?.(home);
  const env = { ...programs.env, HOME: home };
  const service = await startServiceCommand(programs.service(home), env, home);
  const clientArgv = programs.client(home);
  let client: Proc | undefined;
  try {
    assert.equal((await fetch(new URL('/healthz', service.url))).status, 200);
    const console = await fetch(new URL('/console/', service.url));
    assert.match(await console.text(), /<div id="app">/, 'the service serves its built console');

    const runtime = await createRuntime(service);
    const [profile, sample] = programs.calculatorUrl
      ? ['remote', ['--sample', 'sample_mcp_remote_no_auth', '--mcp-server-url', programs.calculatorUrl]]
      : [
          'local-stdio',
          [
            '--sample',
            'sample_mcp_stdio_local',
            '--mcp-command',
            `"${join(NODE_DIR, 'node')}" "${CALCULATOR}"`,
          ],
        ];
    const init = await runCommand(
      clientArgv[0]!,
      [
        ...clientArgv.slice(1),
        'init',
        ...sample,
        '--profile',
        profile,
        '--tunnel-id',
        runtime.tunnelId,
        '--base-url',
        service.url,
      ],
      env,
      home,
    );
    assert.equal(init.code, 0, init.output);
    const urlFile = join(home, 'ops-url');
    client = start(
      clientArgv,
      ['run', '--profile', profile, '--health.listen-addr', '127.0.0.1:0', '--health.url-file', urlFile],
      { ...env, CONTROL_PLANE_API_KEY: runtime.runtimeKey },
      home,
    );
    await client.waitFor(/tunnel-client started/);
    const opsUrl = readFileSync(urlFile, 'utf8').trim();
    await waitReady(opsUrl);

    const content = await callThroughTunnel(service, runtime, 'add', { a: 5, b: 3 });
    assert.deepEqual(content, [{ type: 'text', text: '5 + 3 = 8' }]);

    assert.equal((await fetch(new URL('/healthz', opsUrl))).status, 200);
    assert.equal((await fetch(new URL('/ui', opsUrl))).status, 200, 'the client serves its /ui console');
    const preact = await fetch(new URL('/ui/vendor/preact.mjs', opsUrl));
    assert.equal(preact.status, 200, 'the /ui console finds its browser modules');

    await client.stop();
    assert.equal(client.child.exitCode, 0, client.output());
    await service.proc.stop();
    assert.equal(service.proc.child.exitCode, 0, service.proc.output());
  } finally {
    await client?.stop();
    await service.proc.stop();
    rmSync(home, { recursive: true, force: true });
  }
}
