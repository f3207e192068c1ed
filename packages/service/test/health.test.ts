import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestService } from './support/service.ts';

test('GET /healthz answers 200 without a key and leaves no audit entry', { timeout: 30_000 }, async () => {
  const service = await startTestService();
  try {
    const before = await service.ok<{ data: unknown[] }>('GET', '/v1/audit', service.ownerKey);
    const health = await service.call('GET', '/healthz', undefined);
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    assert.equal(health.headers.get('cache-control'), 'no-store');
    const after = await service.ok<{ data: unknown[] }>('GET', '/v1/audit', service.ownerKey);
    assert.equal(after.data.length, before.data.length);
  } finally {
    await service.stop();
  }
});
