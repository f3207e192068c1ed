// The single-file executables from `npm run release`, started with an environment whose PATH has no
// Node.js at all: the seed walkthrough, and the files they unpack are gone once they exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { releaseFile, runCommand, tempDir, walkthrough } from './support.ts';

const platform = `${process.platform}-${process.arch}`;

test(
  'tunnel-service and tunnel-client executables run the seed walkthrough with no node on PATH',
  { timeout: 120_000 },
  async () => {
    const service = releaseFile('bin', `tunnel-service-${platform}`);
    const client = releaseFile('bin', `tunnel-client-${platform}`);
    const empty = tempDir('release-no-node');
    const scratch = tempDir('release-tmp');
    try {
      const env = { PATH: empty, TMPDIR: scratch };
      assert.notEqual((await runCommand('/bin/sh', ['-c', 'command -v node'], env, empty)).code, 0);
      for (const program of [service, client]) {
        const version = await runCommand(program, ['--version'], env, empty);
        assert.deepEqual(version, { code: 0, output: '0.1.0' });
      }
      await walkthrough({ service: () => [service], client: () => [client], env });
      assert.deepEqual(readdirSync(scratch), [], 'each executable removes its unpacked files at exit');
    } finally {
      rmSync(empty, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    }
  },
);

test(
  'an executable without a writable temporary directory says how to give it one',
  { timeout: 30_000 },
  async () => {
    const program = releaseFile('bin', `tunnel-client-${platform}`);
    const answer = await runCommand(program, ['--version'], { TMPDIR: '/nonexistent/tmp' }, '/');
    assert.equal(answer.code, 1);
    assert.match(
      answer.output,
      /cannot unpack its files into \/nonexistent\/tmp \(ENOENT\): set TMPDIR to a writable directory, or mount one at \/tmp/,
    );
    assert.doesNotMatch(answer.output, /\n\s+at /, 'no stack trace');
  },
);
