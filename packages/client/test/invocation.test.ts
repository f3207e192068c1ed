// The commands the CLI prints must work as printed: `tunnel-client` where PATH finds it, the executable's
// path for a single executable, and `npx tunnel-client` in a checkout or a project that installed it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { CLIENT_BIN, ROOT, runCli } from '../../../test/support/processes.ts';
import { invocation, serviceInvocation } from '../src/cli/invocation.ts';

const TUNNEL_ID = 'tunnel_0123456789abcdef0123456789abcdef';

test('invocation: PATH first, then a single executable by its path, else npx', () => {
  const bin = mkdtempSync(join(tmpdir(), 'tc-path-'));
  try {
    writeFileSync(join(bin, 'tunnel-client'), '#!/bin/sh\n');
    chmodSync(join(bin, 'tunnel-client'), 0o755);
    assert.equal(invocation({ PATH: `/nonexistent${delimiter}${bin}` }, '/usr/bin/node'), 'tunnel-client');
    assert.equal(
      invocation({ PATH: '/nonexistent' }, '/opt/t/tunnel-client-linux-x64'),
      '/opt/t/tunnel-client-linux-x64',
    );
    assert.equal(invocation({ PATH: '/nonexistent' }, '/usr/bin/node'), 'npx tunnel-client');
    assert.equal(serviceInvocation('npx tunnel-client'), 'npx tunnel-service');
    assert.equal(serviceInvocation('/opt/t/tunnel-client-linux-x64'), '/opt/t/tunnel-service-linux-x64');
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

test(
  "init's next steps run literally in a checkout, where node_modules/.bin is not on PATH",
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-next-'));
    // A user's shell in the checkout: the system PATH, without the npm script's node_modules/.bin.
    const PATH = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((entry) => !entry.includes('node_modules'))
      .join(delimiter);
    try {
      const init = await runCli(
        [
          CLIENT_BIN,
          'init',
          '--sample',
          'sample_mcp_stdio_local',
          '--profile',
          'next',
          '--tunnel-id',
          TUNNEL_ID,
          '--mcp-command',
          'node server.js',
          '--profile-dir',
          dir,
        ],
        { PATH },
      );
      assert.equal(init.code, 0, init.output);
      const doctorLine = init.output.split('\n').find((line) => / doctor --profile next/.test(line));
      assert.ok(doctorLine, init.output);
      assert.match(doctorLine, /^ {2}npx tunnel-client doctor --profile next --profile-dir /);
      // The line as printed, typed into a shell: doctor runs (and fails its key check); a shell that cannot
      // find the command exits 127.
      const run = await promisify(execFile)('sh', ['-c', doctorLine.trim()], {
        cwd: ROOT,
        env: { ...process.env, PATH, CONTROL_PLANE_API_KEY: '' },
      }).then(
        (done) => ({ code: 0, output: done.stdout + done.stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({
          code: error.code,
          output: error.stdout + error.stderr,
        }),
      );
      assert.equal(run.code, 2, run.output); // doctor's exit status when a check fails, as Go's
      assert.match(run.output, /api_key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('profiles without a subcommand prints its help and exits 0', { timeout: 30_000 }, async () => {
  const result = await runCli([CLIENT_BIN, 'profiles']);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /Usage: tunnel-client profiles/);
});
