// The reads each call makes are answered from memory for a moment (store/recent-reads.ts): a change made
// through the store applies to the very next read, and one made around it (another node, another process)
// is seen once the remembered read ages out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as delay } from 'node:timers/promises';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { Store } from '../../src/store/types.ts';
import { organization, tunnel } from './rows.ts';

async function withStore(work: (store: Store, file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tunnel-service-recent-'));
  const file = join(dir, 'service.db');
  const store = await openSqliteStore(file);
  try {
    await work(store, file);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a revocation, removal, role change or deletion through the store applies to the next read', async () => {
  await withStore(async (store) => {
    const { ownerKey, owner, ownerRole, organization: org } = await organization(store);
    const row = tunnel([org.id]);
    await store.tunnels.create(row);
    // Remembered now.
    assert.equal((await store.apiKeys.findByHash(ownerKey.secret_hash))?.revoked_at, null);
    assert.equal((await store.members.get(owner.id))?.deleted_at, null);
    assert.deepEqual(
      (await store.roles.getMany([ownerRole.id])).map((role) => role.name),
      ['Owner'],
    );
    assert.ok(await store.tunnels.get(row.id));

    await store.apiKeys.revoke(ownerKey.id, new Date().toISOString());
    assert.ok((await store.apiKeys.findByHash(ownerKey.secret_hash))?.revoked_at);
    await store.members.remove(owner.id, new Date().toISOString());
    assert.ok((await store.members.get(owner.id))?.deleted_at);
    await store.roles.update({ ...ownerRole, name: 'Renamed' });
    assert.deepEqual(
      (await store.roles.getMany([ownerRole.id])).map((role) => role.name),
      ['Renamed'],
    );
    await store.tunnels.delete(row.id);
    assert.equal(await store.tunnels.get(row.id), undefined);
  });
});

test('a read that was running when a write began is not remembered', async () => {
  await withStore(async (store) => {
    const { ownerKey } = await organization(store);
    const reading = store.apiKeys.findByHash(ownerKey.secret_hash);
    const revoking = store.apiKeys.revoke(ownerKey.id, new Date().toISOString());
    assert.equal((await reading)?.revoked_at, null);
    await revoking;
    assert.ok((await store.apiKeys.findByHash(ownerKey.secret_hash))?.revoked_at);
  });
});

test('a remembered row cannot be changed by one caller for the next', async () => {
  await withStore(async (store) => {
    const { ownerRole } = await organization(store);
    const [role] = await store.roles.getMany([ownerRole.id]);
    assert.throws(() => role!.permissions.push('tunnel.use'), TypeError);
    // Each caller gets a list of its own to sort.
    const list = await store.roles.getMany([ownerRole.id]);
    list.sort();
  });
});

test('a change made around the store (another node or process) is seen once the remembered read ages out', async () => {
  await withStore(async (store, file) => {
    const { ownerKey } = await organization(store);
    assert.equal((await store.apiKeys.findByHash(ownerKey.secret_hash))?.revoked_at, null);
    const other = new DatabaseSync(file);
    other
      .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?')
      .run(new Date().toISOString(), ownerKey.id);
    other.close();
    // Read again until the change shows (RECENT_READ_MAX_AGE_MS); the test's timeout bounds the wait.
    while (!(await store.apiKeys.findByHash(ownerKey.secret_hash))?.revoked_at) await delay(50);
  });
});
