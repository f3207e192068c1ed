// The audit log keeps --audit-retention days: entries past it are deleted when the service starts (and
// hourly after), newer ones stay and are still served by GET /v1/audit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATABASE_FILE } from '../src/index.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { startTestService } from './support/service.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

test(
  'audit entries older than the retention period are pruned at start; newer ones stay',
  { timeout: 30_000 },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tunnel-service-retention-'));
    try {
      const first = await startTestService({ dataDir });
      const { ownerKey } = first;
      const [organization] = await first.service.store.organizations.list();
      await first.stop();

      // Entries written as if the service had been running for a long time.
      const store = await openSqliteStore(join(dataDir, DATABASE_FILE));
      for (const [id, ageDays] of [
        ['audit_old', 45],
        ['audit_older', 400],
        ['audit_recent', 2],
      ] as const) {
        await store.audit.append({
          id,
          organization_id: organization!.id,
          at: new Date(Date.now() - ageDays * DAY_MS).toISOString(),
          actor_kind: 'api_key',
          actor_id: null,
          actor_name: null,
          action: 'tunnel.poll',
          target: null,
          outcome: 'refused',
          reason: 'invalid_api_key',
          ip: '127.0.0.1',
        });
      }
      await store.close();

      const second = await startTestService({ dataDir, auditRetentionDays: 30 });
      try {
        const entries = await second.ok<{ data: { id: string }[] }>('GET', '/v1/audit?limit=1000', ownerKey);
        const ids = entries.data.map((entry) => entry.id);
        assert.ok(ids.includes('audit_recent'), 'an entry within the retention period stays');
        assert.ok(!ids.includes('audit_old'), 'an entry past the retention period is pruned');
        assert.ok(!ids.includes('audit_older'));
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
