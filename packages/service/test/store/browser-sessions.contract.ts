import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { at, browserSession, organization } from './rows.ts';

export function browserSessionsContract(open: OpenStore): void {
  describe('browserSessions', () => {
    const it = storeTest(open);

    it('create, get by the token hash, delete', async (store) => {
      const { owner } = await organization(store);
      const session = browserSession(owner);
      await store.browserSessions.create(session);
      assert.deepEqual(await store.browserSessions.get(session.id_hash), session);
      await assert.rejects(
        store.browserSessions.create({ ...browserSession(owner), id_hash: session.id_hash }),
      );
      await store.browserSessions.delete(session.id_hash);
      assert.equal(await store.browserSessions.get(session.id_hash), undefined);
    });

    it('deleteExpired drops the sessions that expired before the given time', async (store) => {
      const { owner } = await organization(store);
      const [expired, expiringNow, live] = [10, 20, 30].map((s) =>
        browserSession(owner, { expires_at: at(s) }),
      );
      for (const session of [expired!, expiringNow!, live!]) await store.browserSessions.create(session);
      await store.browserSessions.deleteExpired(at(20));
      assert.equal(await store.browserSessions.get(expired!.id_hash), undefined);
      assert.deepEqual(await store.browserSessions.get(expiringNow!.id_hash), expiringNow);
      assert.deepEqual(await store.browserSessions.get(live!.id_hash), live);
    });

    it('a session needs an existing member', async (store) => {
      const { owner } = await organization(store);
      const orphan = browserSession({ ...owner, id: 'member_unknown' });
      await assert.rejects(store.browserSessions.create(orphan));
      assert.equal(await store.browserSessions.get(orphan.id_hash), undefined);
    });
  });
}
