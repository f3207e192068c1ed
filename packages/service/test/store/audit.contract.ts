import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { at, auditEntry, organization } from './rows.ts';

export function auditContract(open: OpenStore): void {
  describe('audit', () => {
    const it = storeTest(open);

    it('list: one organization, newest first (ties by id), at most `limit`; an id is recorded once', async (store) => {
      const { organization: org } = await organization(store);
      const { organization: other } = await organization(store, 'other');
      const entries = [
        auditEntry(org.id, { id: 'audit_b', at: at(20) }),
        auditEntry(org.id, {
          id: 'audit_a',
          at: at(20),
          actor_id: 'member_1',
          actor_name: 'Ada',
          target: 't',
        }),
        auditEntry(org.id, {
          id: 'audit_c',
          at: at(10),
          outcome: 'refused',
          reason: 'permission_denied',
          ip: null,
        }),
        auditEntry(other.id, { id: 'audit_d', at: at(30) }),
      ];
      for (const entry of entries) await store.audit.append(entry);
      assert.deepEqual(await store.audit.list(org.id, { limit: 10 }), [entries[0], entries[1], entries[2]]);
      assert.deepEqual(await store.audit.list(org.id, { limit: 1 }), [entries[0]]);
      await assert.rejects(store.audit.append({ ...entries[3]!, organization_id: org.id }));
    });

    it('list filters by action, actor, outcome and time', async (store) => {
      const { organization: org } = await organization(store);
      const create = auditEntry(org.id, { action: 'tunnel.create', actor_id: 'member_a', at: at(10) });
      const refused = auditEntry(org.id, { action: 'tunnel.poll', outcome: 'refused', at: at(20) });
      const remove = auditEntry(org.id, { action: 'tunnel.delete', actor_id: 'member_a', at: at(30) });
      for (const entry of [create, refused, remove]) await store.audit.append(entry);
      const list = (filter: Parameters<typeof store.audit.list>[1]) =>
        store.audit.list(org.id, filter).then((rows) => rows.map((row) => row.id));
      assert.deepEqual(await list({ limit: 10, action: 'tunnel.poll' }), [refused.id]);
      assert.deepEqual(await list({ limit: 10, actorId: 'member_a' }), [remove.id, create.id]);
      assert.deepEqual(await list({ limit: 10, outcome: 'allowed' }), [remove.id, create.id]);
      assert.deepEqual(await list({ limit: 10, since: at(20) }), [remove.id, refused.id]);
      assert.deepEqual(await list({ limit: 10, actorId: 'member_a', since: at(20), outcome: 'allowed' }), [
        remove.id,
      ]);
    });

    it('prune deletes the entries of every organization recorded before a time and counts them', async (store) => {
      const { organization: org } = await organization(store);
      const { organization: other } = await organization(store, 'other');
      for (const entry of [
        auditEntry(org.id, { id: 'audit_old', at: at(5) }),
        auditEntry(other.id, { id: 'audit_old_other', at: at(6) }),
        auditEntry(org.id, { id: 'audit_edge', at: at(10) }),
        auditEntry(other.id, { id: 'audit_new', at: at(20) }),
      ])
        await store.audit.append(entry);
      assert.equal(await store.audit.prune(at(10)), 2);
      assert.deepEqual(
        (await store.audit.list(org.id, { limit: 10 })).map((e) => e.id),
        ['audit_edge'],
      );
      assert.deepEqual(
        (await store.audit.list(other.id, { limit: 10 })).map((e) => e.id),
        ['audit_new'],
      );
      assert.equal(await store.audit.prune(at(10)), 0);
    });
  });
}
