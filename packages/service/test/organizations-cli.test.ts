// `tunnel-service organizations create|list` run against the data directory of a running service: the new
// organization's owner key works at once, and the two organizations see nothing of each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliStreams, SERVICE_BIN } from '../../../test/support/processes.ts';
import { startTestService } from './support/service.ts';

const run = (args: string[]) => runCliStreams([SERVICE_BIN, ...args]);

test('organizations create and list work beside a running service', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tunnel-service-orgs-'));
  const service = await startTestService({ dataDir });
  try {
    const created = await run(['organizations', 'create', 'Platform team', '--data-dir', dataDir]);
    assert.equal(created.code, 0, created.stderr);
    const organizationId = /^Organization (org_\w+) \(Platform team\) created\.$/m.exec(created.stdout)?.[1];
    const ownerKey = /^Owner API key \(shown once, store it now\): (\S+)$/m.exec(created.stdout)?.[1];
    assert.ok(organizationId && ownerKey, created.stdout);

    // The new owner works in its own organization, and neither organization sees the other's tunnels.
    const mine = await service.ok<{ id: string }>('POST', '/v1/tunnels', ownerKey, { name: 'team tunnel' });
    const theirs = await service.ok<{ id: string }>('POST', '/v1/tunnels', service.ownerKey, { name: 'ops' });
    const listed = async (key: string) =>
      (await service.ok<{ data: { id: string }[] }>('GET', '/v1/tunnels', key)).data.map((t) => t.id);
    assert.deepEqual(await listed(ownerKey), [mine.id]);
    assert.deepEqual(await listed(service.ownerKey), [theirs.id]);
    assert.equal((await service.call('GET', `/v1/tunnels/${theirs.id}`, ownerKey)).status, 404);

    // The creation is in the new organization's audit log, not the operator's.
    const audit = await service.ok<{ data: { action: string; actor: { kind: string } }[] }>(
      'GET',
      '/v1/audit?action=organization.create',
      ownerKey,
    );
    assert.deepEqual(
      audit.data.map((entry) => [entry.action, entry.actor.kind]),
      [['organization.create', 'operator']],
    );

    const list = await run(['organizations', 'list', '--data-dir', dataDir]);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /Default organization {2}\(operator\)$/);
    assert.match(lines[1]!, new RegExp(`^${organizationId} .* Platform team$`));
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test(
  'organizations create refuses a directory with no service database, and an empty name',
  { timeout: 30_000 },
  async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tunnel-service-orgs-empty-'));
    try {
      const missing = await run(['organizations', 'create', 'Team', '--data-dir', empty]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No tunnel-service database in .*Start the service once/);
      const blank = await run(['organizations', 'create', '  ', '--data-dir', empty]);
      assert.equal(blank.code, 2);
      assert.match(blank.stderr, /Give the organization a name/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  },
);
