// Every management route × every kind of caller, each cell asserting allowed or refused. The cells come
// from two tables: what each route needs (ROUTES) and who calls (role sets × key restrictions, plus a
// signed-in browser per role set). A cell is allowed exactly when the caller's effective atoms (its key's
// atoms intersected with its roles') satisfy the route, and, for the routes that grant, take or remove
// the built-in Owner role, the caller is an owner: holding every atom in a custom role is not enough.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PERMISSION_ATOMS, type PermissionAtom } from '@mcp-tunnel/protocol';
import { generateApiKey } from '../src/auth/api-keys.ts';
import { hashPassword } from '../src/auth/passwords.ts';
import { newId, nowIso } from '../src/store/ids.ts';
import { startTestService, type Answer, type TestService } from './support/service.ts';
import { sessionCall, sessionFrom, signIn, type BrowserSession } from './support/accounts.ts';

type Need = (({ anyOf: PermissionAtom[] } | { allOf: PermissionAtom[] }) & { owner?: true }) | 'any';

interface Prepared {
  path: string;
  body?: unknown;
}

interface RouteCase {
  method: string;
  route: string;
  needs: Need;
  /** The status of an allowed call (the connector answers 503: the tunnel has no client, but the key passed). */
  ok: number;
  prepare: () => Promise<Prepared>;
}

interface Caller {
  label: string;
  atoms: Set<PermissionAtom>;
  owner: boolean;
  call: (method: string, path: string, body?: unknown) => Promise<Answer>;
}

const satisfies = (need: Need, caller: Caller) =>
  need === 'any'
    ? true
    : (!need.owner || caller.owner) &&
      ('anyOf' in need
        ? need.anyOf.some((atom) => caller.atoms.has(atom))
        : need.allOf.every((atom) => caller.atoms.has(atom)));

/** The role sets of the matrix: owner, every atom in a custom role, none, each single atom, and Tunnels Manage + Use. */
const ROLE_SETS: { label: string; atoms: PermissionAtom[]; owner?: true }[] = [
  { label: 'owner', atoms: [...PERMISSION_ATOMS], owner: true },
  { label: 'every atom, not owner', atoms: [...PERMISSION_ATOMS] },
  { label: 'no role', atoms: [] },
  ...PERMISSION_ATOMS.map((atom) => ({ label: atom, atoms: [atom] })),
  { label: 'tunnel.write+tunnel.use', atoms: ['tunnel.write', 'tunnel.use'] },
];

/** Key restrictions for a role set: unrestricted, exactly the role's atoms, each one left out, and (owner) each alone. */
function keyVariants(
  roleAtoms: PermissionAtom[],
  owner: boolean,
): { label: string; atoms: PermissionAtom[] | null }[] {
  const variants: { label: string; atoms: PermissionAtom[] | null }[] = [{ label: 'full key', atoms: null }];
  if (roleAtoms.length > 0) variants.push({ label: `key [${roleAtoms.join(',')}]`, atoms: roleAtoms });
  if (roleAtoms.length > 1)
    for (const left of roleAtoms)
      variants.push({ label: `key without ${left}`, atoms: roleAtoms.filter((a) => a !== left) });
  if (owner) for (const atom of roleAtoms) variants.push({ label: `key [${atom}]`, atoms: [atom] });
  return variants;
}

let t: TestService;
let callers: Caller[] = [];
let routes: RouteCase[] = [];

