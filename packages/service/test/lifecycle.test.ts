import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { loadMigrations } from '../src/store/migrations.ts';
import { DATABASE_FILE } from '../src/index.ts';
import { poll, waitOnline } from '../../../test/support/scripted-tunnel-client.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { startServiceWithTunnel, startTestService } from './support/service.ts';

const BIN = fileURLToPath(new URL('../bin/tunnel-service.ts', import.meta.url));

/** Runs `tunnel-service start` until it prints its listening line, then stops it with SIGTERM. */
async function runOnce(args: string[]): Promise<{ stdout: string[]; url: string; exitCode: number | null }> {
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${stderr}`)), 15_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout.push(line);
      const match = /^tunnel-service listening on (http:\/\/\S+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`exited ${code}; stderr: ${stderr}`)));
  });
  const response = await fetch(new URL('/v1/me', url));
  assert.equal(response.status, 401);
  child.kill('SIGTERM');
  const exitCode = await exited;
  return { stdout, url, exitCode };
}

describe('tunnel-service start', { timeout: 60_000 }, () => {
  test('prints and writes the owner key on first start only; data survives a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tunnel-service-cli-'));
    const keyFile = join(dataDir, 'secrets', 'owner-key');
    try {
      const first = await runOnce(['--data-dir', dataDir, '--owner-key-file', keyFile]);
      assert.equal(first.exitCode, 0, 'SIGTERM stops it cleanly');
      const printed = first.stdout.find((line) =>
        line.startsWith('Owner API key (shown once, store it now): '),
      );
      assert.ok(printed, first.stdout.join('\n'));
      const key = printed.split(': ')[1]!;
      assert.match(key, /^mcpt_[A-Za-z0-9_-]{40,}$/);
      assert.equal(readFileSync(keyFile, 'utf8').trim(), key);
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.equal(statSync(join(dataDir, DATABASE_FILE)).mode & 0o777, 0o600);

      const second = await runOnce(['--data-dir', dataDir, '--owner-key-file', keyFile]);
      assert.equal(second.exitCode, 0);
      assert.ok(!second.stdout.some((line) => line.includes('Owner API key')), second.stdout.join('\n'));
      assert.ok(!second.stdout.join('\n').includes(key));

      // The key from the first start still works against the same data.
      const again = await startTestService({ dataDir });
      try {
        assert.equal(again.service.ownerKey, undefined);
        const me = await again.call('GET', '/v1/me', key);
        assert.equal(me.status, 200);
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('start-up prints readable lines only; what happens next is logged as JSON on stderr', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tunnel-service-output-'));
    const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const stdout: string[] = [];
    const stderr: string[] = [];
    createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
    try {
      const url = await new Promise<string>((resolve) =>
        createInterface({ input: child.stdout }).on('line', (line) => {
          stdout.push(line);
          const match = /^tunnel-service listening on (\S+)$/.exec(line);
          if (match) resolve(match[1]!);
        }),
      );
      const key = stdout[0]!.split(': ')[1]!;
      // The service answers only once it has listened: whatever start-up logged is in by now.
      const created = await fetch(new URL('/v1/tunnels', url), {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'logged' }),
      });
      assert.equal(created.status, 200);
      await eventually(async () => stderr.length > 0, 5000, 'a log record of the new tunnel', 20);
      assert.equal(stdout.length, 3, stdout.join('\n'));
      // The first record on stderr is the tunnel's creation, at info level: nothing came before it.
      const record = JSON.parse(stderr[0]!) as { level: number; msg: string };
      assert.deepEqual([record.level, record.msg], [30, 'tunnel created'], stderr.join('\n'));
    } finally {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('TUNNEL_SERVICE_DATA_DIR is the default data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tunnel-service-env-'));
    try {
      const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--log-level', 'silent'], {
        env: { ...process.env, TUNNEL_SERVICE_DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise<void>((resolve) =>
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line.startsWith('tunnel-service listening on')) resolve();
        }),
      );
      child.kill('SIGINT');
      await exited;
      assert.ok(statSync(join(dataDir, DATABASE_FILE)).isFile());
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('--version prints the version; a bad --port is refused clearly', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        child.once('exit', (code) => resolve({ code, out }));
      });
    const version = await run(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.out.trim(), /^\d+\.\d+\.\d+/);
    const badPort = await run(['start', '--port', 'eighty']);
    assert.notEqual(badPort.code, 0);
    assert.match(badPort.out, /--port/);
    const badRetention = await run(['start', '--audit-retention', '0']);
    assert.notEqual(badRetention.code, 0);
    assert.match(badRetention.out, /--audit-retention.*at least 1/);
  });
});

describe('migrations', { timeout: 10_000 }, () => {
  test('are versioned, applied once, and idempotent on reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunnel-service-migrations-'));
    const file = join(dir, DATABASE_FILE);
    const applied = () => {
      const raw = new DatabaseSync(file);
      try {
        return raw.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      } finally {
        raw.close();
      }
    };
    // Every step in the SQLite folder, in order, numbered from 1 without gaps.
    const steps = loadMigrations(fileURLToPath(new URL('../src/store/migrations/sqlite/', import.meta.url)));
    const versions = steps.map((_step, index) => index + 1);
    assert.deepEqual(
      steps.map((step) => step.version),
      versions,
    );
    try {
      const first = await openSqliteStore(file);
      assert.deepEqual(
        applied().map((r) => r.version),
        versions,
      );
      await first.settings.init('marker', 'kept');
      await first.close();
      const second = await openSqliteStore(file);
      assert.deepEqual(
        applied().map((r) => r.version),
        versions,
      );
      assert.equal(await second.settings.get('marker'), 'kept');
      assert.equal(await second.settings.init('marker', 'replaced'), 'kept');
      await second.close();
      assert.deepEqual(
        applied().map((r) => ({ ...r })),
        steps.map(({ version, name }) => ({ version, name })),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('close', { timeout: 10_000 }, () => {
  test('ends open long-polls and waiting callers promptly', async () => {
    const { t, runtime } = await startServiceWithTunnel();
    const longPoll = poll(t.url, runtime, 'timeout_ms=25000&channel=main');
    await waitOnline(t, runtime);
    const waiting = fetch(new URL(`/v1/mcp/${runtime.tunnelId}/other`, t.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${t.ownerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    await t.stop();
    assert.ok(performance.now() - started < 2000);
    assert.equal((await longPoll).status, 204);
    const answer = await waiting;
    assert.equal(answer.status, 503);
    assert.match(((await answer.json()) as { error: { message: string } }).error.message, /shutting down/);
  });
});
