import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { at, organization, ownerBootstrap } from './rows.ts';

export function organizationsContract(open: OpenStore): void {
  describe('organizations', () => {
    const it = storeTest(open);

    it('create makes the organization, its Owner role, the owner holding it and the owner key', async (store) => {
      const rows = await organization(store, 'Platform team');
      assert.deepEqual(await store.organizations.get(rows.organization.id), rows.organization);
      assert.deepEqual(await store.roles.get(rows.ownerRole.id), rows.ownerRole);
      assert.deepEqual(await store.members.get(rows.owner.id), rows.owner);
      assert.deepEqual(await store.apiKeys.findByHash(rows.ownerKey.secret_hash), rows.ownerKey);
      assert.equal(await store.organizations.count(), 1);
    });

    it('list is oldest first, count counts them, an unknown id is undefined', async (store) => {
      assert.equal(await store.organizations.count(), 0);
      assert.deepEqual(await store.organizations.list(), []);
      const second = ownerBootstrap('second', at(20));
      const first = ownerBootstrap('first', at(10));
      const third = ownerBootstrap('third', at(30));
      for (const rows of [second, third, first]) await store.organizations.create(rows);
      assert.deepEqual(
        (await store.organizations.list()).map((o) => o.name),
        ['first', 'second', 'third'],
      );
      assert.equal(await store.organizations.count(), 3);
      assert.equal(await store.organizations.get('org_unknown'), undefined);
    });

    it('create is all or nothing: a conflicting owner key leaves no organization, role or member', async (store) => {
      const existing = await organization(store);
      const clash = ownerBootstrap('clash');
      clash.ownerKey.secret_hash = existing.ownerKey.secret_hash;
      await assert.rejects(store.organizations.create(clash));
      assert.equal(await store.organizations.count(), 1);
      assert.equal(await store.organizations.get(clash.organization.id), undefined);
      assert.equal(await store.roles.get(clash.ownerRole.id), undefined);
      assert.equal(await store.members.get(clash.owner.id), undefined);
      assert.deepEqual(await store.apiKeys.findByHash(existing.ownerKey.secret_hash), existing.ownerKey);
    });

    it('createFirst makes one first organization however many callers try at once', async (store) => {
      const attempts = [1, 2, 3, 4].map((n) => ownerBootstrap(`first ${n}`));
      const made = await Promise.all(attempts.map((rows) => store.organizations.createFirst(rows)));
      assert.equal(made.filter(Boolean).length, 1);
      const winner = attempts[made.indexOf(true)]!;
      assert.deepEqual(await store.organizations.list(), [winner.organization]);
      assert.deepEqual(await store.members.get(winner.owner.id), winner.owner);
      assert.equal(await store.organizations.createFirst(ownerBootstrap('later')), false);
      assert.equal(await store.organizations.count(), 1);
    });
  });
}
