// The files a daemon leaves for its supervisor: process.pid_file (removed again at exit) and log.file
// (JSON lines appended, nothing on the terminal but what the operator asked for).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTRACT_MISSING_NOTICE, loadContract } from '../../../test/support/contract.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { startFakeService, TUNNEL_ID } from './support/fake-service.ts';
import { FIXTURE_COMMAND } from './support/mcp-servers.ts';

const BIN = fileURLToPath(new URL('../bin/tunnel-client.ts', import.meta.url));
const contract = loadContract();
if (!contract) console.log(CONTRACT_MISSING_NOTICE);

test(
  'log.file gets the JSON log and process.pid_file the pid, removed at a clean exit',
  { skip: !contract, timeout: 40_000 },
  async () => {
    const service = await startFakeService(contract!, { apiKey: 'k' });
    const dir = mkdtempSync(join(tmpdir(), 'tc-files-'));
    const logFile = join(dir, 'logs', 'client.log');
    const pidFile = join(dir, 'client.pid');
    writeFileSync(
      join(dir, 'p.yaml'),
      [
        'config_version: 1',
        'control_plane:',
        `  base_url: "${service.url}"`,
        `  tunnel_id: "${TUNNEL_ID}"`,
        '  api_key: "env:CONTROL_PLANE_API_KEY"',
        'health:',
        '  listen_addr: "127.0.0.1:0"',
        'log:',
        `  file: "${logFile}"`,
        'process:',
        `  pid_file: "${pidFile}"`,
        'mcp:',
        '  commands:',
        '    - channel: main',
        `      command: ${JSON.stringify(FIXTURE_COMMAND)}`,
        '',
      ].join('\n'),
    );
    const run = () => {
      const child = spawn(process.execPath, [BIN, 'run', '--profile', 'p', '--profile-dir', dir], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, CONTROL_PLANE_API_KEY: 'k' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let terminal = '';
      child.stdout.on('data', (d) => (terminal += d));
      child.stderr.on('data', (d) => (terminal += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      return { child, exited, terminal: () => terminal };
    };
    const logged = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
    let daemon: ReturnType<typeof run> | undefined;
    try {
      // The log directory does not exist yet: the client must say so rather than lose the log.
      const refused = run();
      assert.notEqual(await refused.exited, 0);
      assert.match(refused.terminal(), /log\.file .* cannot be opened \(ENOENT\): create its directory/);
      assert.ok(!existsSync(pidFile), 'no pid file for a client that did not start');

      mkdirSync(join(dir, 'logs'));
      daemon = run();
      await eventually(() => /tunnel-client started/.test(logged()), 20_000, 'the start line in log.file');
      assert.equal(readFileSync(pidFile, 'utf8').trim(), String(daemon.child.pid));
      const lines = logged()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { msg: string });
      assert.ok(lines.some((l) => /tunnel-client started/.test(l.msg)));
      assert.ok(!logged().includes('"k"') && !/authorization/i.test(logged()), 'no secret in the log');
      assert.ok(!/tunnel-client started/.test(daemon.terminal()), 'the log goes to the file only');

      daemon.child.kill('SIGTERM');
      assert.equal(await daemon.exited, 0, daemon.terminal());
      assert.ok(!existsSync(pidFile), 'the pid file is removed at exit');
    } finally {
      daemon?.child.kill('SIGKILL');
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
