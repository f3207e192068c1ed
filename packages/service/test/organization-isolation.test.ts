// Two organizations on one service. The second is made through the store API, as the service makes its
// first one (createOrganization); nothing of organization A exists for organization B, even by id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOrganization } from '../src/auth/bootstrap.ts';
import type { Loose } from '../../../test/support/scripted-tunnel-client.ts';
import { startTestService, type Answer } from './support/service.ts';
import { sessionCall, sessionFrom, setUpOwner } from './support/accounts.ts';

test(
  'a key or member of organization B cannot see, poll, call or change anything of organization A',
  { timeout: 120_000 },
  async () => {
    const t = await startTestService();
    try {
      // Organization A: the service's first, with one of everything.
      const aOwner = await setUpOwner(t);
      const aKey = t.ownerKey;
      const aTunnel = (await t.ok('POST', '/v1/tunnels', aKey, { name: 'a tunnel' })).id as string;
      const aPublic = (
        await t.ok('POST', '/v1/tunnels', aKey, { name: 'a public', connector_access: 'public' })
      ).id as string;
      const aRole = (
        await t.ok('POST', '/v1/roles', aKey, { name: 'a role', permissions: ['tunnel.read', 'tunnel.use'] })
      ).id as string;
      const aAccount = await t.ok<Loose>('POST', '/v1/service_accounts', aKey, {
        name: 'a bot',
        role_ids: [aRole],
      });
      const aApiKey = (await t.ok('POST', '/v1/api_keys', aKey, { name: 'a key' })).id as string;
      const aInvitation = (await t.ok('POST', '/v1/invitations', aKey, { email: 'a-invitee@example.com' }))
        .id as string;
      const aConnector = (await t.ok('POST', '/v1/connectors', aKey, { name: 'a conn', tunnel_id: aTunnel }))
        .id as string;
      const aMembers = [aOwner.body.member.id as string, aAccount.id as string];
      const aIds = [aTunnel, aPublic, aRole, ...aMembers, aApiKey, aInvitation, aConnector];

      // Organization B, with its own owner key and a signed-in owner.
      const b = await createOrganization(t.service.store, 'Organization B');
      const bSetup = await sessionCall(
        t,
        undefined,
        'POST',
        '/v1/auth/setup',
        { email: 'b-owner@example.com', name: 'B owner', password: 'b owner password' },
        { headers: { authorization: `Bearer ${b.ownerKey}` } },
      );
      const bSession = sessionFrom(bSetup);
      assert.equal(bSetup.body.organization.id, b.organizationId);
      const bRole = (
        await t.ok('POST', '/v1/roles', b.ownerKey, { name: 'b role', permissions: ['tunnel.read'] })
      ).id;

      const callers: [string, (method: string, path: string, body?: unknown) => Promise<Answer>][] = [
        ['B owner key', (method, path, body) => t.call(method, path, b.ownerKey, body)],
        ['B signed-in owner', (method, path, body) => sessionCall(t, bSession, method, path, body)],
      ];
      const rpc = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
      const guesses: [string, string, unknown?][] = [
        ['GET', `/v1/tunnels/${aTunnel}`],
        ['POST', `/v1/tunnels/${aTunnel}`, { name: 'taken' }],
        ['PATCH', `/v1/tunnels/${aTunnel}`, { connector_access: 'public' }],
        ['DELETE', `/v1/tunnels/${aTunnel}`],
        ['GET', `/v1/tunnels/${aTunnel}/live`],
        ['GET', `/v1/tunnels/${aTunnel}/poll?timeout_ms=1`],
        [
          'POST',
          `/v1/tunnels/${aTunnel}/response`,
          { request_id: 'req_x', resp_type: 'jsonrpc_response', resp_code: 200 },
        ],
        ['POST', `/v1/mcp/${aTunnel}`, rpc],
        ['GET', `/v1/tunnels/${aPublic}/live`],
        ['PATCH', `/v1/tunnels/${aPublic}`, { connector_access: 'key' }],
        ['PATCH', `/v1/roles/${aRole}`, { name: 'taken' }],
        ['POST', `/v1/roles/${aRole}`, { permissions: ['tunnel.read'] }],
        ['DELETE', `/v1/roles/${aRole}`],
        ...aMembers.flatMap((id): [string, string, unknown?][] => [
          ['PATCH', `/v1/members/${id}`, { role_ids: [] }],
          ['DELETE', `/v1/members/${id}`],
        ]),
        ['DELETE', `/v1/api_keys/${aApiKey}`],
        ['DELETE', `/v1/invitations/${aInvitation}`],
        ['GET', `/v1/connectors/${aConnector}`],
        ['PATCH', `/v1/connectors/${aConnector}`, { name: 'taken' }],
        ['DELETE', `/v1/connectors/${aConnector}`],
        ['POST', '/v1/connectors', { name: 'into a', tunnel_id: aTunnel }],
      ];
      for (const [label, call] of callers) {
        for (const [method, path, body] of guesses) {
          const answer = await call(method, path, body);
          assert.equal(answer.status, 404, `${label}: ${method} ${path} answered ${answer.status}`);
        }
        // Ids in bodies are checked the same way: another organization's role is unknown.
        const grant = await call('POST', '/v1/service_accounts', { name: 'x', role_ids: [aRole] });
        assert.equal(grant.status, 400, label);
        assert.match(grant.body.error.message, /Unknown role id/);
        const invite = await call('POST', '/v1/invitations', { email: 'x@example.com', role_ids: [aRole] });
        assert.equal(invite.status, 400, label);
        const place = await call('POST', '/v1/tunnels', {
          name: 'x',
          organization_ids: [aOwner.body.organization.id],
        });
        assert.equal(place.status, 403, label);

        for (const list of [
          '/v1/tunnels',
          '/v1/roles',
          '/v1/members',
          '/v1/api_keys',
          '/v1/invitations',
          '/v1/connectors',
        ]) {
          const answer = await call('GET', list);
          assert.equal(answer.status, 200, `${label}: GET ${list}`);
          const ids = answer.body.data.map((item: { id: string }) => item.id);
          assert.ok(!ids.some((id: string) => aIds.includes(id)), `${label}: GET ${list} shows A's ${ids}`);
        }
      }
      // A's own role id works for A, so the 400 above is isolation, not a malformed id.
      assert.equal(
        (await t.call('PATCH', `/v1/members/${aAccount.id}`, aKey, { role_ids: [aRole] })).status,
        200,
      );
      const bPatch = await t.call('PATCH', `/v1/members/${b.ownerId}`, b.ownerKey, {
        role_ids: [aRole, bRole],
      });
      assert.equal(bPatch.status, 400);

      // A's runtime key cannot reach B either.
      const bTunnel = (await t.ok('POST', '/v1/tunnels', b.ownerKey, { name: 'b tunnel' })).id;
      const aRuntime = aAccount.api_key.secret as string;
      assert.equal((await t.call('GET', `/v1/tunnels/${bTunnel}/poll?timeout_ms=1`, aRuntime)).status, 404);
      assert.equal((await t.call('GET', `/v1/tunnels/${bTunnel}`, aRuntime)).status, 404);

      // Audit logs stay apart: B's attempts on A's ids are in B's log, never in A's.
      const aAudit = (await sessionCall(t, aOwner, 'GET', '/v1/audit?limit=1000')).body.data as Loose[];
      const bAudit = (await t.call('GET', '/v1/audit?limit=1000', b.ownerKey)).body.data as Loose[];
      assert.ok(aAudit.length > 0 && bAudit.length > 0);
      assert.ok(aAudit.every((entry) => entry.actor.id === null || aMembers.includes(entry.actor.id)));
      assert.ok(bAudit.every((entry) => !aMembers.includes(entry.actor.id)));
      assert.ok(
        bAudit.some(
          (entry) => entry.target === aTunnel && entry.outcome === 'refused' && entry.reason === 'not_found',
        ),
        'the guesses are recorded as refused in the guesser’s own log',
      );
      const bExport = await fetch(new URL('/v1/audit/export', t.url), {
        headers: { authorization: `Bearer ${b.ownerKey}` },
      });
      const exported = (await bExport.text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      assert.ok(exported.every((entry) => !aMembers.includes(entry.actor.id)));

      // Nothing of A changed.
      const tunnel = await t.ok<Loose>('GET', `/v1/tunnels/${aTunnel}`, aKey);
      assert.equal(tunnel.name, 'a tunnel');
      assert.equal(tunnel.connector_access, 'key');
      assert.equal((await t.ok<Loose>('GET', `/v1/tunnels/${aPublic}`, aKey)).connector_access, 'public');
      assert.equal((await t.ok<Loose>('GET', `/v1/connectors/${aConnector}`, aKey)).name, 'a conn');
      const keys = (await t.ok<Loose>('GET', '/v1/api_keys', aKey)).data;
      assert.equal(keys.find((k: Loose) => k.id === aApiKey).revoked_at, null);
      assert.equal((await t.ok<Loose>('GET', '/v1/invitations', aKey)).data.length, 1);
      assert.equal((await t.ok<Loose>('GET', '/v1/members', aKey)).data.length, 2);
    } finally {
      await t.stop();
    }
  },
);
