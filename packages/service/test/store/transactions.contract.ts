import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { organization, tunnel } from './rows.ts';

/**
 * Every caller of the service shares one store: a transaction that fails must take back its own writes only,
 * and no one may read what it wrote before it commits.
 */
export function transactionsContract(open: OpenStore): void {
  describe('transactions', () => {
    const it = storeTest(open);

    it('a rolled-back transaction takes back its own writes, not a write made meanwhile', async (store) => {
      const { organization: org } = await organization(store);
      const refused = tunnel([org.id, 'org_unknown']);
      const failing = store.tunnels.create(refused);
      const meanwhile = store.settings.init('written meanwhile', 'kept');
      await assert.rejects(failing);
      assert.equal(await meanwhile, 'kept');
      assert.equal(await store.settings.get('written meanwhile'), 'kept');
      assert.equal(await store.tunnels.get(refused.id), undefined);
    });

    it('a read made while a transaction is open does not see its uncommitted writes', async (store) => {
      const { organization: org } = await organization(store);
      const refused = tunnel([org.id, 'org_unknown']);
      const failing = store.tunnels.create(refused);
      const read = store.tunnels.get(refused.id);
      await assert.rejects(failing);
      assert.equal(await read, undefined);
    });
  });
}
