// The systemd units under deploy/systemd, checked offline as systemd itself reads them: `systemd-analyze
// verify` must accept each without a single complaint, and `systemd-analyze security` must rate its
// sandboxing OK. The units are laid out in a scratch root with this machine's systemd units and
// stand-ins at /usr/local/bin (verify checks only that the commands are executable there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingTool } from './support.ts';

const ANALYZE = '/usr/bin/systemd-analyze';
const DIR = fileURLToPath(new URL('../../deploy/systemd/', import.meta.url));
const skip = missingTool(ANALYZE, 'sudo apt-get install systemd');

function analyze(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(ANALYZE, args, { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    ),
  );
}

function scratchRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'mcp-tunnel-systemd-'));
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  for (const program of ['tunnel-client', 'tunnel-service'])
    copyFileSync('/bin/true', join(root, 'usr/local/bin', program));
  for (const unit of ['tunnel-client@.service', 'tunnel-service.service'])
    copyFileSync(join(DIR, unit), join(root, 'etc/systemd/system', unit));
  return root;
}

for (const unit of ['tunnel-client@demo.service', 'tunnel-service.service']) {
  test(
    `${unit} passes systemd-analyze verify and rates OK for exposure`,
    { skip, timeout: 120_000 },
    async () => {
      const root = scratchRoot();
      try {
        assert.deepEqual(await analyze(['verify', `--root=${root}`, unit]), { code: 0, out: '' });
        const security = await analyze(['security', '--offline=yes', `--root=${root}`, unit]);
        const level = /Overall exposure level for \S+: ([\d.]+) (\w+)/.exec(security.out);
        assert.ok(level, security.out);
        assert.ok(Number(level[1]) <= 2, `${unit} exposure ${level[1]} ${level[2]}:\n${security.out}`);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
}
