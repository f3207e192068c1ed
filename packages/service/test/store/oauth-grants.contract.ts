import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { at, member, oauthGrant, oauthToken, organization, tunnel } from './rows.ts';
import type { Store } from '../../src/store/types.ts';

async function grantOf(store: Store) {
  const rows = await organization(store);
  const shared = tunnel([rows.organization.id]);
  await store.tunnels.create(shared);
  return { ...rows, tunnel: shared };
}

export function oauthGrantsContract(open: OpenStore): void {
  describe('oauthGrants', () => {
    const it = storeTest(open);

    it('create, get, and list an organization’s or one member’s grants, newest first', async (store) => {
      const { organization: org, owner, tunnel: t } = await grantOf(store);
      const ada = member(org.id);
      await store.members.create(ada);
      const older = oauthGrant(owner, t.id, { created_at: at(10) });
      const newer = oauthGrant(ada, t.id, { created_at: at(20) });
      await store.oauthGrants.create(older);
      await store.oauthGrants.create(newer);
      const other = await grantOf(store);
      await store.oauthGrants.create(oauthGrant(other.owner, other.tunnel.id));
      assert.deepEqual(await store.oauthGrants.get(older.id), older);
      assert.equal(await store.oauthGrants.get('grant_unknown'), undefined);
      assert.deepEqual(await store.oauthGrants.list(org.id), [newer, older]);
      assert.deepEqual(await store.oauthGrants.list(org.id, ada.id), [newer]);
    });

    it('revoke keeps the first time and reason; touch records the last use', async (store) => {
      const { owner, tunnel: t } = await grantOf(store);
      const grant = oauthGrant(owner, t.id);
      await store.oauthGrants.create(grant);
      await store.oauthGrants.touch(grant.id, at(5));
      await store.oauthGrants.revoke(grant.id, at(7), 'member');
      await store.oauthGrants.revoke(grant.id, at(8), 'refresh_token_reused');
      assert.deepEqual(await store.oauthGrants.get(grant.id), {
        ...grant,
        last_used_at: at(5),
        revoked_at: at(7),
        revoked_reason: 'member',
      });
    });

    it('a code is redeemed once: the second redemption is told apart', async (store) => {
      const { owner, tunnel: t } = await grantOf(store);
      const grant = oauthGrant(owner, t.id);
      await store.oauthGrants.create(grant);
      const code = {
        code_hash: 'c'.repeat(64),
        grant_id: grant.id,
        code_challenge: 'x',
        expires_at: at(60),
        used_at: null,
      };
      await store.oauthGrants.addCode(code);
      assert.deepEqual(await store.oauthGrants.redeemCode(code.code_hash, at(2)), {
        row: code,
        firstUse: true,
      });
      const again = await store.oauthGrants.redeemCode(code.code_hash, at(3));
      assert.equal(again?.firstUse, false);
      assert.equal(again?.row.used_at, at(2));
      assert.equal(await store.oauthGrants.redeemCode('0'.repeat(64), at(3)), undefined);
    });

    it('two concurrent redemptions of one refresh token: exactly one is first', async (store) => {
      const { owner, tunnel: t } = await grantOf(store);
      const grant = oauthGrant(owner, t.id);
      await store.oauthGrants.create(grant);
      const refresh = oauthToken(grant.id, { kind: 'refresh' });
      const access = oauthToken(grant.id);
      await store.oauthGrants.addToken(refresh);
      await store.oauthGrants.addToken(access);
      assert.deepEqual(await store.oauthGrants.findToken(access.token_hash), access);
      const both = await Promise.all([
        store.oauthGrants.redeemRefreshToken(refresh.token_hash, at(2)),
        store.oauthGrants.redeemRefreshToken(refresh.token_hash, at(2)),
      ]);
      assert.deepEqual(both.map((r) => r?.firstUse).sort(), [false, true]);
      assert.equal(await store.oauthGrants.redeemRefreshToken(access.token_hash, at(2)), undefined);
    });

    it('deleteExpired drops codes and tokens that expired; deleting the tunnel drops its grants', async (store) => {
      const { owner, tunnel: t } = await grantOf(store);
      const grant = oauthGrant(owner, t.id);
      await store.oauthGrants.create(grant);
      const expired = oauthToken(grant.id, { expires_at: at(10) });
      const live = oauthToken(grant.id, { expires_at: at(30) });
      await store.oauthGrants.addToken(expired);
      await store.oauthGrants.addToken(live);
      await store.oauthGrants.addCode({
        code_hash: 'd'.repeat(64),
        grant_id: grant.id,
        code_challenge: 'x',
        expires_at: at(10),
        used_at: null,
      });
      await store.oauthGrants.deleteExpired(at(20));
      assert.equal(await store.oauthGrants.findToken(expired.token_hash), undefined);
      assert.equal(await store.oauthGrants.redeemCode('d'.repeat(64), at(21)), undefined);
      assert.deepEqual(await store.oauthGrants.findToken(live.token_hash), live);
      await store.tunnels.delete(t.id);
      assert.equal(await store.oauthGrants.get(grant.id), undefined);
      assert.equal(await store.oauthGrants.findToken(live.token_hash), undefined);
    });
  });
}
