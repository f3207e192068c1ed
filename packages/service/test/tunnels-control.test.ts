import { test } from 'node:test';
import assert from 'node:assert/strict';
import { echoHandler, withScriptedClient } from '../../../test/support/scripted-tunnel-client.ts';
import { startServiceWithTunnel, startTestService } from './support/service.ts';
import { sessionCall, setUpOwner } from './support/accounts.ts';

const CALL = {
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/call',
  params: { name: 'add', arguments: { a: 1, b: 2 } },
};

async function mcpPost(url: string, tunnelId: string, headers: Record<string, string>) {
  const response = await fetch(new URL(`/v1/mcp/${tunnelId}`, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(CALL),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test(
  'a public tunnel needs no key and hands the caller’s Authorization to the MCP server',
  { timeout: 60_000 },
  async () => {
    const { t, runtime } = await startServiceWithTunnel();
    try {
      await withScriptedClient(t, runtime, echoHandler, async (client) => {
        const keyed = await mcpPost(t.url, runtime.tunnelId, { authorization: 'Bearer upstream-token' });
        assert.equal(keyed.status, 401, 'a key tunnel refuses a credential that is not a service key');
        const withKey = await mcpPost(t.url, runtime.tunnelId, {
          authorization: `Bearer ${runtime.runtimeKey}`,
        });
        assert.equal(withKey.status, 200);
        assert.equal(
          client.seen.at(-1)!.headers.Authorization,
          undefined,
          'a service key is consumed, not forwarded',
        );

        const updated = await t.ok('PATCH', `/v1/tunnels/${runtime.tunnelId}`, t.ownerKey, {
          connector_access: 'public',
          response_timeout: '5s',
        });
        assert.equal(updated.connector_access, 'public');
        assert.equal(updated.response_timeout, '5s');

        const open = await mcpPost(t.url, runtime.tunnelId, { authorization: 'Bearer upstream-token' });
        assert.equal(open.status, 200);
        assert.deepEqual(open.body.result, { echoed: 'tools/call' });
        assert.deepEqual(client.seen.at(-1)!.headers.Authorization, ['Bearer upstream-token']);
        const anonymous = await mcpPost(t.url, runtime.tunnelId, {});
        assert.equal(anonymous.status, 200);
        assert.equal(client.seen.at(-1)!.headers.Authorization, undefined);
        const bad = await t.call('PATCH', `/v1/tunnels/${runtime.tunnelId}`, t.ownerKey, {
          connector_access: 'open',
        });
        assert.equal(bad.status, 400);
        assert.match(bad.body.error.message, /connector_access must be "key".*or "public"/);
        const badTimeout = await t.call('PATCH', `/v1/tunnels/${runtime.tunnelId}`, t.ownerKey, {
          response_timeout: '5',
        });
        assert.equal(badTimeout.status, 400);
      });
    } finally {
      await t.stop();
    }
  },
);

test(
  'connectors: create, read, edit, delete; "none" only for public tunnels; keys never stored',
  { timeout: 60_000 },
  async () => {
    const t = await startTestService();
    try {
      const owner = await setUpOwner(t);
      const tunnel = await t.ok<{ id: string }>('POST', '/v1/tunnels', t.ownerKey, { name: 'calc' });
      const refusedNone = await sessionCall(t, owner, 'POST', '/v1/connectors', {
        name: 'calc',
        tunnel_id: tunnel.id,
        authentication: 'none',
      });
      assert.equal(refusedNone.status, 400);
      assert.match(refusedNone.body.error.message, /connector_access to "public"/);
      const made = await sessionCall(t, owner, 'POST', '/v1/connectors', {
        name: 'calc',
        tunnel_id: tunnel.id,
      });
      assert.equal(made.status, 201);
      assert.equal(made.body.authentication, 'api_key');
      assert.equal(made.body.mcp_url, `/v1/mcp/${tunnel.id}`);
      assert.equal(made.body.created_by, owner.body.member.id);
      const listed = await sessionCall(t, owner, 'GET', '/v1/connectors');
      assert.deepEqual(
        listed.body.data.map((c: { id: string }) => c.id),
        [made.body.id],
      );
      const renamed = await sessionCall(t, owner, 'PATCH', `/v1/connectors/${made.body.id}`, {
        name: 'calculator',
      });
      assert.equal(renamed.body.name, 'calculator');
      assert.equal(
        (await sessionCall(t, owner, 'GET', `/v1/connectors/${made.body.id}`)).body.name,
        'calculator',
      );
      const unknownTunnel = await sessionCall(t, owner, 'PATCH', `/v1/connectors/${made.body.id}`, {
        tunnel_id: 'tunnel_00000000000000000000000000000000',
      });
      assert.equal(unknownTunnel.status, 404);
      assert.equal((await sessionCall(t, owner, 'DELETE', `/v1/connectors/${made.body.id}`)).status, 204);
      assert.equal((await sessionCall(t, owner, 'GET', `/v1/connectors/${made.body.id}`)).status, 404);
    } finally {
      await t.stop();
    }
  },
);

test(
  'the audit log records changes and refusals with who, what, when and from where',
  { timeout: 60_000 },
  async () => {
    const t = await startTestService();
    try {
      const owner = await setUpOwner(t);
      const tunnel = await sessionCall(t, owner, 'POST', '/v1/tunnels', { name: 'audited' });
      await sessionCall(t, owner, 'DELETE', `/v1/tunnels/${tunnel.body.id}`);
      const reader = await t.ok<{ id: string }>('POST', '/v1/roles', t.ownerKey, {
        name: 'reader',
        permissions: ['tunnel.read'],
      });
      const account = await t.ok<{ api_key: { secret: string } }>(
        'POST',
        '/v1/service_accounts',
        t.ownerKey,
        {
          name: 'reader bot',
          role_ids: [reader.id],
        },
      );
      assert.equal((await t.call('POST', '/v1/tunnels', account.api_key.secret, { name: 'no' })).status, 403);
      assert.equal((await t.call('GET', '/v1/tunnels', 'mcpt_not_a_key')).status, 401);
      assert.equal((await t.call('GET', '/v1/audit', account.api_key.secret)).status, 403);
      await sessionCall(t, undefined, 'POST', '/v1/auth/sign_in', {
        email: 'owner@example.com',
        password: 'wrong one!!!',
      });

      const all = await sessionCall(t, owner, 'GET', '/v1/audit');
      assert.equal(all.status, 200);
      const actions = all.body.data.map(
        (e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`,
      );
      for (const expected of [
        'auth.setup:allowed',
        'tunnel.create:allowed',
        'tunnel.delete:allowed',
        'role.create:allowed',
        'service_account.create:allowed',
        'tunnel.create:refused',
        'tunnel.list:refused',
        'audit.read:refused',
        'auth.sign_in:refused',
      ])
        assert.ok(actions.includes(expected), `${expected} in ${actions.join(', ')}`);
      const created = all.body.data.find(
        (e: { action: string; outcome: string }) => e.action === 'tunnel.create' && e.outcome === 'allowed',
      );
      assert.equal(created.target, tunnel.body.id);
      assert.deepEqual(created.actor, { kind: 'user', id: owner.body.member.id, name: 'Ada Owner' });
      assert.equal(created.ip, '127.0.0.1');
      assert.ok(Date.now() - Date.parse(created.at) < 60_000);
      const forbidden = all.body.data.find(
        (e: { action: string; outcome: string }) => e.action === 'tunnel.create' && e.outcome === 'refused',
      );
      assert.equal(forbidden.reason, 'tunnel_management_permission_required');
      assert.equal(forbidden.actor.name, 'reader bot');
      const badKey = all.body.data.find((e: { action: string }) => e.action === 'tunnel.list');
      assert.equal(badKey.actor.kind, 'anonymous');
      assert.equal(badKey.reason, 'invalid_api_key');

      const refusals = await t.call('GET', '/v1/audit?outcome=refused&action=tunnel.create', t.ownerKey);
      assert.equal(refusals.body.data.length, 1);
      const limited = await t.call('GET', '/v1/audit?limit=2', t.ownerKey);
      assert.equal(limited.body.data.length, 2);
      assert.ok(limited.body.data[0].at >= limited.body.data[1].at, 'newest first');
      const byActor = await t.call('GET', `/v1/audit?actor=${owner.body.member.id}`, t.ownerKey);
      assert.ok(
        byActor.body.data.every((e: { actor: { id: string } }) => e.actor.id === owner.body.member.id),
      );
      const future = await t.call('GET', '/v1/audit?since=2999-01-01T00:00:00Z', t.ownerKey);
      assert.deepEqual(future.body.data, []);
      const badQuery = await t.call('GET', '/v1/audit?outcome=maybe', t.ownerKey);
      assert.equal(badQuery.status, 400);
      assert.match(badQuery.body.error.message, /outcome must be "allowed" or "refused"/);

      const exported = await fetch(new URL('/v1/audit/export?outcome=refused', t.url), {
        headers: { authorization: `Bearer ${t.ownerKey}` },
      });
      assert.match(exported.headers.get('content-type')!, /application\/x-ndjson/);
      const lines = (await exported.text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      assert.ok(lines.length >= 4);
      assert.ok(lines.every((entry: { outcome: string }) => entry.outcome === 'refused'));
      assert.ok(!JSON.stringify(lines).includes('mcpt_not_a_key'), 'presented secrets are never recorded');
    } finally {
      await t.stop();
    }
  },
);
