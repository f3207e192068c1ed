// tunnel-service on PostgreSQL end to end: the real service started with --database-url on a fresh
// database, the real tunnel-client, and the official MCP SDK calling a tool through the tunnel. A second
// service on the same database, with a data directory of its own, serves the same tunnel and keys.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectSdk } from '../support/mcp-callers.ts';
import { createTestDatabase, postgresSkip, type TestDatabase } from '../support/postgres.ts';
import { startService } from '../support/service-process.ts';
import { startSystem, startTunnel, type System } from '../support/system.ts';

const skip = await postgresSkip();

describe('tunnel-service on PostgreSQL', { skip, timeout: 120_000 }, () => {
  let database: TestDatabase;
  let system: System;

  before(async () => {
    database = await createTestDatabase();
    system = await startSystem({ service: { databaseUrl: database.url } });
  });
  after(async () => {
    await system?.stop();
    await database?.drop();
  });

  const addThroughTunnel = async (connectorUrl: URL, key: string) => {
    const { mcp, end } = await connectSdk(connectorUrl, key);
    try {
      const result = await mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
      assert.deepEqual(result.content, [{ type: 'text', text: '5 + 3 = 8' }]);
    } finally {
      await end();
    }
  };

  test('the MCP SDK client calls a tool through the tunnel', async () => {
    await addThroughTunnel(system.connectorUrl, system.runtime.runtimeKey);
  });

  test('a second service on the database shares its organization, keys and tunnels and shows no owner key', async () => {
    await using second = await startService({ databaseUrl: database.url });
    assert.equal(second.ownerKey, '', 'the organization was made once, by the first service');
    await using tunnel = await startTunnel(
      { ...second, ownerKey: system.service.ownerKey },
      { tunnelName: 'made on the second node' },
    );
    await addThroughTunnel(tunnel.connectorUrl, tunnel.runtime.runtimeKey);
    const listed = await fetch(new URL('/v1/tunnels', system.service.url), {
      headers: { authorization: `Bearer ${system.service.ownerKey}` },
    });
    const names = ((await listed.json()) as { data: { name: string }[] }).data.map((t) => t.name).sort();
    assert.deepEqual(names, ['calculator', 'made on the second node'], 'the first service sees it too');
  });
});
