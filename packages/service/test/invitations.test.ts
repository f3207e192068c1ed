import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PERMISSION_ATOMS } from '@mcp-tunnel/protocol';
import { hashInvitationToken } from '../src/auth/invitations.ts';
import { startTestService, type TestService } from './support/service.ts';
import { createOrganization } from '../src/auth/bootstrap.ts';
import {
  OWNER_EMAIL,
  OWNER_PASSWORD,
  sessionCall,
  sessionFrom,
  setUpOwner,
  signIn,
} from './support/accounts.ts';

const PASSWORD = 'a long enough password';

async function readerRole(t: TestService): Promise<string> {
  const role = await t.ok<{ id: string }>('POST', '/v1/roles', t.ownerKey, {
    name: 'readers',
    permissions: ['tunnel.read'],
  });
  return role.id;
}

test(
  'an invitation is shown once, stored hashed, used once, and signs the new member in',
  { timeout: 60_000 },
  async () => {
    const t = await startTestService();
    try {
      const owner = await setUpOwner(t);
      const roleId = await readerRole(t);
      const made = await sessionCall(t, owner, 'POST', '/v1/invitations', {
        email: 'Bea@Example.com',
        role_ids: [roleId],
      });
      assert.equal(made.status, 201);
      assert.equal(made.body.email, 'bea@example.com');
      assert.match(made.body.token, /^mcpti_/);
      const stored = await t.service.store.invitations.get(made.body.id);
      assert.equal(stored!.token_hash, hashInvitationToken(made.body.token));
      assert.ok(!JSON.stringify(stored).includes(made.body.token), 'the token itself is not stored');
      const days = (Date.parse(made.body.expires_at) - Date.now()) / 86_400_000;
      assert.ok(days > 6.9 && days <= 7, `expires in ${days} days`);

      const pending = await sessionCall(t, owner, 'GET', '/v1/invitations');
      assert.deepEqual(
        pending.body.data.map((i: { id: string }) => i.id),
        [made.body.id],
      );
      assert.equal(pending.body.data[0].token, undefined);

      const short = await sessionCall(t, undefined, 'POST', '/v1/auth/accept_invitation', {
        token: made.body.token,
        name: 'Bea',
        password: 'short',
      });
      assert.equal(short.status, 400);
      assert.match(short.body.error.message, /at least 12/);

      const accepted = await sessionCall(t, undefined, 'POST', '/v1/auth/accept_invitation', {
        token: made.body.token,
        name: 'Bea',
        password: PASSWORD,
      });
      const bea = sessionFrom(accepted);
      assert.equal(accepted.body.member.email, 'bea@example.com');
      assert.deepEqual(accepted.body.member.role_ids, [roleId]);
      assert.deepEqual(accepted.body.permissions, ['tunnel.read']);
      assert.equal((await sessionCall(t, bea, 'GET', '/v1/tunnels')).status, 200);
      assert.equal((await sessionCall(t, bea, 'POST', '/v1/tunnels', { name: 'no' })).status, 403);

      const again = await sessionCall(t, undefined, 'POST', '/v1/auth/accept_invitation', {
        token: made.body.token,
        name: 'Mallory',
        password: PASSWORD,
      });
      assert.equal(again.status, 404);
      assert.match(again.body.error.message, /already used/);
      assert.equal((await sessionCall(t, owner, 'GET', '/v1/invitations')).body.data.length, 0);
      assert.equal((await signIn(t, 'bea@example.com', PASSWORD)).status, 200);
    } finally {
      await t.stop();
    }
  },
);

test(
  'expired and deleted invitations cannot be used; members need Members Manage to invite',
  { timeout: 60_000 },
  async () => {
    const t = await startTestService();
    try {
      const owner = await setUpOwner(t);
      const roleId = await readerRole(t);
      const made = await sessionCall(t, owner, 'POST', '/v1/invitations', {
        email: 'cy@example.com',
        role_ids: [],
      });
      const row = (await t.service.store.invitations.get(made.body.id))!;
      // Age the invitation past its week by rewriting it through the store.
      await t.service.store.invitations.delete(row.id);
      await t.service.store.invitations.create({
        ...row,
        expires_at: new Date(Date.now() - 1000).toISOString(),
      });
      const expired = await sessionCall(t, undefined, 'POST', '/v1/auth/accept_invitation', {
        token: made.body.token,
        name: 'Cy',
        password: PASSWORD,
      });
      assert.equal(expired.status, 404);
      assert.match(expired.body.error.message, /expired/);

      const second = await sessionCall(t, owner, 'POST', '/v1/invitations', { email: 'di@example.com' });
      assert.equal((await sessionCall(t, owner, 'DELETE', `/v1/invitations/${second.body.id}`)).status, 204);
      const deleted = await sessionCall(t, undefined, 'POST', '/v1/auth/accept_invitation', {
        token: second.body.token,
        name: 'Di',
        password: PASSWORD,
      });
      assert.equal(deleted.status, 404);

      const taken = await sessionCall(t, owner, 'POST', '/v1/invitations', { email: 'owner@example.com' });
      assert.equal(taken.status, 409);

      const reader = await sessionCall(t, owner, 'POST', '/v1/invitations', {
        email: 'ed@example.com',
        role_ids: [roleId],
      });
      const ed = sessionFrom(
        await sessionCall(t, undefined, 'POST', '/v1/auth/accept_invitation', {
          token: reader.body.token,
          name: 'Ed',
          password: PASSWORD,
        }),
      );
      const refused = await sessionCall(t, ed, 'POST', '/v1/invitations', { email: 'fay@example.com' });
      assert.equal(refused.status, 403);
    } finally {
      await t.stop();
    }
  },
);

