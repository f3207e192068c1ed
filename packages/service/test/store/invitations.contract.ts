import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { at, invitation, member, organization } from './rows.ts';

export function invitationsContract(open: OpenStore): void {
  describe('invitations', () => {
    const it = storeTest(open);

    it('create, get, findByHash, delete; a token hash belongs to one invitation', async (store) => {
      const { owner, ownerRole } = await organization(store);
      const invited = invitation(owner, { role_ids: [ownerRole.id] });
      await store.invitations.create(invited);
      assert.deepEqual(await store.invitations.get(invited.id), invited);
      assert.deepEqual(await store.invitations.findByHash(invited.token_hash), invited);
      assert.equal(await store.invitations.findByHash('0'.repeat(64)), undefined);
      const clash = invitation(owner, { token_hash: invited.token_hash });
      await assert.rejects(store.invitations.create(clash));
      assert.equal(await store.invitations.get(clash.id), undefined);
      await store.invitations.delete(invited.id);
      assert.equal(await store.invitations.get(invited.id), undefined);
    });

    it('list: invitations not accepted, expired ones included, oldest first, one organization', async (store) => {
      const { owner } = await organization(store);
      const { owner: otherOwner } = await organization(store, 'other');
      const late = invitation(owner, { created_at: at(30) });
      const expired = invitation(owner, { created_at: at(20), expires_at: at(21) });
      const accepted = invitation(owner, { created_at: at(10) });
      for (const row of [late, expired, accepted, invitation(otherOwner)])
        await store.invitations.create(row);
      assert.equal(await store.invitations.accept(accepted.id, member(owner.organization_id), at(40)), true);
      assert.deepEqual(await store.invitations.list(owner.organization_id), [expired, late]);
    });

    it('accept creates the member and uses the invitation up, once', async (store) => {
      const { owner, ownerRole } = await organization(store);
      const invited = invitation(owner, { role_ids: [ownerRole.id] });
      await store.invitations.create(invited);
      const ada = member(owner.organization_id, { email: invited.email, role_ids: [ownerRole.id] });
      assert.equal(await store.invitations.accept(invited.id, ada, at(50)), true);
      assert.deepEqual(await store.members.get(ada.id), ada);
      assert.equal((await store.invitations.get(invited.id))?.accepted_at, at(50));

      const again = member(owner.organization_id);
      assert.equal(await store.invitations.accept(invited.id, again, at(60)), false);
      assert.equal(await store.members.get(again.id), undefined);
      assert.equal((await store.invitations.get(invited.id))?.accepted_at, at(50));
    });

    it('two accepts at once: exactly one creates its member', async (store) => {
      const { owner } = await organization(store);
      const invited = invitation(owner);
      await store.invitations.create(invited);
      const [ada, grace] = [member(owner.organization_id), member(owner.organization_id)];
      const results = await Promise.all([
        store.invitations.accept(invited.id, ada!, at(50)),
        store.invitations.accept(invited.id, grace!, at(51)),
      ]);
      assert.deepEqual([...results].sort(), [false, true]);
      const created = [await store.members.get(ada!.id), await store.members.get(grace!.id)].filter(Boolean);
      assert.equal(created.length, 1);
    });

    it('accept is all or nothing: a member that cannot be created leaves the invitation open', async (store) => {
      const { owner } = await organization(store);
      await store.members.setSignIn(owner.id, {
        name: 'Owner',
        email: 'taken@example.com',
        passwordHash: 'h',
      });
      const invited = invitation(owner, { email: 'taken@example.com' });
      await store.invitations.create(invited);
      const duplicate = member(owner.organization_id, { email: 'taken@example.com' });
      await assert.rejects(store.invitations.accept(invited.id, duplicate, at(50)));
      assert.equal(await store.members.get(duplicate.id), undefined);
      assert.equal((await store.invitations.get(invited.id))?.accepted_at, null);
    });
  });
}
