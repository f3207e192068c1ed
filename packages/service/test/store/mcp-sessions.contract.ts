import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { at, mcpSession, organization, tunnel } from './rows.ts';
import type { Store } from '../../src/store/types.ts';

async function aTunnel(store: Store): Promise<string> {
  const { organization: org } = await organization(store);
  const row = tunnel([org.id]);
  await store.tunnels.create(row);
  return row.id;
}

export function mcpSessionsContract(open: OpenStore): void {
  describe('mcpSessions', () => {
    const it = storeTest(open);

    it('create and get, within one tunnel', async (store) => {
      const tunnelId = await aTunnel(store);
      const otherTunnel = await aTunnel(store);
      const minted = mcpSession(tunnelId, { minted: true });
      const upstream = mcpSession(tunnelId, { minted: false, channel: 'http' });
      await store.mcpSessions.create(minted);
      await store.mcpSessions.create(upstream);
      assert.deepEqual(await store.mcpSessions.get(tunnelId, minted.id), minted);
      assert.deepEqual(await store.mcpSessions.get(tunnelId, upstream.id), upstream);
      assert.equal(await store.mcpSessions.get(otherTunnel, minted.id), undefined);
      // The MCP server picks its ids: the same id in another tunnel is another session, in the same one a clash.
      await store.mcpSessions.create({ ...minted, tunnel_id: otherTunnel });
      await assert.rejects(store.mcpSessions.create({ ...minted, channel: 'other' }));
      assert.deepEqual(await store.mcpSessions.get(tunnelId, minted.id), minted);
    });

    it('listOpen: sessions not ended, most recently used first, at most `limit`', async (store) => {
      const tunnelId = await aTunnel(store);
      const otherTunnel = await aTunnel(store);
      const rows = [10, 30, 20, 40].map((s) => mcpSession(tunnelId, { last_used_at: at(s) }));
      for (const row of rows) await store.mcpSessions.create(row);
      await store.mcpSessions.create(mcpSession(otherTunnel, { last_used_at: at(50) }));
      await store.mcpSessions.end(tunnelId, rows[3]!.id, at(45));
      assert.deepEqual(
        (await store.mcpSessions.listOpen(tunnelId, 10)).map((s) => s.last_used_at),
        [at(30), at(20), at(10)],
      );
      assert.deepEqual(
        (await store.mcpSessions.listOpen(tunnelId, 2)).map((s) => s.id),
        [rows[1]!.id, rows[2]!.id],
      );
    });

    it('hasMinted: whether the service minted an id for this tunnel and channel', async (store) => {
      const tunnelId = await aTunnel(store);
      const otherTunnel = await aTunnel(store);
      await store.mcpSessions.create(mcpSession(tunnelId, { channel: 'stdio', minted: true }));
      await store.mcpSessions.create(mcpSession(tunnelId, { channel: 'http', minted: false }));
      assert.equal(await store.mcpSessions.hasMinted(tunnelId, 'stdio'), true);
      assert.equal(await store.mcpSessions.hasMinted(tunnelId, 'http'), false);
      assert.equal(await store.mcpSessions.hasMinted(otherTunnel, 'stdio'), false);
    });

    it('touch records the last use; end keeps the first end time', async (store) => {
      const tunnelId = await aTunnel(store);
      const session = mcpSession(tunnelId);
      await store.mcpSessions.create(session);
      await store.mcpSessions.touch(tunnelId, session.id, at(10));
      await store.mcpSessions.end(tunnelId, session.id, at(20));
      await store.mcpSessions.end(tunnelId, session.id, at(30));
      assert.deepEqual(await store.mcpSessions.get(tunnelId, session.id), {
        ...session,
        last_used_at: at(10),
        ended_at: at(20),
      });
    });
  });
}
