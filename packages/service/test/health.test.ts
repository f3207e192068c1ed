import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestService } from './support/service.ts';

const BIN = fileURLToPath(new URL('../bin/tunnel-service.ts', import.meta.url));

function health(url: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [BIN, 'health', '--url', url], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, out: stdout + stderr }),
    ),
  );
}

test('GET /healthz answers 200 without a key and leaves no audit entry', { timeout: 30_000 }, async () => {
  const service = await startTestService();
  try {
    const before = await service.ok<{ data: unknown[] }>('GET', '/v1/audit', service.ownerKey);
    const answer = await service.call('GET', '/healthz', undefined);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { status: 'ok' });
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    const after = await service.ok<{ data: unknown[] }>('GET', '/v1/audit', service.ownerKey);
    assert.equal(after.data.length, before.data.length);
  } finally {
    await service.stop();
  }
});

test(
  'tunnel-service health exits 0 for a running service and 1, saying why, for none',
  { timeout: 60_000 },
  async () => {
    const service = await startTestService();
    try {
      assert.deepEqual(await health(`${service.url}/healthz`), {
        code: 0,
        out: `tunnel-service at ${service.url} is healthy\n`,
      });
    } finally {
      await service.stop();
    }
    const gone = await health(service.url);
    assert.equal(gone.code, 1);
    assert.match(gone.out, /is unreachable \(ECONNREFUSED\): is it running, and on that address\?/);
    const bad = await health('127.0.0.1:8787');
    assert.equal(bad.code, 2);
    assert.match(bad.out, /not a service URL like http:\/\/127\.0\.0\.1:8787/);
  },
);
