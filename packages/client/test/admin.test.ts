// `tunnel-client admin tunnels ...` as a subprocess against the real tunnel-service and its owner key.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_BIN, runCli } from '../../../test/support/processes.ts';
import { startService, type Service } from '../../../test/support/service-process.ts';
import { api, createRuntime, type Runtime } from '../../../test/support/management-api.ts';

let service: Service;
let runtime: Runtime;
let dir: string;
let organizationId: string;

interface TunnelJson {
  id: string;
  name: string;
  description: string;
  organization_ids: string[];
  response_timeout: string;
}

/** Runs `tunnel-client admin tunnels ...` with the owner key in OPENAI_ADMIN_KEY unless told otherwise. */
function admin(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli([CLIENT_BIN, 'admin', 'tunnels', ...args], { OPENAI_ADMIN_KEY: service.ownerKey, ...env });
}

before(async () => {
  service = await startService();
  runtime = await createRuntime(service, { tunnelName: 'existing' });
  dir = mkdtempSync(join(tmpdir(), 'tc-admin-'));
  const me = await api<{ organization: { id: string } }>(service.url, service.ownerKey, 'GET', '/v1/me');
  organizationId = me.organization.id;
});

after(async () => {
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('create, list, get, update and delete a tunnel', { timeout: 90_000 }, async () => {
  const base = ['--base-url', service.url];
  const created = await admin([
    'create',
    ...base,
    '--name',
    'payments',
    '--description',
    'Payments MCP',
    '--organization-id',
    organizationId,
    '--response-timeout',
    '30s',
    '--json',
  ]);
  assert.equal(created.code, 0, created.output);
  const tunnel = JSON.parse(created.output) as TunnelJson;
  assert.match(tunnel.id, /^tunnel_[0-9a-f]{32}$/);
  assert.equal(tunnel.name, 'payments');
  assert.equal(tunnel.description, 'Payments MCP');
  assert.deepEqual(tunnel.organization_ids, [organizationId]);
  assert.equal(tunnel.response_timeout, '30s');

  const table = await admin(['list', ...base]);
  assert.equal(table.code, 0, table.output);
  assert.match(table.output, /^ID +NAME +RESPONSE TIMEOUT +CREATED +DESCRIPTION$/m);
  assert.match(table.output, new RegExp(`^${tunnel.id} +payments +30s +\\S+ +Payments MCP$`, 'm'));
  assert.match(table.output, new RegExp(`^${runtime.tunnelId} +existing `, 'm'));
  const listed = JSON.parse((await admin(['list', ...base, '--json'])).output) as { data: TunnelJson[] };
  assert.deepEqual(listed.data.map((t) => t.id).sort(), [tunnel.id, runtime.tunnelId].sort());

  const got = await admin(['get', tunnel.id, ...base]);
  assert.equal(got.code, 0, got.output);
  assert.match(got.output, /^name +payments$/m);
  assert.match(got.output, /^online +false$/m);

  const updated = await admin(['update', tunnel.id, ...base, '--name', 'payments-v2', '--json']);
  assert.equal(updated.code, 0, updated.output);
  assert.equal((JSON.parse(updated.output) as TunnelJson).name, 'payments-v2');
  assert.equal((JSON.parse(updated.output) as TunnelJson).description, 'Payments MCP');

  const unconfirmed = await admin(['delete', tunnel.id, ...base]);
  assert.equal(unconfirmed.code, 1);
  assert.match(unconfirmed.output, /delete removes tunnel .* for good.*--confirm/);
  assert.equal((await admin(['get', tunnel.id, ...base])).code, 0, 'the tunnel is still there');

  const deleted = await admin(['delete', tunnel.id, ...base, '--confirm', '--json']);
  assert.equal(deleted.code, 0, deleted.output);
  assert.deepEqual(JSON.parse(deleted.output), { id: tunnel.id, object: 'tunnel', deleted: true });

  const gone = await admin(['get', tunnel.id, ...base]);
  assert.equal(gone.code, 1);
  assert.match(gone.output, /HTTP 404/);
});

test('API errors show the HTTP status and the service message', { timeout: 60_000 }, async () => {
  const base = ['--base-url', service.url];
  const otherOrg = await admin(['create', ...base, '--name', 'x', '--organization-id', 'org_someone_else']);
  assert.equal(otherOrg.code, 1);
  assert.match(otherOrg.output, /HTTP 403 \[tunnel_missing_principals\]: organization_ids may only name/);

  const wrongKey = await admin(['list', ...base], { OPENAI_ADMIN_KEY: 'mcpt_wrong' });
  assert.equal(wrongKey.code, 1);
  assert.match(wrongKey.output, /HTTP 401 \[invalid_api_key\]/);

  const runtimeKey = await admin(['create', ...base, '--name', 'x'], {
    OPENAI_ADMIN_KEY: runtime.runtimeKey,
  });
  assert.equal(runtimeKey.code, 1);
  assert.match(runtimeKey.output, /HTTP 403 \[tunnel_management_permission_required\]/);

  const noName = await admin(['create', ...base]);
  assert.equal(noName.code, 1);
  assert.match(noName.output, /create needs --name/);

  const badId = await admin(['get', 'tunnel_nope', ...base]);
  assert.equal(badId.code, 1);
  assert.match(badId.output, /tunnel id "tunnel_nope" is malformed/);
});

test(
  'the admin key comes from OPENAI_ADMIN_KEY or an env:/file: reference, never from argv',
  {
    timeout: 60_000,
  },
  async () => {
    const base = ['--base-url', service.url];
    const literal = await admin(['list', ...base, '--admin-key', 'mcpt_literal_secret'], {
      OPENAI_ADMIN_KEY: '',
    });
    assert.equal(literal.code, 1);
    assert.match(
      literal.output,
      /--admin-key takes a reference, "env:NAME" or "file:\/path", never the key itself/,
    );
    assert.ok(!literal.output.includes('mcpt_literal_secret'));

    const viaEnv = await admin(['list', ...base, '--admin-key', 'env:MY_ADMIN_KEY'], {
      OPENAI_ADMIN_KEY: '',
      MY_ADMIN_KEY: service.ownerKey,
    });
    assert.equal(viaEnv.code, 0, viaEnv.output);
    assert.match(viaEnv.output, new RegExp(runtime.tunnelId));

    const keyFile = join(dir, 'admin-key');
    writeFileSync(keyFile, `${service.ownerKey}\n`, { mode: 0o600 });
    const viaFile = await admin(['list', ...base, '--admin-key', `file:${keyFile}`], {
      OPENAI_ADMIN_KEY: '',
    });
    assert.equal(viaFile.code, 0, viaFile.output);

    const unset = await admin(['list', ...base, '--admin-key', 'env:NOT_SET_ANYWHERE'], {
      OPENAI_ADMIN_KEY: '',
    });
    assert.equal(unset.code, 1);
    assert.match(unset.output, /NOT_SET_ANYWHERE, which is not set/);

    const none = await admin(['list', ...base], { OPENAI_ADMIN_KEY: '' });
    assert.equal(none.code, 1);
    assert.match(none.output, /no admin key: export OPENAI_ADMIN_KEY=/);
  },
);

test(
  '--profile gives the base URL, and get works with the profile runtime key alone',
  { timeout: 60_000 },
  async () => {
    const added = await runCli([
      CLIENT_BIN,
      'profiles',
      'add',
      'p',
      '--sample',
      'sample_mcp_stdio_local',
      '--tunnel-id',
      runtime.tunnelId,
      '--mcp-command',
      'tunnel-client dev mcp-stub --transport stdio',
      '--base-url',
      service.url,
      '--profile-dir',
      dir,
    ]);
    assert.equal(added.code, 0, added.output);
    const profile = ['--profile', 'p', '--profile-dir', dir];

    const list = await admin(['list', ...profile]);
    assert.equal(list.code, 0, list.output);
    assert.match(list.output, new RegExp(`^${runtime.tunnelId} +existing`, 'm'));

    const got = await admin(['get', ...profile, '--json'], {
      OPENAI_ADMIN_KEY: '',
      CONTROL_PLANE_API_KEY: runtime.runtimeKey,
    });
    assert.equal(got.code, 0, got.output);
    const record = JSON.parse(got.output) as TunnelJson;
    assert.equal(record.id, runtime.tunnelId);
    assert.equal(record.name, 'existing');

    // The Go client's spelling: options before the subcommand, runtime key from the environment.
    const goStyle = await runCli(
      [CLIENT_BIN, 'admin', '--json', '--base-url', service.url, 'tunnels', 'get', runtime.tunnelId],
      { OPENAI_ADMIN_KEY: '', CONTROL_PLANE_API_KEY: runtime.runtimeKey },
    );
    assert.equal(goStyle.code, 0, goStyle.output);
    assert.equal((JSON.parse(goStyle.output) as TunnelJson).name, 'existing');

    const filtered = await admin(['list', ...profile, '--organization-id', organizationId, '--json']);
    assert.equal(filtered.code, 0, filtered.output);
    assert.ok(
      (JSON.parse(filtered.output) as { data: TunnelJson[] }).data.some((t) => t.id === runtime.tunnelId),
    );

    const listWithRuntimeKey = await admin(['list', ...profile], {
      OPENAI_ADMIN_KEY: '',
      CONTROL_PLANE_API_KEY: runtime.runtimeKey,
    });
    assert.equal(listWithRuntimeKey.code, 1, 'only get falls back to the runtime key');
    assert.match(listWithRuntimeKey.output, /no admin key/);
  },
);
