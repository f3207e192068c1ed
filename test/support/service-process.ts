// The real tunnel-service, started with its CLI as a child process on a loopback port, with a fresh data
// directory (removed when it stops) unless one is given, and on SQLite there unless given a database URL
// (test/support/postgres.ts makes a fresh database; several services on one URL are the nodes of a cluster).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_BIN, startProcess, type Proc } from './processes.ts';

export interface Service extends AsyncDisposable {
  url: string;
  ownerKey: string;
  dataDir: string;
  proc: Proc;
  stop: () => Promise<void>;
}

export interface ServiceOptions {
  dataDir?: string;
  port?: number;
  /** `--database-url`: the store is this PostgreSQL database instead of SQLite in the data directory. */
  databaseUrl?: string;
  /** More `tunnel-service start` arguments, e.g. `--max-body-bytes N`. */
  extraArgs?: string[];
  /** More environment, e.g. NODE_EXTRA_CA_CERTS for a test CA. */
  env?: NodeJS.ProcessEnv;
}

export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'mcp-tunnel-service-'));
  const keyFile = join(dataDir, 'owner-key.txt');
  const proc = startProcess(
    [
      SERVICE_BIN,
      'start',
      '--port',
      String(options.port ?? 0),
      '--data-dir',
      dataDir,
      '--owner-key-file',
      keyFile,
      ...(options.databaseUrl ? ['--database-url', options.databaseUrl] : []),
      ...(options.extraArgs ?? []),
    ],
    options.env,
  );
  // A service that never said it listens is stopped, not left running behind the failure.
  const [, url] = await proc.waitFor(/tunnel-service listening on (http:\/\/\S+)/).catch(async (error) => {
    await proc.stop();
    throw error;
  });
  const ownerKey = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '';
  const stop = async () => {
    await proc.stop();
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return { url: url!, ownerKey, dataDir, proc, stop, [Symbol.asyncDispose]: stop };
}