before(async () => {
  t = await startTestService();
  const { store } = t.service;
  const owner = (await t.ok<{ owner: { id: string; organization_id: string } }>('GET', '/v1/me', t.ownerKey))
    .owner;
  const orgId = owner.organization_id;
  const roles = await t.ok<{ data: { id: string; builtin: boolean }[] }>('GET', '/v1/roles', t.ownerKey);
  const ownerRoleId = roles.data.find((role) => role.builtin)!.id;
  let n = 0;
  const unique = (prefix: string) => `${prefix}-${++n}`;
  const byOwner = <T = Record<string, string>>(method: string, path: string, body?: unknown) =>
    t.ok<T>(method, path, t.ownerKey, body);
  const tunnel = async () => (await byOwner('POST', '/v1/tunnels', { name: unique('tunnel') })).id!;
  const role = async () =>
    (await byOwner('POST', '/v1/roles', { name: unique('role'), permissions: ['tunnel.read'] })).id!;
  const bareMember = async (roleIds: string[] = []) => {
    const id = newId('sa');
    await store.members.create({
      id,
      organization_id: orgId,
      kind: 'service_account',
      name: unique('target'),
      role_ids: roleIds,
      created_at: nowIso(),
      email: null,
      password_hash: null,
      deleted_at: null,
    });
    return id;
  };
  const sharedTunnel = await tunnel();
  // Never polled, so connector calls answer 503 at once instead of waiting for a client.
  const offlineTunnel = await tunnel();
  const membersAndKeysRole = (
    await byOwner('POST', '/v1/roles', { name: 'sa role', permissions: ['member.write'] })
  ).id!;
  const connector = async () =>
    (await byOwner('POST', '/v1/connectors', { name: unique('connector'), tunnel_id: sharedTunnel })).id!;

  routes = [
    {
      method: 'POST',
      route: '/v1/tunnels',
      needs: { anyOf: ['tunnel.write'] },
      ok: 200,
      prepare: async () => ({ path: '/v1/tunnels', body: { name: unique('t') } }),
    },
    {
      method: 'GET',
      route: '/v1/tunnels',
      needs: { anyOf: ['tunnel.read'] },
      ok: 200,
      prepare: async () => ({ path: '/v1/tunnels' }),
    },
    {
      method: 'GET',
      route: '/v1/tunnels/{id}',
      needs: { anyOf: ['tunnel.read', 'tunnel.use'] },
      ok: 200,
      prepare: async () => ({ path: `/v1/tunnels/${sharedTunnel}` }),
    },
    {
      method: 'POST',
      route: '/v1/tunnels/{id}',
      needs: { anyOf: ['tunnel.write'] },
      ok: 200,
      prepare: async () => ({ path: `/v1/tunnels/${sharedTunnel}`, body: { description: unique('d') } }),
    },
    {
      method: 'PATCH',
      route: '/v1/tunnels/{id}',
      needs: { anyOf: ['tunnel.write'] },
      ok: 200,
      prepare: async () => ({ path: `/v1/tunnels/${sharedTunnel}`, body: { response_timeout: '30s' } }),
    },
    {
      method: 'DELETE',
      route: '/v1/tunnels/{id}',
      needs: { anyOf: ['tunnel.write'] },
      ok: 200,
      prepare: async () => ({ path: `/v1/tunnels/${await tunnel()}` }),
    },
    {
      method: 'GET',
      route: '/v1/tunnels/{id}/live',
      needs: { anyOf: ['tunnel.read'] },
      ok: 200,
      prepare: async () => ({ path: `/v1/tunnels/${sharedTunnel}/live` }),
    },
    {
      method: 'GET',
      route: '/v1/tunnels/{id}/poll',
      needs: { anyOf: ['tunnel.use'] },
      ok: 204,
      prepare: async () => ({ path: `/v1/tunnels/${sharedTunnel}/poll?timeout_ms=1` }),
    },
    {
      method: 'POST',
      route: '/v1/mcp/{id}',
      needs: { anyOf: ['tunnel.use'] },
      ok: 503,
      prepare: async () => ({
        path: `/v1/mcp/${offlineTunnel}`,
        body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      }),
    },
    {
      method: 'POST',
      route: '/v1/roles',
      needs: { anyOf: ['role.write'] },
      ok: 200,
      prepare: async () => ({ path: '/v1/roles', body: { name: unique('r'), permissions: ['role.write'] } }),
    },
    {
      method: 'GET',
      route: '/v1/roles',
      needs: { anyOf: ['role.write', 'member.write'] },
      ok: 200,
      prepare: async () => ({ path: '/v1/roles' }),
    },
    {
      method: 'PATCH',
      route: '/v1/roles/{id}',
      needs: { anyOf: ['role.write'] },
      ok: 200,
      prepare: async () => ({ path: `/v1/roles/${await role()}`, body: { name: unique('renamed') } }),
    },
    {
      method: 'POST',
      route: '/v1/roles/{id}',
      needs: { anyOf: ['role.write'] },
      ok: 200,
      prepare: async () => ({ path: `/v1/roles/${await role()}`, body: { name: unique('renamed') } }),
    },
    {
      method: 'DELETE',
      route: '/v1/roles/{id}',
      needs: { anyOf: ['role.write'] },
      ok: 200,
      prepare: async () => ({ path: `/v1/roles/${await role()}` }),
    },
    {
      method: 'GET',
      route: '/v1/members',
      needs: { anyOf: ['member.write', 'role.write'] },
      ok: 200,
      prepare: async () => ({ path: '/v1/members' }),
    },
    {
      method: 'PATCH',
      route: '/v1/members/{id}',
      needs: { anyOf: ['member.write'] },
      ok: 200,
      prepare: async () => ({ path: `/v1/members/${await bareMember()}`, body: { role_ids: [] } }),
    },
    {
      method: 'DELETE',
      route: '/v1/members/{id}',
      needs: { anyOf: ['member.write'] },
      ok: 204,
      prepare: async () => ({ path: `/v1/members/${await bareMember()}` }),
    },
    {
      method: 'PATCH',
      route: '/v1/members/{id} granting Owner',
      needs: { allOf: [...PERMISSION_ATOMS], owner: true },
      ok: 200,
      prepare: async () => ({ path: `/v1/members/${await bareMember()}`, body: { role_ids: [ownerRoleId] } }),
    },
    {
      method: 'PATCH',
      route: '/v1/members/{an owner} taking Owner',
      needs: { anyOf: ['member.write'], owner: true },
      ok: 200,
      prepare: async () => ({
        path: `/v1/members/${await bareMember([ownerRoleId])}`,
        body: { role_ids: [] },
      }),
    },
    {
      method: 'DELETE',
      route: '/v1/members/{an owner}',
      needs: { anyOf: ['member.write'], owner: true },
      ok: 204,
      prepare: async () => ({ path: `/v1/members/${await bareMember([ownerRoleId])}` }),
    },
    {
      method: 'POST',
      route: '/v1/service_accounts holding Owner',
      needs: { allOf: [...PERMISSION_ATOMS], owner: true },
      ok: 200,
      prepare: async () => ({
        path: '/v1/service_accounts',
        body: { name: unique('sa'), role_ids: [ownerRoleId] },
      }),
    },
    {
      method: 'POST',
      route: '/v1/invitations to Owner',
      needs: { allOf: [...PERMISSION_ATOMS], owner: true },
      ok: 201,
      prepare: async () => ({
        path: '/v1/invitations',
        body: { email: `${unique('o')}@example.com`, role_ids: [ownerRoleId] },
      }),
    },
    {
      method: 'POST',
      route: '/v1/service_accounts',
      needs: { allOf: ['member.write', 'api_key.write'] },
      ok: 200,
      prepare: async () => ({
        path: '/v1/service_accounts',
        body: { name: unique('sa'), role_ids: [membersAndKeysRole] },
      }),
    },
    {
      method: 'POST',
      route: '/v1/invitations',
      needs: { anyOf: ['member.write'] },
      ok: 201,
      prepare: async () => ({ path: '/v1/invitations', body: { email: `${unique('m')}@example.com` } }),
    },
    {
      method: 'GET',
      route: '/v1/invitations',
      needs: { anyOf: ['member.write'] },
      ok: 200,
      prepare: async () => ({ path: '/v1/invitations' }),
    },
    {
      method: 'DELETE',
      route: '/v1/invitations/{id}',
      needs: { anyOf: ['member.write'] },
      ok: 204,
      prepare: async () => ({
        path: `/v1/invitations/${(await byOwner('POST', '/v1/invitations', { email: `${unique('i')}@example.com` })).id}`,
      }),
    },
    {
      method: 'POST',
      route: '/v1/api_keys',
      needs: { anyOf: ['api_key.write'] },
      ok: 200,
      prepare: async () => ({ path: '/v1/api_keys', body: { name: unique('k') } }),
    },
    {
      method: 'GET',
      route: '/v1/api_keys',
      needs: 'any',
      ok: 200,
      prepare: async () => ({ path: '/v1/api_keys' }),
    },
    {
      method: 'DELETE',
      route: "/v1/api_keys/{another member's key}",
      needs: { anyOf: ['api_key.write'] },
      ok: 200,
      prepare: async () => ({
        path: `/v1/api_keys/${(await byOwner('POST', '/v1/api_keys', { name: unique('victim') })).id}`,
      }),
    },
    { method: 'GET', route: '/v1/me', needs: 'any', ok: 200, prepare: async () => ({ path: '/v1/me' }) },
    {
      method: 'GET',
      route: '/v1/audit',
      needs: { anyOf: ['audit.read'] },
      ok: 200,
      prepare: async () => ({ path: '/v1/audit?limit=5' }),
    },
    {
      method: 'GET',
      route: '/v1/audit/export',
      needs: { anyOf: ['audit.read'] },
      ok: 200,
      prepare: async () => ({ path: '/v1/audit/export?limit=1' /* one JSON line parses as JSON */ }),
    },
    {
      method: 'POST',
      route: '/v1/connectors',
      needs: { anyOf: ['tunnel.use'] },
      ok: 201,
      prepare: async () => ({ path: '/v1/connectors', body: { name: unique('c'), tunnel_id: sharedTunnel } }),
    },
    {
      method: 'GET',
      route: '/v1/connectors',
      needs: { anyOf: ['tunnel.use'] },
      ok: 200,
      prepare: async () => ({ path: '/v1/connectors' }),
    },
    {
      method: 'GET',
      route: '/v1/connectors/{id}',
      needs: { anyOf: ['tunnel.use'] },
      ok: 200,
      prepare: async () => ({ path: `/v1/connectors/${await connector()}` }),
    },
    {
      method: 'PATCH',
      route: '/v1/connectors/{id}',
      needs: { anyOf: ['tunnel.use'] },
      ok: 200,
      prepare: async () => ({
        path: `/v1/connectors/${await connector()}`,
        body: { name: unique('renamed') },
      }),
    },
    {
      method: 'DELETE',
      route: '/v1/connectors/{id}',
      needs: { anyOf: ['tunnel.use'] },
      ok: 204,
      prepare: async () => ({ path: `/v1/connectors/${await connector()}` }),
    },
  ];

  // One member per role set; its keys per restriction; and one signed-in browser per role set.
  const passwordHash = await hashPassword('matrix password 1');
  callers = [];
  for (const set of ROLE_SETS) {
    const roleIds = set.owner
      ? [ownerRoleId]
      : set.atoms.length > 0
        ? [(await byOwner('POST', '/v1/roles', { name: `set ${set.label}`, permissions: set.atoms })).id!]
        : [];
    const memberId = newId('member');
    const email = `${set.label.replace(/[^a-z]+/g, '-')}@matrix.example.com`;
    await store.members.create({
      id: memberId,
      organization_id: orgId,
      kind: 'user',
      name: `caller ${set.label}`,
      role_ids: roleIds,
      created_at: nowIso(),
      email,
      password_hash: passwordHash,
      deleted_at: null,
    });
    for (const variant of keyVariants(set.atoms, !!set.owner)) {
      const secret = generateApiKey();
      await store.apiKeys.create({
        id: newId('key'),
        organization_id: orgId,
        owner_id: memberId,
        name: variant.label,
        prefix: secret.prefix,
        secret_hash: secret.hash,
        permissions: variant.atoms,
        created_at: nowIso(),
        last_used_at: null,
        revoked_at: null,
      });
      const atoms = new Set(
        variant.atoms === null ? set.atoms : variant.atoms.filter((a) => set.atoms.includes(a)),
      );
      callers.push({
        label: `${set.label} / ${variant.label}`,
        atoms,
        owner: !!set.owner,
        call: (method, path, body) => t.call(method, path, secret.secret, body),
      });
    }
    const session: BrowserSession = sessionFrom(await signIn(t, email, 'matrix password 1'));
    callers.push({
      label: `${set.label} / signed-in browser`,
      atoms: new Set(set.atoms),
      owner: !!set.owner,
      call: (method, path, body) => sessionCall(t, session, method, path, body),
    });
  }
});

