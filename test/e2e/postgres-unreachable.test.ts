// tunnel-service on PostgreSQL while the database cannot be reached: the real service and tunnel-client,
// the service's database connections going through a link the test cuts (connections drop, new ones are
// refused) or stalls (nothing gets through) and restores. Management calls get a 503 naming the database at once, not a 500 or a hang;
// the tunnel-client keeps polling and a caller seen lately keeps calling; all serve again once it is back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../support/eventually.ts';
import { keyWith } from '../support/management-api.ts';
import { connectSdk, postJsonRpc } from '../support/mcp-callers.ts';
import { createTestDatabase, postgresSkip, type TestDatabase } from '../support/postgres.ts';
import { startSystem, type System } from '../support/system.ts';
import { startTcpLink, type TcpLink } from '../support/tcp-link.ts';

const skip = await postgresSkip();

describe('tunnel-service when PostgreSQL cannot be reached', { skip, timeout: 120_000 }, () => {
  let database: TestDatabase;
  let link: TcpLink;
  let system: System;

  before(async () => {
    database = await createTestDatabase();
    link = await startTcpLink({ host: '127.0.0.1', port: 5432 });
    const url = new URL(database.url);
    url.port = String(link.port);
    system = await startSystem({ service: { databaseUrl: url.href } });
  });
  after(async () => {
    await system?.stop();
    await link?.close();
    await database?.drop();
  });

  const tunnels = (timeoutMs = 20_000) =>
    fetch(new URL('/v1/tunnels', system.service.url), {
      headers: { authorization: `Bearer ${system.service.ownerKey}` },
      signal: AbortSignal.timeout(timeoutMs),
    });

  const add = async () => {
    const { mcp, end } = await connectSdk(system.connectorUrl, system.runtime.runtimeKey);
    try {
      const result = await mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
      assert.deepEqual(result.content, [{ type: 'text', text: '5 + 3 = 8' }]);
    } finally {
      await end();
    }
  };

  test('management calls get a 503 naming the database, a session opened before keeps calling, a new caller gets a 503; all serve again once it is back', async () => {
    await add();
    assert.equal((await tunnels()).status, 200);
    const open = await connectSdk(system.connectorUrl, system.runtime.runtimeKey);
    // A key this node has not yet seen: nothing remembered to answer with once the database is gone.
    const stranger = await keyWith(system.service, ['tunnel.use']);

    await link.cut();
    try {
      const result = await open.mcp.callTool({ name: 'multiply', arguments: { a: 6, b: 7 } });
      assert.deepEqual(result.content, [{ type: 'text', text: '6 * 7 = 42' }]);
    } finally {
      await open.mcp.close();
    }

    const started = Date.now();
    const refused = await tunnels();
    assert.ok(Date.now() - started < 10_000, `answered in ${Date.now() - started} ms, not at a timeout`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5');
    const body = (await refused.json()) as { error: { type: string; code: string; message: string } };
    assert.equal(body.error.type, 'server_error');
    assert.equal(body.error.code, 'store_unavailable');
    assert.match(
      body.error.message,
      new RegExp(
        `database \\(PostgreSQL postgres://postgres@127\\.0\\.0\\.1:${link.port}/mcpt_test_\\w+\\) cannot be reached`,
      ),
    );

    const call = await postJsonRpc(system.connectorUrl, stranger, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
    });
    assert.equal(call.status, 503);
    const rpc = (await call.json()) as { error: { code: number; message: string } };
    assert.match(rpc.error.message, /database \(PostgreSQL .*\) cannot be reached/);

    await link.restore();
    await eventually(
      async () => (await tunnels()).status === 200,
      15_000,
      'the management API to answer 200',
    );
    await add();
  });

  test('a database whose network stops carrying packets fails management calls with a 503 within the statement timeout, not a hang; all serve again once it answers', async () => {
    assert.equal((await tunnels()).status, 200);
    link.stall();
    try {
      const started = Date.now();
      const refused = await tunnels(60_000);
      const waited = Date.now() - started;
      assert.equal(refused.status, 503);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'store_unavailable');
      assert.match(body.error.message, /database \(PostgreSQL .*\) cannot be reached/);
      // Within the statement timeout (15 s; the connection timeout, 5 s, when no open connection was free),
      // with room for a loaded machine: not after the minutes TCP would retry.
      assert.ok(waited < 25_000, `answered after ${waited} ms`);
      // Right after a statement went unanswered, the next ones fail at once rather than wait as long again.
      const againAt = Date.now();
      assert.equal((await tunnels()).status, 503);
      assert.ok(Date.now() - againAt < 4000, `the next call answered after ${Date.now() - againAt} ms`);
    } finally {
      await link.restore();
    }
    await eventually(
      async () => (await tunnels()).status === 200,
      30_000,
      'the management API to answer 200',
    );
    await add();
  });
});
