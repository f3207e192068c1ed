import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { at, member, organization, role } from './rows.ts';

export function rolesContract(open: OpenStore): void {
  describe('roles', () => {
    const it = storeTest(open);

    it('create, get, getMany and list (oldest first, one organization)', async (store) => {
      const { organization: org, ownerRole } = await organization(store);
      const { organization: other, ownerRole: otherOwner } = await organization(store, 'other');
      const late = role(org.id, { name: 'late', permissions: [], created_at: at(30) });
      const early = role(org.id, {
        name: 'early',
        permissions: ['tunnel.use', 'tunnel.read'],
        created_at: at(20),
      });
      await store.roles.create(late);
      await store.roles.create(early);
      assert.deepEqual(await store.roles.get(early.id), early);
      assert.deepEqual(await store.roles.get(ownerRole.id), ownerRole);
      assert.equal(await store.roles.get('role_unknown'), undefined);
      assert.deepEqual(await store.roles.list(org.id), [ownerRole, early, late]);
      assert.deepEqual(await store.roles.list(other.id), [otherOwner]);
      const many = await store.roles.getMany([late.id, 'role_unknown', otherOwner.id]);
      assert.deepEqual(
        many.sort((a, b) => (a.id < b.id ? -1 : 1)),
        [late, otherOwner].sort((a, b) => (a.id < b.id ? -1 : 1)),
      );
      assert.deepEqual(await store.roles.getMany([]), []);
    });

    it('a name is unique within its organization only', async (store) => {
      const { organization: org } = await organization(store);
      const { organization: other } = await organization(store, 'other');
      const first = role(org.id, { name: 'Readers' });
      await store.roles.create(first);
      const clash = role(org.id, { name: 'Readers' });
      await assert.rejects(store.roles.create(clash));
      assert.equal(await store.roles.get(clash.id), undefined);
      await store.roles.create(role(other.id, { name: 'Readers' }));
      const renamed = role(org.id, { name: 'Writers' });
      await store.roles.create(renamed);
      await assert.rejects(store.roles.update({ ...renamed, name: 'Readers' }));
      assert.equal((await store.roles.get(renamed.id))?.name, 'Writers');
    });

    it('update writes the name, permissions and updated_at only', async (store) => {
      const { organization: org } = await organization(store);
      const { organization: other } = await organization(store, 'other');
      const readers = role(org.id, { name: 'Readers' });
      await store.roles.create(readers);
      await store.roles.update({
        ...readers,
        organization_id: other.id,
        name: 'Users',
        permissions: ['tunnel.read', 'tunnel.use'],
        builtin: 'owner',
        created_at: at(99),
        updated_at: at(60),
      });
      assert.deepEqual(await store.roles.get(readers.id), {
        ...readers,
        name: 'Users',
        permissions: ['tunnel.read', 'tunnel.use'],
        updated_at: at(60),
      });
    });

    it('delete takes the role from every member holding it', async (store) => {
      const { organization: org, ownerRole } = await organization(store);
      const readers = role(org.id);
      await store.roles.create(readers);
      const ada = member(org.id, { role_ids: [ownerRole.id, readers.id] });
      await store.members.create(ada);
      await store.roles.delete(readers.id);
      assert.equal(await store.roles.get(readers.id), undefined);
      assert.deepEqual((await store.members.get(ada.id))?.role_ids, [ownerRole.id]);
    });
  });
}
