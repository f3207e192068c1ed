// Starts the real tunnel-service and tunnel-client as a user would (their CLIs, as child processes)
// and performs the seed walkthrough's set-up through the management API. Shared by `npm run demo`,
// the end-to-end tests and the benchmarks, so all three exercise exactly what users run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseDocument } from 'yaml';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SERVICE_BIN = join(ROOT, 'packages/service/bin/tunnel-service.ts');
export const CLIENT_BIN = join(ROOT, 'packages/client/bin/tunnel-client.ts');
export const CALCULATOR = join(ROOT, 'examples/calculator/src/server.ts');
export const CALCULATOR_HTTP = join(ROOT, 'examples/calculator/src/http-server.ts');

export interface Proc {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr), for diagnostics in failures. */
  output: () => string;
  /** Resolves with the first printed line matching `pattern`, or rejects after `timeoutMs`. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  stop: () => Promise<void>;
}

export function startProcess(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Proc {
  const child = spawn(process.execPath, args, {
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
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
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

export interface Service {
  url: string;
  ownerKey: string;
  dataDir: string;
  proc: Proc;
  stop: () => Promise<void>;
}

export async function startService(
  options: { dataDir?: string; port?: number; extraArgs?: string[] } = {},
): Promise<Service> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'mcp-tunnel-service-'));
  const keyFile = join(dataDir, 'owner-key.txt');
  const proc = startProcess([
    SERVICE_BIN,
    'start',
    '--port',
    String(options.port ?? 0),
    '--data-dir',
    dataDir,
    '--owner-key-file',
    keyFile,
    ...(options.extraArgs ?? []),
  ]);
  const [, url] = await proc.waitFor(/tunnel-service listening on (http:\/\/\S+)/);
  const ownerKey = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '';
  return { url: url!, ownerKey, dataDir, proc, stop: () => proc.stop() };
}

/** One call to the management API; throws with the service's own message on a non-2xx answer. */
export async function api<T = Record<string, unknown>>(
  baseUrl: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

export interface Runtime {
  tunnelId: string;
  runtimeKey: string;
  roleId: string;
}

/**
 * The seed's platform steps: a role with Tunnels Read + Use, a service account holding it (whose key is
 * the tunnel-client's runtime key), and a tunnel.
 */
export async function createRuntime(
  service: Service,
  options: { tunnelName?: string; responseTimeout?: string } = {},
): Promise<Runtime> {
  const role = await api<{ id: string }>(service.url, service.ownerKey, 'POST', '/v1/roles', {
    name: `tunnel runtime ${Date.now()}`,
    permissions: ['tunnel.read', 'tunnel.use'],
  });
  const account = await api<{ api_key: { secret: string } }>(
    service.url,
    service.ownerKey,
    'POST',
    '/v1/service_accounts',
    {
      name: `tunnel-client ${Date.now()}`,
      role_ids: [role.id],
    },
  );
  const tunnel = await api<{ id: string }>(service.url, service.ownerKey, 'POST', '/v1/tunnels', {
    name: options.tunnelName ?? 'calculator',
    description: 'The seed walkthrough calculator',
    ...(options.responseTimeout ? { response_timeout: options.responseTimeout } : {}),
  });
  return { tunnelId: tunnel.id, runtimeKey: account.api_key.secret, roleId: role.id };
}

export interface Client {
  opsUrl: string;
  /** The tunnel-client command lines that were run, for display (they hold no secret). */
  commands: string[];
  profileDir: string;
  proc: Proc;
  stop: () => Promise<void>;
}

/**
 * `tunnel-client init` then `tunnel-client run --profile`, as the walkthrough does. The ops server is moved
 * to a free port (listen_addr 127.0.0.1:0 with url_file) so several clients can run side by side.
 */
export async function startClient(
  service: Service,
  runtime: Runtime,
  options: {
    mcpCommand?: string;
    mcpServerUrl?: string;
    profileDir?: string;
    extraEnv?: NodeJS.ProcessEnv;
  } = {},
): Promise<Client> {
  const profileDir = options.profileDir ?? mkdtempSync(join(tmpdir(), 'mcp-tunnel-profiles-'));
  const sampleArgs = options.mcpServerUrl
    ? ['--sample', 'sample_mcp_remote_no_auth', '--mcp-server-url', options.mcpServerUrl]
    : [
        '--sample',
        'sample_mcp_stdio_local',
        '--mcp-command',
        options.mcpCommand ?? `"${process.execPath}" "${CALCULATOR}"`,
      ];
  const profile = options.mcpServerUrl ? 'remote' : 'local-stdio';
  const initArgs = [
    'init',
    ...sampleArgs,
    '--profile',
    profile,
    '--tunnel-id',
    runtime.tunnelId,
    '--base-url',
    service.url,
    '--profile-dir',
    profileDir,
  ];
  const runArgs = ['run', '--profile', profile, '--profile-dir', profileDir];
  const init = await runCli([CLIENT_BIN, ...initArgs]);
  if (init.code !== 0) throw new Error(`tunnel-client init failed (${init.code}):\n${init.output}`);

  const profilePath = join(profileDir, `${profile}.yaml`);
  const urlFile = join(profileDir, `${profile}.health-url`);
  const doc = parseDocument(readFileSync(profilePath, 'utf8'));
  doc.setIn(['health', 'listen_addr'], '127.0.0.1:0');
  doc.setIn(['health', 'url_file'], urlFile);
  writeFileSync(profilePath, doc.toString());

  const proc = startProcess([CLIENT_BIN, ...runArgs], {
    CONTROL_PLANE_API_KEY: runtime.runtimeKey,
    ...options.extraEnv,
  });
  await proc.waitFor(/tunnel-client started/, 20_000);
  const opsUrl = readFileSync(urlFile, 'utf8').trim();
  return {
    opsUrl,
    commands: [initArgs, runArgs].map((args) => ['tunnel-client', ...args.map(shellQuote)].join(' ')),
    profileDir,
    proc,
    async stop() {
      await proc.stop();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** Quotes one argument for display as a POSIX shell word. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Polls `/readyz` until it answers 200, so callers start only once the main binding answered initialize. */
export async function waitReady(opsUrl: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const response = await fetch(new URL('/readyz', opsUrl));
      last = await response.text();
      if (response.ok) return;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tunnel-client not ready after ${timeoutMs} ms: ${last}`);
}
