// `tunnel-client dev mcp-stub` behind a real tunnel (tunnel-service + tunnel-client subprocesses, called
// with the MCP SDK client), and `tunnel-client health` against that running client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_BIN, freePort, runCli, startProcess } from '../../../test/support/processes.ts';
import type { Service } from '../../../test/support/service-process.ts';
import type { Runtime } from '../../../test/support/management-api.ts';
import { eventually } from '../../../test/support/eventually.ts';
import type { Client } from '../../../test/support/client-process.ts';
import { connectSdk } from '../../../test/support/mcp-callers.ts';
import { startSystem, type System } from '../../../test/support/system.ts';

const STUB = `"${process.execPath}" "${CLIENT_BIN}" dev mcp-stub --transport stdio`;

let system: System;
let service: Service;
let runtime: Runtime;
let client: Client;

before(async () => {
  system = await startSystem({ tunnelName: 'stub', client: { mcpCommand: STUB } });
  ({ service, runtime, client } = system);
});

after(() => system?.stop());

test(
  'the MCP SDK client calls echo, add and time on dev mcp-stub through the tunnel',
  { timeout: 60_000 },
  async () => {
    const { mcp } = await connectSdk(system.connectorUrl, runtime.runtimeKey);
    try {
      assert.equal(mcp.getServerVersion()?.name, 'tunnel-client-mcp-stub');
      const { tools } = await mcp.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ['add', 'echo', 'time']);
      assert.deepEqual((await mcp.callTool({ name: 'echo', arguments: { text: 'héllo tunnel' } })).content, [
        { type: 'text', text: 'héllo tunnel' },
      ]);
      assert.deepEqual((await mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } })).content, [
        { type: 'text', text: '5 + 3 = 8' },
      ]);
      const before = Date.now();
      const time = (await mcp.callTool({ name: 'time', arguments: {} })).content as { text: string }[];
      const at = Date.parse(time[0]!.text);
      assert.ok(Math.abs(at - before) < 60_000, `time answered ${time[0]!.text}`);
      const bad = await mcp.callTool({ name: 'add', arguments: { a: 'five', b: 3 } });
      assert.equal(bad.isError, true, 'a bad argument is a tool error, not a crash');
    } finally {
      await mcp.close();
    }
  },
);

test(
  'dev mcp-stub --listen-addr serves Streamable HTTP on /mcp for the MCP SDK client',
  { timeout: 60_000 },
  async () => {
    const stub = startProcess([CLIENT_BIN, 'dev', 'mcp-stub', '--listen-addr', '127.0.0.1:0']);
    try {
      const [, url] = await stub.waitFor(/listening on (http:\/\/\S+\/mcp)/, 20_000);
      const { mcp } = await connectSdk(new URL(url!), undefined);
      assert.deepEqual((await mcp.callTool({ name: 'add', arguments: { a: 2, b: 40 } })).content, [
        { type: 'text', text: '2 + 40 = 42' },
      ]);
      await mcp.close();
    } finally {
      await stub.stop();
    }
    assert.equal(stub.child.exitCode, 0, stub.output());
  },
);

test(
  'health: 0 and Result: OK when live and ready, via --url-file, --url or --port',
  { timeout: 60_000 },
  async () => {
    const urlFile = join(client.profileDir, 'ops.url');
    writeFileSync(urlFile, `${client.opsUrl}\n`);
    const viaFile = await runCli([CLIENT_BIN, 'health', '--url-file', urlFile]);
    assert.equal(viaFile.code, 0, viaFile.output);
    assert.match(
      viaFile.output,
      new RegExp(`Healthz: PASS \\| ${client.opsUrl}/healthz \\| HTTP 200 \\| live\n`),
    );
    assert.match(viaFile.output, /Readyz: PASS \| \S+\/readyz \| HTTP 200 \| ready\n/);
    assert.match(viaFile.output, /Result: OK$/);

    const viaUrl = await runCli([CLIENT_BIN, 'health', '--url', `${client.opsUrl}/readyz`]);
    assert.equal(viaUrl.code, 0, viaUrl.output);
    assert.match(viaUrl.output, new RegExp(`Base URL: ${client.opsUrl}\n`));

    const port = new URL(client.opsUrl).port;
    const viaPort = await runCli([
      CLIENT_BIN,
      'health',
      '--port',
      port,
      '--pid',
      String(client.proc.child.pid),
      '--require-control-plane-poll',
      '--json',
    ]);
    assert.equal(viaPort.code, 0, viaPort.output);
    const report = JSON.parse(viaPort.output);
    assert.equal(report.result, 'ok');
    assert.deepEqual(report.locator, {
      kind: 'port',
      port: Number(port),
      resolved_base_url: `http://127.0.0.1:${port}`,
    });
    assert.deepEqual(report.healthz, {
      url: `http://127.0.0.1:${port}/healthz`,
      status: 200,
      ok: true,
      body: 'live',
    });
    assert.equal(report.readyz.body, 'ready');
    assert.equal(report.process.running, true);
    assert.equal(report.control_plane_poll.ok, true);
    assert.ok(report.control_plane_poll.value > 0);
  },
);

