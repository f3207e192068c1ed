import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { apiKey, at, browserSession, member, organization, role } from './rows.ts';

export function membersContract(open: OpenStore): void {
  describe('members', () => {
    const it = storeTest(open);

    it('create and get: the member with its roles, sorted by id', async (store) => {
      const { organization: org } = await organization(store);
      const [a, b] = [role(org.id), role(org.id)].sort((x, y) => (x.id < y.id ? -1 : 1));
      await store.roles.create(a!);
      await store.roles.create(b!);
      const ada = member(org.id, { kind: 'service_account', role_ids: [b!.id, a!.id] });
      await store.members.create(ada);
      assert.deepEqual(await store.members.get(ada.id), { ...ada, role_ids: [a!.id, b!.id] });
      assert.equal(await store.members.get('member_unknown'), undefined);
    });

    it('create is all or nothing: an unknown role leaves no member', async (store) => {
      const { organization: org } = await organization(store);
      const ada = member(org.id, { role_ids: ['role_unknown'] });
      await assert.rejects(store.members.create(ada));
      assert.equal(await store.members.get(ada.id), undefined);
    });

    it("list: an organization's members not removed, oldest first", async (store) => {
      const { organization: org, owner } = await organization(store);
      const { organization: other } = await organization(store, 'other');
      const late = member(org.id, { name: 'late', created_at: at(30) });
      const early = member(org.id, { name: 'early', created_at: at(20) });
      const removed = member(org.id, { name: 'removed', created_at: at(25) });
      for (const row of [late, early, removed, member(other.id)]) await store.members.create(row);
      await store.members.remove(removed.id, at(40));
      assert.deepEqual(
        (await store.members.list(org.id)).map((m) => m.name),
        [owner.name, 'early', 'late'],
      );
    });

    it('listByEmail finds the members that sign in with it; an email signs in to one member per organization', async (store) => {
      const { organization: org, owner } = await organization(store);
      const { organization: other, owner: otherOwner } = await organization(store, 'other');
      const ada = member(org.id);
      await store.members.create(ada);
      await store.members.setSignIn(owner.id, {
        name: 'Grace',
        email: 'grace@example.com',
        passwordHash: 'h1',
      });
      const [grace] = await store.members.listByEmail('grace@example.com');
      assert.equal(grace?.id, owner.id);
      assert.equal(grace?.name, 'Grace');
      assert.equal(grace?.password_hash, 'h1');
      assert.deepEqual(await store.members.listByEmail('nobody@example.com'), []);
      await assert.rejects(
        store.members.setSignIn(ada.id, { name: 'Ada', email: 'grace@example.com', passwordHash: 'h2' }),
      );
      assert.deepEqual(await store.members.get(ada.id), ada);
      await store.members.setSignIn(otherOwner.id, {
        name: 'Grace elsewhere',
        email: 'grace@example.com',
        passwordHash: 'h3',
      });
      const both = await store.members.listByEmail('grace@example.com');
      assert.deepEqual(
        both.map((m) => `${m.organization_id} ${m.password_hash}`).sort(),
        [`${org.id} h1`, `${other.id} h3`].sort(),
      );
    });

    it('setRoles replaces the roles, all or nothing', async (store) => {
      const { organization: org, owner, ownerRole } = await organization(store);
      const reader = role(org.id);
      await store.roles.create(reader);
      await store.members.setRoles(owner.id, [reader.id]);
      assert.deepEqual((await store.members.get(owner.id))?.role_ids, [reader.id]);
      await assert.rejects(store.members.setRoles(owner.id, [ownerRole.id, 'role_unknown']));
      assert.deepEqual((await store.members.get(owner.id))?.role_ids, [reader.id]);
      await store.members.setRoles(owner.id, []);
      assert.deepEqual((await store.members.get(owner.id))?.role_ids, []);
    });

    it('remove keeps the name, drops roles and sign-in, revokes live keys and ends browser sessions', async (store) => {
      const { organization: org, ownerRole } = await organization(store);
      const ada = member(org.id, { role_ids: [ownerRole.id] });
      await store.members.create(ada);
      await store.members.setSignIn(ada.id, { name: 'Ada', email: 'ada@example.com', passwordHash: 'h' });
      const live = apiKey(ada);
      const revokedEarlier = apiKey(ada, { revoked_at: at(5) });
      await store.apiKeys.create(live);
      await store.apiKeys.create(revokedEarlier);
      const session = browserSession(ada);
      await store.browserSessions.create(session);

      await store.members.remove(ada.id, at(50));
      assert.deepEqual(await store.members.get(ada.id), {
        ...ada,
        role_ids: [],
        email: null,
        password_hash: null,
        deleted_at: at(50),
      });
      assert.deepEqual(await store.members.listByEmail('ada@example.com'), []);
      assert.equal((await store.apiKeys.get(live.id))?.revoked_at, at(50));
      assert.equal((await store.apiKeys.get(revokedEarlier.id))?.revoked_at, at(5));
      assert.equal(await store.browserSessions.get(session.id_hash), undefined);
      assert.equal(await store.members.hasSignIn(), false);
    });

    it('hasSignIn: whether any member, or one of an organization, has a password', async (store) => {
      const { organization: org, owner } = await organization(store);
      const { organization: other } = await organization(store, 'other');
      assert.equal(await store.members.hasSignIn(), false);
      await store.members.setSignIn(owner.id, { name: 'Owner', email: 'o@example.com', passwordHash: 'h' });
      assert.equal(await store.members.hasSignIn(), true);
      assert.equal(await store.members.hasSignIn(org.id), true);
      assert.equal(await store.members.hasSignIn(other.id), false);
    });
  });
}
