import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { apiKey, at, member, organization } from './rows.ts';

export function apiKeysContract(open: OpenStore): void {
  describe('apiKeys', () => {
    const it = storeTest(open);

    it('create, get, findByHash and list (revoked included, oldest first, one organization)', async (store) => {
      const { organization: org, owner, ownerKey } = await organization(store);
      await organization(store, 'other');
      const restricted = apiKey(owner, { permissions: ['tunnel.use'], created_at: at(20) });
      const none = apiKey(owner, { permissions: [], created_at: at(30), revoked_at: at(31) });
      await store.apiKeys.create(none);
      await store.apiKeys.create(restricted);
      assert.deepEqual(await store.apiKeys.get(restricted.id), restricted);
      assert.deepEqual(await store.apiKeys.findByHash(none.secret_hash), none);
      assert.equal(await store.apiKeys.findByHash('0'.repeat(64)), undefined);
      assert.equal(await store.apiKeys.get('key_unknown'), undefined);
      assert.deepEqual(await store.apiKeys.list(org.id), [ownerKey, restricted, none]);
    });

    it('a secret hash belongs to one key across the service; a key needs an existing owner', async (store) => {
      const { ownerKey } = await organization(store);
      const { owner: otherOwner } = await organization(store, 'other');
      const clash = apiKey(otherOwner, { secret_hash: ownerKey.secret_hash });
      await assert.rejects(store.apiKeys.create(clash));
      assert.equal(await store.apiKeys.get(clash.id), undefined);
      const orphan = apiKey(member(otherOwner.organization_id));
      await assert.rejects(store.apiKeys.create(orphan));
      assert.equal(await store.apiKeys.get(orphan.id), undefined);
    });

    it('revoke keeps the first revocation time; touch records the last use', async (store) => {
      const { ownerKey } = await organization(store);
      await store.apiKeys.touch(ownerKey.id, at(10));
      await store.apiKeys.revoke(ownerKey.id, at(20));
      await store.apiKeys.revoke(ownerKey.id, at(30));
      assert.deepEqual(await store.apiKeys.get(ownerKey.id), {
        ...ownerKey,
        last_used_at: at(10),
        revoked_at: at(20),
      });
    });
  });
}