test(
  'members: roles change at once, the last owner stays, removal ends keys and sessions',
  { timeout: 60_000 },
  async () => {
    const t = await startTestService();
    try {
      const owner = await setUpOwner(t);
      const ownerId = owner.body.member.id;
      const roleId = await readerRole(t);
      const invite = await sessionCall(t, owner, 'POST', '/v1/invitations', {
        email: 'gus@example.com',
        role_ids: [roleId],
      });
      const gus = sessionFrom(
        await sessionCall(t, undefined, 'POST', '/v1/auth/accept_invitation', {
          token: invite.body.token,
          name: 'Gus',
          password: PASSWORD,
        }),
      );
      const gusId = gus.body.member.id;
      const members = await sessionCall(t, owner, 'GET', '/v1/members');
      const listed = members.body.data.find((m: { id: string }) => m.id === gusId);
      assert.equal(listed.kind, 'user');
      assert.equal(listed.email, 'gus@example.com');

      const ownerRoleId = owner.body.member.role_ids[0];
      const lastOwner = await sessionCall(t, owner, 'PATCH', `/v1/members/${ownerId}`, {
        role_ids: [roleId],
      });
      assert.equal(lastOwner.status, 409);
      assert.equal(lastOwner.body.error.code, 'last_owner');
      assert.equal((await sessionCall(t, owner, 'DELETE', `/v1/members/${ownerId}`)).status, 409);

      const promoted = await sessionCall(t, owner, 'PATCH', `/v1/members/${gusId}`, {
        role_ids: [ownerRoleId],
      });
      assert.equal(promoted.status, 200);
      assert.equal((await sessionCall(t, gus, 'POST', '/v1/tunnels', { name: 'now allowed' })).status, 200);
      const demoted = await sessionCall(t, owner, 'PATCH', `/v1/members/${gusId}`, { role_ids: [roleId] });
      assert.equal(demoted.status, 200);
      assert.equal((await sessionCall(t, gus, 'POST', '/v1/tunnels', { name: 'no more' })).status, 403);

      assert.equal((await sessionCall(t, owner, 'DELETE', `/v1/members/${gusId}`)).status, 204);
      assert.equal((await sessionCall(t, gus, 'GET', '/v1/tunnels')).status, 401, 'the session ended');
      assert.equal((await signIn(t, 'gus@example.com', PASSWORD)).status, 401);
      const after = await sessionCall(t, owner, 'GET', '/v1/members');
      assert.ok(!after.body.data.some((m: { id: string }) => m.id === gusId));
      assert.equal((await sessionCall(t, owner, 'DELETE', `/v1/members/${gusId}`)).status, 404);

      // Removing a service account revokes its keys at once.
      const account = await t.ok<{ id: string; api_key: { id: string; secret: string } }>(
        'POST',
        '/v1/service_accounts',
        t.ownerKey,
        { name: 'bot', role_ids: [roleId] },
      );
      assert.equal((await t.call('GET', '/v1/tunnels', account.api_key.secret)).status, 200);
      assert.equal((await sessionCall(t, owner, 'DELETE', `/v1/members/${account.id}`)).status, 204);
      assert.equal((await t.call('GET', '/v1/tunnels', account.api_key.secret)).status, 401);
      const keys = await t.ok<{ data: { id: string; revoked_at: string | null; owner_name: string }[] }>(
        'GET',
        '/v1/api_keys',
        t.ownerKey,
      );
      const revoked = keys.data.find((key) => key.id === account.api_key.id)!;
      assert.ok(revoked.revoked_at, 'listed as revoked');
      assert.equal(revoked.owner_name, 'bot', 'under the name the member had');
    } finally {
      await t.stop();
    }
  },
);

