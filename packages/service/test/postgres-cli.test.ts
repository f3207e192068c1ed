// The operator's commands on PostgreSQL, as real processes: `migrate`, `organizations create|list` with
// --database-url, and two nodes starting at once on an empty database. `migrate` on SQLite runs always.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runCliStreams, SERVICE_BIN } from '../../../test/support/processes.ts';
import { createTestDatabase, postgresSkip } from '../../../test/support/postgres.ts';
import { startService } from '../../../test/support/service-process.ts';

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCliStreams([SERVICE_BIN, ...args], env, 60_000);

const ALL_STEPS = [
  /^Applied 0001_initial to /m,
  /^Applied 0002_accounts_audit_connectors to /m,
  /^Applied 0003_audit_log_at to /m,
  /^Applied 0004_oauth to /m,
  /^Applied 0005_member_email_per_organization to /m,
];

test('migrate brings a new SQLite data directory to the latest schema, then has nothing to do', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tunnel-service-migrate-'));
  try {
    const first = await run(['migrate', '--data-dir', dataDir]);
    assert.equal(first.code, 0, first.stderr);
    for (const step of ALL_STEPS) assert.match(first.stdout, step);
    const again = await run(['migrate', '--data-dir', dataDir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /tunnel-service\.db is already at the latest schema\.$/m);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const skip = await postgresSkip();

describe('tunnel-service commands on PostgreSQL', { skip, timeout: 120_000 }, () => {
  test('migrate takes the database URL from the environment and applies each step once', async () => {
    await using database = await createTestDatabase();
    const env = { TUNNEL_SERVICE_DATABASE_URL: database.url };
    const first = await run(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    for (const step of ALL_STEPS) assert.match(first.stdout, step);
    assert.match(first.stdout, /to PostgreSQL postgres:\/\/postgres@127\.0\.0\.1:5432\/mcpt_test_\w+\.$/m);
    const again = await run(['migrate'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /is already at the latest schema\.$/m);
  });

  test('an unreachable database is named without its password, and nothing hangs', async () => {
    const url = `postgres://postgres:hunter2@127.0.0.1:${await freePort()}/nowhere`;
    for (const args of [['migrate'], ['organizations', 'list'], ['start', '--port', '0']]) {
      const answer = await run([...args, '--database-url', url]);
      assert.equal(answer.code, 1, `${args.join(' ')}: ${answer.stdout}${answer.stderr}`);
      assert.match(
        answer.stderr,
        /PostgreSQL postgres:\/\/postgres@127\.0\.0\.1:\d+\/nowhere is unreachable/,
      );
      assert.doesNotMatch(answer.stdout + answer.stderr, /hunter2/);
    }
  });

  test('two nodes starting at once on an empty database both start, and one makes the organization', async () => {
    await using database = await createTestDatabase();
    const nodes = await Promise.all([1, 2].map(() => startService({ databaseUrl: database.url })));
    try {
      const keys = nodes.map((node) => node.ownerKey).filter(Boolean);
      assert.equal(keys.length, 1, 'one owner key, shown by the node that made the organization');
      for (const node of nodes) {
        const me = await fetch(new URL('/v1/tunnels', node.url), {
          headers: { authorization: `Bearer ${keys[0]}` },
        });
        assert.equal(me.status, 200, 'the owner key works on every node');
      }

      const created = await run(['organizations', 'create', 'Platform team', '--database-url', database.url]);
      assert.equal(created.code, 0, created.stderr);
      const list = await run(['organizations', 'list', '--database-url', database.url]);
      assert.equal(list.code, 0, list.stderr);
      const lines = list.stdout.trim().split('\n');
      assert.equal(lines.length, 2, list.stdout);
      assert.match(lines[0]!, /Default organization {2}\(operator\)$/);
      assert.match(lines[1]!, /Platform team$/);
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
    }
  });

  test('organizations create refuses a database the service never started on', async () => {
    await using database = await createTestDatabase();
    const missing = await run(['organizations', 'create', 'Team', '--database-url', database.url]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No tunnel-service organization in PostgreSQL .*Start the service once/);
  });
});
