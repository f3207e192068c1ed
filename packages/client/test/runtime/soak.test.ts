// A short run of the soak script (npm run soak runs it for two minutes). The script runs the client against
// the contract-true fake, so without the contract there is nothing to run: the test is skipped, saying so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { contractSkip } from '../../../../test/support/contract.ts';

const SCRIPT = fileURLToPath(new URL('../../../../scripts/soak.ts', import.meta.url));

test(
  'soak, short: every call ends, nothing hangs, no contract violation',
  { skip: contractSkip(), timeout: 120_000 },
  async () => {
    const child = spawn(process.execPath, ['--expose-gc', SCRIPT], {
      env: { ...process.env, SOAK_SECONDS: '12', SOAK_CALLERS: '16' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    assert.equal(code, 0, output);
    assert.match(output, /soak passed/);
    const report = JSON.parse(output.slice(output.indexOf('{'), output.lastIndexOf('}') + 1)) as {
      calls: number;
      child_kills: number;
    };
    assert.ok(report.calls > 200, `only ${report.calls} calls`);
    assert.equal(report.child_kills, 2);
  },
);