test(
  'a member holding every atom in a custom role cannot make itself Owner nor remove an owner',
  { timeout: 60_000 },
  async () => {
    const t = await startTestService();
    try {
      const owner = await setUpOwner(t);
      const ownerId = owner.body.member.id;
      const ownerRoleId = owner.body.member.role_ids[0];
      const everything = await t.ok<{ id: string }>('POST', '/v1/roles', t.ownerKey, {
        name: 'admins',
        permissions: [...PERMISSION_ATOMS],
      });
      const invite = await sessionCall(t, owner, 'POST', '/v1/invitations', {
        email: 'ivy@example.com',
        role_ids: [everything.id],
      });
      const ivy = sessionFrom(
        await sessionCall(t, undefined, 'POST', '/v1/auth/accept_invitation', {
          token: invite.body.token,
          name: 'Ivy',
          password: PASSWORD,
        }),
      );
      const ivyId = ivy.body.member.id;

      const selfPromotion = await sessionCall(t, ivy, 'PATCH', `/v1/members/${ivyId}`, {
        role_ids: [everything.id, ownerRoleId],
      });
      assert.equal(selfPromotion.status, 403);
      assert.equal(selfPromotion.body.error.code, 'owner_required');
      assert.match(selfPromotion.body.error.message, /Owner role/);
      const asAccount = await sessionCall(t, ivy, 'POST', '/v1/service_accounts', {
        name: 'backdoor',
        role_ids: [ownerRoleId],
      });
      assert.equal(asAccount.status, 403);
      const asInvitation = await sessionCall(t, ivy, 'POST', '/v1/invitations', {
        email: 'ivy+owner@example.com',
        role_ids: [ownerRoleId],
      });
      assert.equal(asInvitation.status, 403);
      assert.equal((await sessionCall(t, ivy, 'DELETE', `/v1/members/${ownerId}`)).status, 403);
      const demotion = await sessionCall(t, ivy, 'PATCH', `/v1/members/${ownerId}`, { role_ids: [] });
      assert.equal(demotion.status, 403);

      const members = await sessionCall(t, owner, 'GET', '/v1/members');
      const roleIdsOf = (id: string) =>
        members.body.data.find((m: { id: string }) => m.id === id).role_ids as string[];
      assert.deepEqual(roleIdsOf(ivyId), [everything.id], 'Ivy is still no owner');
      assert.deepEqual(roleIdsOf(ownerId), [ownerRoleId], 'the owner is still the owner');
      // Everything short of ownership stays hers to do.
      assert.equal((await sessionCall(t, ivy, 'POST', '/v1/tunnels', { name: 'allowed' })).status, 200);
    } finally {
      await t.stop();
    }
  },
);

test(
  'an address that signs in to another organization is invited like any other, and gets a member of its own there',
  { timeout: 60_000 },
  async () => {
    const t = await startTestService();
    try {
      const a = await setUpOwner(t);
      const b = await createOrganization(t.service.store, 'Organization B');
      const bOwner = sessionFrom(
        await sessionCall(
          t,
          undefined,
          'POST',
          '/v1/auth/setup',
          { email: 'b-owner@example.com', name: 'B owner', password: 'b owner password' },
          { headers: { authorization: `Bearer ${b.ownerKey}` } },
        ),
      );
      // The same answer for an address of organization A as for an address nobody uses.
      const known = await sessionCall(t, bOwner, 'POST', '/v1/invitations', { email: OWNER_EMAIL });
      const unknown = await sessionCall(t, bOwner, 'POST', '/v1/invitations', { email: 'new@example.com' });
      assert.equal(known.status, 201, JSON.stringify(known.body));
      assert.equal(unknown.status, 201);
      assert.deepEqual(Object.keys(known.body).sort(), Object.keys(unknown.body).sort());
      // An address of the caller's own organization is no secret to it.
      const own = await sessionCall(t, bOwner, 'POST', '/v1/invitations', { email: 'b-owner@example.com' });
      assert.equal(own.status, 409);
      assert.equal(own.body.error.code, 'email_taken');

      const accept = (password: string) =>
        sessionCall(t, undefined, 'POST', '/v1/auth/accept_invitation', {
          token: known.body.token,
          name: 'Ada in B',
          password,
        });
      // One address, one password per organization, so that a sign-in says which organization it means.
      const samePassword = await accept(OWNER_PASSWORD);
      assert.equal(samePassword.status, 409);
      assert.equal(samePassword.body.error.code, 'password_in_use');
      const inB = sessionFrom(await accept('another long password'));
      assert.equal(inB.body.organization.id, b.organizationId);
      assert.equal(inB.body.member.email, OWNER_EMAIL);

      const signedInA = sessionFrom(await signIn(t, OWNER_EMAIL, OWNER_PASSWORD));
      assert.equal(signedInA.body.member.id, a.body.member.id);
      const signedInB = sessionFrom(await signIn(t, OWNER_EMAIL, 'another long password'));
      assert.equal(signedInB.body.member.id, inB.body.member.id);
      assert.equal((await signIn(t, OWNER_EMAIL, 'neither of the two')).status, 401);

      // First-run setup of a third organization may use the address too.
      const c = await createOrganization(t.service.store, 'Organization C');
      const cSetup = await sessionCall(
        t,
        undefined,
        'POST',
        '/v1/auth/setup',
        { email: OWNER_EMAIL, name: 'Ada in C', password: 'a third long password' },
        { headers: { authorization: `Bearer ${c.ownerKey}` } },
      );
      assert.equal(cSetup.status, 200, JSON.stringify(cSetup.body));
      assert.equal(cSetup.body.organization.id, c.organizationId);
    } finally {
      await t.stop();
    }
  },
);
