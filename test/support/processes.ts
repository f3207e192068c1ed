// Runs our CLIs (and other Node programs) as child processes, as a user would run them, and reads what
// they print. The base of the end-to-end harness that the tests, `npm run demo`, `npm run conformance`,
// `npm run soak` and the benchmarks share, so all of them exercise exactly what users run.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { V8_FLAGS } from '../../scripts/release/v8-flags.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SERVICE_BIN = join(ROOT, 'packages/service/bin/tunnel-service.ts');
export const CLIENT_BIN = join(ROOT, 'packages/client/bin/tunnel-client.ts');

export interface Proc extends AsyncDisposable {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr), for diagnostics in failures. */
  output: () => string;
  /** Resolves with the first printed line matching `pattern`, or rejects after `timeoutMs`. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  stop: () => Promise<void>;
}

/** The V8 flags the single executable of a program gives Node, for our bin scripts. */
function v8FlagsOf(script: string | undefined): string[] {
  if (script === SERVICE_BIN) return V8_FLAGS['tunnel-service'];
  if (script === CLIENT_BIN) return V8_FLAGS['tunnel-client'];
  return [];
}

export function startProcess(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Proc {
  const child = spawn(process.execPath, [...v8FlagsOf(args[0]), ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      const match = line.match(waiter.pattern);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  return {
    child,
    output: () => lines.join('\n'),
    waitFor(pattern, timeoutMs = 15_000) {
      for (const line of lines) {
        const match = line.match(pattern);
        if (match) return Promise.resolve(match);
      }
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve };
        waiters.push(waiter);
        const fail = (why: string) => {
          const at = waiters.indexOf(waiter);
          if (at < 0) return;
          waiters.splice(at, 1);
          reject(new Error(`${why} while waiting for ${pattern}; it printed:\n${lines.join('\n')}`));
        };
        const timer = setTimeout(() => fail(`no output after ${timeoutMs} ms`), timeoutMs);
        void exited.then(() => {
          clearTimeout(timer);
          fail(`the process exited (code ${child.exitCode})`);
        });
        const resolveOnce = waiter.resolve;
        waiter.resolve = (m) => {
          clearTimeout(timer);
          resolveOnce(m);
        };
      });
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Runs a CLI to completion, returning its exit code and output. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000) {
  const proc = startProcess(args, env);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => proc.child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output: proc.output() };
}

/**
 * Runs a CLI to completion with stdout and stderr apart, for commands whose stdout is a value to keep (an
 * id, a key) and whose stderr talks to the person running them.
 */
export async function runCliStreams(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/**
 * A loopback port that was free a moment ago, for a program that cannot take port 0 and say which port it
 * got. Another process may take it first: callers check that their program answers on it.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