test(
  'health: 2 with the reason when not ready or unreachable, 1 on a usage error',
  { timeout: 90_000 },
  async () => {
    const profiles = mkdtempSync(join(tmpdir(), 'tc-health-'));
    const urlFile = join(profiles, 'ops.url');
    const unready = startProcess(
      [
        CLIENT_BIN,
        'run',
        '--mcp-command',
        STUB,
        '--control-plane.base-url',
        service.url,
        '--control-plane.tunnel-id',
        runtime.tunnelId,
        '--health.listen-addr',
        '127.0.0.1:0',
        '--health.url-file',
        urlFile,
      ],
      { CONTROL_PLANE_API_KEY: 'mcpt_revoked_or_wrong' },
    );
    try {
      await unready.waitFor(/tunnel-client starting/, 20_000);
      let result = { code: null as number | null, output: '' };
      await eventually(
        async () => {
          result = await runCli([CLIENT_BIN, 'health', '--url-file', urlFile, '--json']);
          return JSON.parse(result.output).readyz.reasons.some((r: string) => /unauthorized/.test(r));
        },
        40_000,
        () => `health to report the refused key; it said: ${result.output}`,
        200,
      );
      assert.equal(result.code, 2, result.output);
      const report = JSON.parse(result.output);
      assert.equal(report.result, 'fail');
      assert.equal(report.healthz.ok, true);
      assert.equal(report.readyz.status, 503);
      assert.match(report.readyz.body, /control plane unauthorized/);

      const text = await runCli([
        CLIENT_BIN,
        'health',
        '--url-file',
        urlFile,
        '--require-control-plane-poll',
      ]);
      assert.equal(text.code, 2);
      assert.match(text.output, /Readyz: FAIL \| \S+ \| HTTP 503 \| [^\n]*control plane unauthorized/);
      assert.match(
        text.output,
        /Control-plane poll: FAIL \| \S+\/metrics \| no successful control-plane poll observed/,
      );
      assert.match(text.output, /Result: FAIL$/);
    } finally {
      await unready.stop();
      rmSync(profiles, { recursive: true, force: true });
    }

    const port = String(await freePort());
    const unreachable = await runCli([CLIENT_BIN, 'health', '--port', port]);
    assert.equal(unreachable.code, 2, unreachable.output);
    assert.match(unreachable.output, /Healthz: FAIL \| \S+ \| ECONNREFUSED/);

    const gone = await runCli([
      CLIENT_BIN,
      'health',
      '--port',
      port,
      '--pid-file',
      join(profiles, 'none.pid'),
    ]);
    assert.equal(gone.code, 2);
    assert.match(gone.output, /Process: FAIL \| pid_file=\S+none\.pid \| read \S+: ENOENT/);

    const usage = await runCli([CLIENT_BIN, 'health', '--port', port, '--url', 'http://127.0.0.1:1']);
    assert.equal(usage.code, 1);
    assert.match(usage.output, /choose at most one of --url, --url-file, or --port/);
    // Without any of them, the client's default ops address (probing it here would depend on this machine).
    const byDefault = await runCli([CLIENT_BIN, 'health', '--json', '--host', '127.0.0.1']);
    assert.match(byDefault.output, /"resolved_base_url": "http:\/\/127\.0\.0\.1:8080"/);
  },
);