after(async () => {
  await t?.stop();
});

describe('permission matrix', { timeout: 300_000 }, () => {
  test('every route × every caller is allowed or refused exactly as its atoms say', async () => {
    const wrong: string[] = [];
    let cells = 0;
    let allowed = 0;
    for (const route of routes) {
      for (const caller of callers) {
        const expectAllowed = satisfies(route.needs, caller);
        const { path, body } = await route.prepare();
        const answer = await caller.call(route.method, path, body);
        cells += 1;
        if (expectAllowed) allowed += 1;
        const okay = expectAllowed ? answer.status === route.ok : answer.status === 403;
        if (!okay)
          wrong.push(
            `${route.method} ${route.route} as ${caller.label}: expected ${expectAllowed ? route.ok : 403}, got ${answer.status} ${JSON.stringify(answer.body?.error?.code ?? answer.body?.error ?? '')}`,
          );
      }
    }
    assert.deepEqual(wrong, [], `${wrong.length} of ${cells} cells wrong`);
    assert.equal(cells, routes.length * callers.length);
    assert.ok(allowed > 0 && allowed < cells, 'the matrix has both allowed and refused cells');
    console.log(
      `permission matrix: ${routes.length} routes × ${callers.length} callers = ${cells} cells, ${allowed} allowed`,
    );
  });
});
