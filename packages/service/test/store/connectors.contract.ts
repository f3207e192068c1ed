import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { at, connector, organization, tunnel } from './rows.ts';

export function connectorsContract(open: OpenStore): void {
  describe('connectors', () => {
    const it = storeTest(open);

    it('create, get, list (oldest first, one organization), delete', async (store) => {
      const { organization: org, owner } = await organization(store);
      const { organization: other, owner: otherOwner } = await organization(store, 'other');
      const target = tunnel([org.id, other.id]);
      await store.tunnels.create(target);
      const late = connector(owner, target.id, { name: 'late', created_at: at(30) });
      const early = connector(owner, target.id, {
        name: 'early',
        authentication: 'none',
        created_at: at(20),
      });
      for (const row of [late, early, connector(otherOwner, target.id)]) await store.connectors.create(row);
      assert.deepEqual(await store.connectors.get(early.id), early);
      assert.equal(await store.connectors.get('conn_unknown'), undefined);
      assert.deepEqual(await store.connectors.list(org.id), [early, late]);
      await store.connectors.delete(early.id);
      assert.equal(await store.connectors.get(early.id), undefined);
      assert.deepEqual(await store.connectors.list(org.id), [late]);
    });

    it('update writes the name, authentication, tunnel and updated_at only', async (store) => {
      const { organization: org, owner } = await organization(store);
      const [first, second] = [tunnel([org.id]), tunnel([org.id])];
      await store.tunnels.create(first!);
      await store.tunnels.create(second!);
      const original = connector(owner, first!.id);
      await store.connectors.create(original);
      await store.connectors.update({
        ...original,
        name: 'renamed',
        authentication: 'none',
        tunnel_id: second!.id,
        created_by: 'member_other',
        created_at: at(99),
        updated_at: at(50),
      });
      assert.deepEqual(await store.connectors.get(original.id), {
        ...original,
        name: 'renamed',
        authentication: 'none',
        tunnel_id: second!.id,
        updated_at: at(50),
      });
    });

    it('a connector needs an existing tunnel', async (store) => {
      const { owner } = await organization(store);
      const orphan = connector(owner, 'tunnel_unknown');
      await assert.rejects(store.connectors.create(orphan));
      assert.equal(await store.connectors.get(orphan.id), undefined);
    });
  });
}
