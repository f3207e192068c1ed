// The store's contract suites against the embedded SQLite store, plus what only SQLite can show: a value
// written around the service is refused by name, not passed on mistyped.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { OpenStore } from './contract.ts';
import { storeContracts } from './contracts.ts';
import { auditEntry, organization } from './rows.ts';

const openSqlite: OpenStore = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tunnel-service-store-'));
  const store = await openSqliteStore(join(dir, 'service.db'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

describe('SQLite store', () => {
  storeContracts(openSqlite);

  test('a stored value its column cannot hold fails naming the column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tunnel-service-store-'));
    const file = join(dir, 'service.db');
    try {
      const store = await openSqliteStore(file);
      const { organization: org } = await organization(store);
      await store.audit.append(auditEntry(org.id));
      await store.close();
      // Written around the service, as a hand edit or a newer version might.
      const raw = new DatabaseSync(file);
      raw.exec("UPDATE audit_log SET outcome = 'maybe'");
      raw.close();
      const reopened = await openSqliteStore(file);
      try {
        await assert.rejects(reopened.audit.list(org.id, { limit: 10 }), /audit_log\.outcome holds "maybe"/);
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
