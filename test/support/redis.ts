// A Redis of the test's own: redis-server on a free loopback port, keeping nothing on disk, so a test can
// restart it under load and nothing outlives the run. Tests that need one skip with a line saying so when
// redis-server is missing, and fail under CI=true.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { freePort } from './processes.ts';

const REDIS_SERVER = '/usr/bin/redis-server';

/** A reason to skip Redis tests, or false. Under CI=true a missing redis-server fails instead. */
export function redisSkip(): string | false {
  if (existsSync(REDIS_SERVER)) return false;
  const reason = `needs ${REDIS_SERVER} (Debian package redis-server: sudo apt-get install redis-server)`;
  if (process.env.CI === 'true') throw new Error(`${reason}, and CI=true makes these tests mandatory`);
  return `skipped: ${reason}`;
}

/** A key prefix no other run uses. */
export function freshKeyPrefix(): string {
  return `mcpt-test-${randomBytes(6).toString('hex')}:`;
}

export interface TestRedis extends AsyncDisposable {
  /** redis://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Stops it at once (SIGKILL): what it held is gone, as after a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (line.includes('Ready to accept connections')) resolve(child);
    });
    child.stderr!.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    child.once('exit', (code) =>
      reject(new Error(`redis-server exited (code ${code}) before it was ready:\n${lines.join('\n')}`)),
    );
  });
}

async function ended(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** Starts redis-server on a free port. */
export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child = await launch(port);
  const stop = () => ended(child, 'SIGTERM');
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => ended(child, 'SIGKILL'),
    start: async () => {
      child = await launch(port);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
