import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { at, connector, mcpSession, organization, tunnel } from './rows.ts';

const sorted = (ids: string[]) => [...ids].sort();

export function tunnelsContract(open: OpenStore): void {
  describe('tunnels', () => {
    const it = storeTest(open);

    it('create and get: the tunnel with the organizations that see it, sorted', async (store) => {
      const { organization: a } = await organization(store, 'a');
      const { organization: b } = await organization(store, 'b');
      const shared = tunnel([b.id, a.id], { connector_access: 'public', description: 'shared' });
      await store.tunnels.create(shared);
      assert.deepEqual(await store.tunnels.get(shared.id), {
        ...shared,
        organization_ids: sorted([a.id, b.id]),
      });
      assert.equal(await store.tunnels.get('tunnel_unknown'), undefined);
    });

    it('list: the tunnels an organization sees, oldest first', async (store) => {
      const { organization: a } = await organization(store, 'a');
      const { organization: b } = await organization(store, 'b');
      const { organization: c } = await organization(store, 'c');
      const late = tunnel([a.id], { name: 'late', created_at: at(30) });
      const shared = tunnel([a.id, b.id], { name: 'shared', created_at: at(20) });
      const onlyB = tunnel([b.id], { name: 'only b', created_at: at(10) });
      for (const row of [late, shared, onlyB]) await store.tunnels.create(row);
      assert.deepEqual(
        (await store.tunnels.list(a.id)).map((t) => t.name),
        ['shared', 'late'],
      );
      assert.deepEqual(
        (await store.tunnels.list(b.id)).map((t) => t.name),
        ['only b', 'shared'],
      );
      assert.deepEqual(await store.tunnels.list(c.id), []);
    });

    it('update writes every field but the creation time, organizations included', async (store) => {
      const { organization: a } = await organization(store, 'a');
      const { organization: b } = await organization(store, 'b');
      const original = tunnel([a.id]);
      await store.tunnels.create(original);
      const updated = {
        ...original,
        name: 'renamed',
        description: 'now shared',
        organization_ids: [b.id],
        response_timeout: '2m',
        connector_access: 'public' as const,
        created_at: at(99),
        updated_at: at(50),
      };
      await store.tunnels.update(updated);
      assert.deepEqual(await store.tunnels.get(original.id), { ...updated, created_at: original.created_at });
      assert.deepEqual(await store.tunnels.list(a.id), []);
    });

    it('create and update are all or nothing: an unknown organization changes nothing', async (store) => {
      const { organization: a } = await organization(store, 'a');
      const refused = tunnel([a.id, 'org_unknown']);
      await assert.rejects(store.tunnels.create(refused));
      assert.equal(await store.tunnels.get(refused.id), undefined);
      assert.deepEqual(await store.tunnels.list(a.id), []);

      const kept = tunnel([a.id]);
      await store.tunnels.create(kept);
      await assert.rejects(
        store.tunnels.update({ ...kept, name: 'renamed', organization_ids: ['org_unknown'] }),
      );
      assert.deepEqual(await store.tunnels.get(kept.id), kept);
    });

    it('delete takes its MCP sessions and connectors with it', async (store) => {
      const { organization: a, owner } = await organization(store);
      const doomed = tunnel([a.id]);
      const other = tunnel([a.id]);
      await store.tunnels.create(doomed);
      await store.tunnels.create(other);
      const session = mcpSession(doomed.id);
      const kept = mcpSession(other.id);
      await store.mcpSessions.create(session);
      await store.mcpSessions.create(kept);
      const link = connector(owner, doomed.id);
      await store.connectors.create(link);
      await store.tunnels.delete(doomed.id);
      assert.equal(await store.tunnels.get(doomed.id), undefined);
      assert.equal(await store.mcpSessions.get(doomed.id, session.id), undefined);
      assert.equal(await store.connectors.get(link.id), undefined);
      assert.deepEqual(await store.mcpSessions.get(other.id, kept.id), kept);
      assert.deepEqual(
        (await store.tunnels.list(a.id)).map((t) => t.id),
        [other.id],
      );
    });
  });
}
