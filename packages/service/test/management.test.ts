import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PERMISSION_ATOMS } from '@mcp-tunnel/protocol';
import { hashApiKey } from '../src/auth/api-keys.ts';
import { keyWith } from '../../../test/support/management-api.ts';
import { startTestService, type TestService } from './support/service.ts';

let t: TestService;

before(async () => {
  t = await startTestService();
});
after(async () => {
  await t?.stop();
});

describe('management API', { timeout: 30_000 }, () => {
  test('the owner key holds every permission', async () => {
    const me = await t.ok<{ permissions: string[]; owner: { kind: string } }>('GET', '/v1/me', t.ownerKey);
    assert.deepEqual(me.permissions, [...PERMISSION_ATOMS]);
    assert.equal(me.owner.kind, 'user');
  });

  test('tunnels: create, read, list, update, delete', async () => {
    const created = await t.ok<Record<string, unknown>>('POST', '/v1/tunnels', t.ownerKey, {
      name: 'calculator',
      description: 'the walkthrough',
    });
    const id = created.id as string;
    assert.match(id, /^tunnel_[0-9a-f]{32}$/);
    assert.equal(created.response_timeout, '60s');
    assert.equal(created.object, 'tunnel');
    const read = await t.ok('GET', `/v1/tunnels/${id}`, t.ownerKey);
    assert.equal(read.name, 'calculator');
    assert.equal(read.description, 'the walkthrough');
    const list = await t.ok<{ object: string; data: { id: string }[] }>('GET', '/v1/tunnels', t.ownerKey);
    assert.equal(list.object, 'list');
    assert.ok(list.data.some((tunnel) => tunnel.id === id));
    const updated = await t.ok('POST', `/v1/tunnels/${id}`, t.ownerKey, {
      name: 'calc',
      response_timeout: '5s',
    });
    assert.equal(updated.name, 'calc');
    assert.equal(updated.response_timeout, '5s');
    await t.ok('DELETE', `/v1/tunnels/${id}`, t.ownerKey);
    const gone = await t.call('GET', `/v1/tunnels/${id}`, t.ownerKey);
    assert.equal(gone.status, 404);
  });

  test('bad tunnel input gets a 400 naming the problem', async () => {
    const malformedId = await t.call('GET', '/v1/tunnels/tunnel_123', t.ownerKey);
    assert.equal(malformedId.status, 400);
    assert.equal(malformedId.body.error.code, 'invalid_tunnel_id_format');
    assert.match(malformedId.body.error.message, /32 lowercase hex/);
    const noName = await t.call('POST', '/v1/tunnels', t.ownerKey, { description: 'x' });
    assert.equal(noName.status, 400);
    assert.match(noName.body.error.message, /name/);
    const badTimeout = await t.call('POST', '/v1/tunnels', t.ownerKey, {
      name: 'x',
      response_timeout: 'soon',
    });
    assert.equal(badTimeout.status, 400);
    assert.equal(badTimeout.body.error.param, 'response_timeout');
    // Longer than Node's timers keep (596h) would expire every call at once; the bound is far below that.
    for (const long of ['25h', '597h', '99999999999999999999h']) {
      const tooLong = await t.call('POST', '/v1/tunnels', t.ownerKey, { name: 'x', response_timeout: long });
      assert.equal(tooLong.status, 400, long);
      assert.equal(tooLong.body.error.param, 'response_timeout');
      assert.match(tooLong.body.error.message, /at most 24h/);
    }
    const deep = await t.call(
      'POST',
      '/v1/tunnels',
      t.ownerKey,
      `{"name":"x","description":${'['.repeat(6000)}${']'.repeat(6000)}}`,
    );
    assert.equal(deep.status, 400);
    assert.equal(deep.body.error.code, 'json_too_deep');
    assert.match(
      deep.body.error.message,
      /6001 levels deep; this service accepts at most 128 \(tunnel-service --max-json-depth\)/,
    );
    const unknownField = await t.call('POST', '/v1/tunnels', t.ownerKey, { name: 'x', colour: 'red' });
    assert.equal(unknownField.status, 400);
    assert.match(unknownField.body.error.message, /colour/);
    const foreignOrg = await t.call('POST', '/v1/tunnels', t.ownerKey, {
      name: 'x',
      organization_ids: ['org_x'],
    });
    assert.equal(foreignOrg.status, 403);
  });

  test('a key without Tunnels Manage cannot create tunnels', async () => {
    const readOnly = await keyWith(t, ['tunnel.read']);
    const refused = await t.call('POST', '/v1/tunnels', readOnly, { name: 'nope' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'tunnel_management_permission_required');
    assert.match(refused.body.error.message, /Tunnels Manage/);
    const list = await t.call('GET', '/v1/tunnels', readOnly);
    assert.equal(list.status, 200);
  });

  test('a Use-only key reads tunnel metadata (id, name, description) but cannot list', async () => {
    const tunnel = await t.ok<{ id: string }>('POST', '/v1/tunnels', t.ownerKey, { name: 'meta' });
    const useOnly = await keyWith(t, ['tunnel.use']);
    const read = await t.call('GET', `/v1/tunnels/${tunnel.id}`, useOnly);
    assert.equal(read.status, 200);
    assert.deepEqual([read.body.id, read.body.name, read.body.description], [tunnel.id, 'meta', '']);
    assert.equal((await t.call('GET', '/v1/tunnels', useOnly)).status, 403);
  });

  test('a restricted key cannot hand out more than it holds', async () => {
    const limited = await keyWith(t, ['tunnel.read', 'api_key.write']);
    const wider = await t.call('POST', '/v1/api_keys', limited, {
      name: 'wider',
      permissions: ['tunnel.write'],
    });
    assert.equal(wider.status, 403);
    assert.match(wider.body.error.message, /Tunnels Manage/);
    // Without a list, the new key copies the caller's restriction instead of becoming unrestricted.
    const copy = await t.ok<{ secret: string; permissions: string[] }>('POST', '/v1/api_keys', limited, {
      name: 'copy',
    });
    assert.deepEqual(copy.permissions, ['tunnel.read', 'api_key.write']);
  });

  test("a key's atoms are intersected with its owner's current roles", async () => {
    const role = await t.ok<{ id: string }>('POST', '/v1/roles', t.ownerKey, {
      name: 'readers',
      permissions: ['tunnel.read', 'tunnel.use'],
    });
    const account = await t.ok<{ id: string; api_key: { secret: string; prefix: string } }>(
      'POST',
      '/v1/service_accounts',
      t.ownerKey,
      { name: 'bot', role_ids: [role.id] },
    );
    assert.ok(account.api_key.secret.startsWith('mcpt_'));
    assert.ok(account.api_key.secret.startsWith(account.api_key.prefix));
    // The key list says what the key may do now, as /v1/me works it out, beside its own (null) atoms.
    const keyReach = async () => {
      const keys = await t.ok<{
        data: { owner_id: string; permissions: null; effective_permissions: string[] }[];
      }>('GET', '/v1/api_keys', t.ownerKey);
      const key = keys.data.find((k) => k.owner_id === account.id)!;
      assert.equal(key.permissions, null);
      return key.effective_permissions;
    };
    const me = await t.ok<{ permissions: string[] }>('GET', '/v1/me', account.api_key.secret);
    assert.deepEqual(me.permissions, ['tunnel.read', 'tunnel.use']);
    assert.deepEqual(await keyReach(), ['tunnel.read', 'tunnel.use']);
    await t.ok('POST', `/v1/roles/${role.id}`, t.ownerKey, { permissions: ['tunnel.read'] });
    const after = await t.ok<{ permissions: string[] }>('GET', '/v1/me', account.api_key.secret);
    assert.deepEqual(after.permissions, ['tunnel.read']);
    assert.deepEqual(await keyReach(), ['tunnel.read']);
    const members = await t.ok<{ data: { id: string; role_ids: string[]; kind: string }[] }>(
      'GET',
      '/v1/members',
      t.ownerKey,
    );
    const listed = members.data.find((m) => m.id === account.id)!;
    assert.deepEqual(listed.role_ids, [role.id]);
    assert.equal(listed.kind, 'service_account');
    await t.ok('DELETE', `/v1/roles/${role.id}`, t.ownerKey);
    const none = await t.ok<{ permissions: string[] }>('GET', '/v1/me', account.api_key.secret);
    assert.deepEqual(none.permissions, []);
    assert.deepEqual(await keyReach(), []);
  });

  test('the key list shows a restricted key its own atoms, and a revoked key none', async () => {
    const key = await t.ok<{ id: string }>('POST', '/v1/api_keys', t.ownerKey, {
      name: 'restricted',
      permissions: ['tunnel.use', 'tunnel.read'],
    });
    const effective = async () =>
      (
        await t.ok<{ data: { id: string; effective_permissions: string[] }[] }>(
          'GET',
          '/v1/api_keys',
          t.ownerKey,
        )
      ).data.find((k) => k.id === key.id)!.effective_permissions;
    assert.deepEqual(await effective(), ['tunnel.read', 'tunnel.use']);
    await t.ok('DELETE', `/v1/api_keys/${key.id}`, t.ownerKey);
    assert.deepEqual(await effective(), []);
  });

  test('roles: list, refuse duplicates and the built-in Owner role', async () => {
    const roles = await t.ok<{ data: { id: string; name: string; builtin: boolean }[] }>(
      'GET',
      '/v1/roles',
      t.ownerKey,
    );
    const owner = roles.data.find((r) => r.builtin)!;
    assert.equal(owner.name, 'Owner');
    assert.equal((await t.call('DELETE', `/v1/roles/${owner.id}`, t.ownerKey)).status, 400);
    await t.ok('POST', '/v1/roles', t.ownerKey, { name: 'dup', permissions: ['tunnel.read'] });
    const dup = await t.call('POST', '/v1/roles', t.ownerKey, { name: 'dup', permissions: ['tunnel.read'] });
    assert.equal(dup.status, 409);
    const badAtom = await t.call('POST', '/v1/roles', t.ownerKey, {
      name: 'bad',
      permissions: ['tunnel.fly'],
    });
    assert.equal(badAtom.status, 400);
  });

  test('a revoked key gets 401 at once; listings never show secrets', async () => {
    const key = await t.ok<{ id: string; secret: string }>('POST', '/v1/api_keys', t.ownerKey, {
      name: 'temp',
    });
    assert.equal((await t.call('GET', '/v1/me', key.secret)).status, 200);
    const listed = await t.ok<{ data: Record<string, unknown>[] }>('GET', '/v1/api_keys', t.ownerKey);
    const entry = listed.data.find((k) => k.id === key.id)!;
    assert.equal(entry.secret, undefined);
    assert.equal(entry.secret_hash, undefined);
    assert.ok(entry.last_used_at);
    assert.ok(!JSON.stringify(listed).includes(key.secret));
    // A key may revoke itself.
    const revoked = await t.ok('DELETE', `/v1/api_keys/${key.id}`, key.secret);
    assert.ok(revoked.revoked_at);
    const refused = await t.call('GET', '/v1/me', key.secret);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'invalid_api_key');
  });

  test('missing and unknown keys get 401 with a message saying what to send', async () => {
    const missing = await t.call('GET', '/v1/tunnels', undefined);
    assert.equal(missing.status, 401);
    assert.match(missing.body.error.message, /Authorization: Bearer/);
    const unknown = await t.call('GET', '/v1/tunnels', 'mcpt_nope');
    assert.equal(unknown.status, 401);
  });

  test('malformed JSON and wrong content types get clear 4xx answers', async () => {
    for (const path of ['/v1/tunnels', '/v1/roles', '/v1/api_keys', '/v1/service_accounts']) {
      const malformed = await t.call('POST', path, t.ownerKey, '{"name": ');
      assert.equal(malformed.status, 400, path);
      assert.equal(malformed.body.error.code, 'invalid_json_payload');
      assert.match(malformed.body.error.message, /not valid JSON/);
    }
    const response = await fetch(new URL('/v1/tunnels', t.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${t.ownerKey}`, 'content-type': 'text/plain' },
      body: 'name=x',
    });
    assert.equal(response.status, 415);
    assert.match(
      ((await response.json()) as { error: { message: string } }).error.message,
      /application\/json/,
    );
    const array = await t.call('POST', '/v1/tunnels', t.ownerKey, [1, 2]);
    assert.equal(array.status, 400);
  });
});

describe('organizations are isolated', { timeout: 30_000 }, () => {
  test("another organization's tunnel is 404, never 403", async () => {
    const ours = await t.ok<{ id: string }>('POST', '/v1/tunnels', t.ownerKey, { name: 'ours' });
    // A second organization with its own owner, created through the store seam.
    const at = new Date().toISOString();
    const secondKey = 'mcpt_second_organization_secret';
    await t.service.store.organizations.create({
      organization: { id: 'org_second', name: 'Second', created_at: at },
      ownerRole: {
        id: 'role_second_owner',
        organization_id: 'org_second',
        name: 'Owner',
        permissions: [...PERMISSION_ATOMS],
        builtin: 'owner',
        created_at: at,
        updated_at: at,
      },
      owner: {
        id: 'member_second',
        organization_id: 'org_second',
        kind: 'user',
        name: 'Second owner',
        role_ids: ['role_second_owner'],
        created_at: at,
        email: null,
        password_hash: null,
        deleted_at: null,
      },
      ownerKey: {
        id: 'key_second',
        organization_id: 'org_second',
        owner_id: 'member_second',
        name: 'second',
        prefix: secondKey.slice(0, 11),
        secret_hash: hashApiKey(secondKey),
        permissions: null,
        created_at: at,
        last_used_at: null,
        revoked_at: null,
      },
    });
    for (const [method, path] of [
      ['GET', `/v1/tunnels/${ours.id}`],
      ['POST', `/v1/tunnels/${ours.id}`],
      ['DELETE', `/v1/tunnels/${ours.id}`],
      ['GET', `/v1/tunnels/${ours.id}/poll?timeout_ms=1`],
      ['POST', `/v1/mcp/${ours.id}`],
    ] as const) {
      const answer = await t.call(
        method,
        path,
        secondKey,
        method === 'POST' ? { jsonrpc: '2.0', method: 'x' } : undefined,
      );
      assert.equal(answer.status, 404, `${method} ${path}`);
    }
    const list = await t.ok<{ data: { id: string }[] }>('GET', '/v1/tunnels', secondKey);
    assert.deepEqual(list.data, []);
    const keys = await t.ok<{ data: { id: string }[] }>('GET', '/v1/api_keys', secondKey);
    assert.deepEqual(
      keys.data.map((k) => k.id),
      ['key_second'],
    );
  });
});
