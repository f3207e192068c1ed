// Debian's HAProxy in front of service nodes, as an operator would put a load balancer before a cluster:
// health checks every 200 ms on /healthz, and failed connections sent to another server.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually.ts';
import { freePort } from './processes.ts';

const HAPROXY = '/usr/sbin/haproxy';

/** A reason to skip tests that need HAProxy, or false. Under CI=true a missing haproxy fails instead. */
export function haproxySkip(): string | false {
  if (existsSync(HAPROXY)) return false;
  const reason = `needs ${HAPROXY} (Debian package haproxy: sudo apt-get install haproxy, or npm run test:cluster as root)`;
  if (process.env.CI === 'true') throw new Error(`${reason}, and CI=true makes these tests mandatory`);
  return `skipped: ${reason}`;
}

export interface Backend {
  name: string;
  port: number;
  /** Gets traffic only while every other server is down. */
  backup?: boolean;
}

export interface LoadBalancer extends AsyncDisposable {
  url: string;
  stop(): Promise<void>;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** Starts HAProxy on a free loopback port, balancing HTTP over `backends`. */
export async function startHaproxy(backends: Backend[]): Promise<LoadBalancer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mcp-tunnel-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'defaults',
      '  mode http',
      // A retry waits this long (at most 1 s) before it connects again: a node killed with connections open
      // refuses the next one until a health check marks it down, up to 200 ms later.
      '  timeout connect 300ms',
      // Longer than the longest poll (30 s) and call a test makes.
      '  timeout client 120s',
      '  timeout server 120s',
      '  retries 3',
      // Every retry may go to another server (the backup, once the killed node is marked down).
      '  option redispatch 1',
      'frontend tunnel',
      `  bind 127.0.0.1:${port}`,
      '  default_backend nodes',
      'backend nodes',
      '  option httpchk GET /healthz',
      ...backends.map(
        (b) =>
          `  server ${b.name} 127.0.0.1:${b.port} check inter 200ms fall 1 rise 1${b.backup ? ' backup' : ''}`,
      ),
      '',
    ].join('\n'),
  );
  const child = spawn(HAPROXY, ['-f', config, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}): ${output}`);
        return accepts(port);
      },
      10_000,
      'haproxy to listen',
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, stop, [Symbol.asyncDispose]: stop };
}
