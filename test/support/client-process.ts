// The real tunnel-client, configured with `tunnel-client init` and started with `tunnel-client run
// --profile` as a child process, as the walkthrough does.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { eventually } from './eventually.ts';
import type { Runtime } from './management-api.ts';
import { CALCULATOR } from './mcp-servers.ts';
import { CLIENT_BIN, runCli, startProcess, type Proc } from './processes.ts';

export interface Client {
  opsUrl: string;
  /** The tunnel-client command lines that were run, for display (they hold no secret). */
  commands: string[];
  profileDir: string;
  proc: Proc;
  stop: () => Promise<void>;
}

export interface ClientOptions {
  /** The stdio MCP server's command line; the calculator when neither this nor mcpServerUrl is given. */
  mcpCommand?: string;
  /** A Streamable HTTP MCP server to reach instead of a stdio one. */
  mcpServerUrl?: string;
  profileDir?: string;
  /** More environment for `tunnel-client run`, e.g. MCP_COMMAND for several channels. */
  extraEnv?: NodeJS.ProcessEnv;
  /** How long to wait for readiness: longer for a client that starts several children at once. */
  readyTimeoutMs?: number;
  /** The tunnel-client entry point Node runs: the TypeScript source unless told otherwise (a built bundle). */
  bin?: string;
}

/**
 * `tunnel-client init` then `tunnel-client run --profile`, as the walkthrough does. The ops server is moved
 * to a free port (listen_addr 127.0.0.1:0 with url_file) so several clients can run side by side.
 */
export async function startClient(
  service: { url: string },
  runtime: Runtime,
  options: ClientOptions = {},
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
  const bin = options.bin ?? CLIENT_BIN;
  const init = await runCli([bin, ...initArgs]);
  if (init.code !== 0) throw new Error(`tunnel-client init failed (${init.code}):\n${init.output}`);

  const profilePath = join(profileDir, `${profile}.yaml`);
  const urlFile = join(profileDir, `${profile}.health-url`);
  const doc = parseDocument(readFileSync(profilePath, 'utf8'));
  doc.setIn(['health', 'listen_addr'], '127.0.0.1:0');
  doc.setIn(['health', 'url_file'], urlFile);
  writeFileSync(profilePath, doc.toString());

  const proc = startProcess([bin, ...runArgs], {
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
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Polls `/readyz` until it answers 200, so callers start only once the main binding answered initialize. */
export async function waitReady(opsUrl: string, timeoutMs = 15_000): Promise<void> {
  let last = '';
  await eventually(
    async () => {
      try {
        const response = await fetch(new URL('/readyz', opsUrl));
        last = await response.text();
        return response.ok;
      } catch (error) {
        last = String(error);
        return false;
      }
    },
    timeoutMs,
    () => `the tunnel-client to be ready (it said: ${last})`,
    100,
  );
}
