// `tunnel-client doctor` as a subprocess against the real tunnel-service: each key, service and MCP
// server problem is reported by the check it belongs to, with exit status 1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_BIN, runCli } from '../../../test/support/processes.ts';
import { startService, type Service } from '../../../test/support/service-process.ts';
import { api, createRuntime, keyWith, type Runtime } from '../../../test/support/management-api.ts';
import { contractSkip, loadContract } from '../../../test/support/contract.ts';
import { FakeHostedService } from '../../../test/support/fake-hosted-service.ts';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createStubServer } from '../src/cli/mcp-stub.ts';
import { makeCertificates, read } from './support/certificates.ts';
import { startProxy } from './support/proxy.ts';

const STUB = `"${process.execPath}" "${CLIENT_BIN}" dev mcp-stub --transport stdio`;

let service: Service;
let runtime: Runtime;
let dir: string;

async function addProfile(
  name: string,
  baseUrl: string,
  mcpCommand: string,
  tunnelId = runtime.tunnelId,
): Promise<void> {
  const result = await runCli([
    CLIENT_BIN,
    'profiles',
    'add',
    name,
    '--sample',
    'sample_mcp_stdio_local',
    '--tunnel-id',
    tunnelId,
    '--mcp-command',
    mcpCommand,
    '--base-url',
    baseUrl,
    '--profile-dir',
    dir,
  ]);
  assert.equal(result.code, 0, result.output);
}

interface Report {
  ok: boolean;
  checks: { id: string; status: string; reason: string; fix: string | null; meaning: string }[];
}

async function doctor(
  profile: string,
  key: string | undefined,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
) {
  const result = await runCli(
    [
      CLIENT_BIN,
      'doctor',
      '--profile',
      profile,
      '--profile-dir',
      dir,
      '--health.listen-addr',
      '127.0.0.1:0',
      '--json',
      ...extra,
    ],
    { CONTROL_PLANE_API_KEY: key ?? '', ...env },
    60_000,
  );
  const report = JSON.parse(result.output) as Report;
  const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
  const check = (id: string) => report.checks.find((c) => c.id === id)!;
  return { code: result.code, report, status, check };
}

before(async () => {
  service = await startService();
  runtime = await createRuntime(service);
  dir = mkdtempSync(join(tmpdir(), 'tc-doctor-'));
  await addProfile('good', service.url, STUB);
});

after(async () => {
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a good profile and key pass every check and exit 0', { timeout: 60_000 }, async () => {
  const { code, report, check } = await doctor('good', runtime.runtimeKey);
  assert.equal(code, 0, JSON.stringify(report, null, 2));
  assert.ok(report.ok);
  assert.deepEqual(
    report.checks.map((c) => [c.id, c.status]),
    [
      ['config', 'pass'],
      ['tunnel_id', 'pass'],
      ['api_key', 'pass'],
      ['control_plane', 'pass'],
      ['tunnel_access', 'pass'],
      ['tunnel_read', 'pass'],
      ['tunnel_use', 'pass'],
      ['mcp_main', 'pass'],
      ['ops_listen', 'pass'],
    ],
  );
  assert.match(check('tunnel_access').reason, /"calculator"/);
  assert.match(check('mcp_main').reason, /tunnel-client-mcp-stub/);
  assert.match(check('tunnel_use').meaning, /never polls/);
});

test(
  'the text output says pass or fail with the fix, and --explain what each check means',
  {
    timeout: 60_000,
  },
  async () => {
    const wrong = await runCli(
      [
        CLIENT_BIN,
        'doctor',
        '--profile',
        'good',
        '--profile-dir',
        dir,
        '--health.listen-addr',
        '127.0.0.1:0',
        '--explain',
      ],
      { CONTROL_PLANE_API_KEY: 'mcpt_not_a_real_key' },
      60_000,
    );
    assert.equal(wrong.code, 2, wrong.output);
    assert.match(wrong.output, /^PASS {2}config/m);
    assert.match(
      wrong.output,
      /^FAIL {2}tunnel_access +the service does not accept the key: .*invalid_api_key/m,
    );
    assert.match(wrong.output, /fix: CONTROL_PLANE_API_KEY/);
    assert.match(wrong.output, /^SKIP {2}tunnel_read/m);
    assert.match(wrong.output, /what: GET \/v1\/tunnels\/\{id\} with the runtime key/);
    assert.match(wrong.output, /1 check failed, 2 skipped/);
    assert.ok(!wrong.output.includes('mcpt_not_a_real_key'), 'the key is never printed');
  },
);

test('a key without Tunnels Read fails tunnel_read only', { timeout: 60_000 }, async () => {
  const { code, status, check } = await doctor('good', await keyWith(service, ['tunnel.use']));
  assert.equal(code, 2);
  assert.equal(status.tunnel_access, 'pass');
  assert.equal(status.tunnel_read, 'fail');
  assert.match(check('tunnel_read').reason, /lacks Tunnels Read.*403/);
  assert.match(check('tunnel_read').fix!, /tunnel\.read/);
  assert.equal(status.tunnel_use, 'pass');
  assert.equal(status.mcp_main, 'pass');
});

test(
  'a key without Tunnels Use fails tunnel_use',
  {
    timeout: 60_000,
  },
  async () => {
    const { code, status, check } = await doctor('good', await keyWith(service, ['tunnel.read']));
    assert.equal(code, 2);
    assert.equal(status.tunnel_read, 'pass');
    assert.equal(status.tunnel_use, 'fail');
    assert.match(check('tunnel_use').reason, /lacks Tunnels Use.*tunnel_use_forbidden/);
  },
);

test('a wrong key fails tunnel_access with the service message', { timeout: 60_000 }, async () => {
  const { code, status, check } = await doctor('good', 'mcpt_wrong');
  assert.equal(code, 2);
  assert.equal(status.control_plane, 'pass');
  assert.equal(status.tunnel_access, 'fail');
  assert.match(check('tunnel_access').reason, /401|invalid_api_key/);
  assert.equal(status.tunnel_read, 'skip');
  assert.equal(status.tunnel_use, 'skip');
});

test(
  'an unreachable control plane fails control_plane with the network reason',
  { timeout: 60_000 },
  async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await addProfile('unreachable', `http://127.0.0.1:${port}`, STUB);
    const { code, status, check } = await doctor('unreachable', runtime.runtimeKey);
    assert.equal(code, 2);
    assert.equal(status.control_plane, 'fail');
    assert.match(check('control_plane').reason, /did not answer \(ECONNREFUSED\)/);
    assert.match(check('control_plane').fix!, /base_url/);
    assert.equal(status.tunnel_access, 'skip');
    assert.equal(status.mcp_main, 'pass', 'the MCP server is still checked');
  },
);

test('a broken MCP command fails mcp_main with what it printed', { timeout: 60_000 }, async () => {
  const broken = `"${process.execPath}" -e "console.error('cannot open /etc/calculator.conf'); process.exit(3)"`;
  await addProfile('broken', service.url, broken);
  const { code, status, check } = await doctor('broken', runtime.runtimeKey, [
    '--mcp.startup-wait-timeout',
    '3s',
  ]);
  assert.equal(code, 2);
  assert.equal(status.tunnel_use, 'pass');
  assert.equal(status.mcp_main, 'fail');
  assert.match(check('mcp_main').reason, /did not answer initialize/);
  assert.match(check('mcp_main').reason, /cannot open \/etc\/calculator\.conf/);
  assert.match(check('mcp_main').fix!, /run the command yourself/);
});

test(
  'configuration problems are reported separately; a busy ops port fails ops_listen',
  {
    timeout: 60_000,
  },
  async () => {
    const noKey = await doctor('good', undefined, ['--control-plane.tunnel-id', 'tunnel_123']);
    assert.equal(noKey.code, 2);
    assert.equal(noKey.status.config, 'pass');
    assert.equal(noKey.status.tunnel_id, 'fail');
    assert.match(noKey.check('tunnel_id').reason, /tunnel_123.*32 lowercase hex/);
    assert.equal(noKey.status.api_key, 'fail');
    assert.match(noKey.check('api_key').reason, /CONTROL_PLANE_API_KEY/);
    assert.equal(noKey.status.control_plane, 'skip');

    // --config (and --profile-file) name the file directly, and flags override it, as with run.
    const viaConfig = await runCli(
      [
        CLIENT_BIN,
        'doctor',
        '--config',
        join(dir, 'good.yaml'),
        '--health.listen-addr',
        '127.0.0.1:0',
        '--mcp-command',
        `"${process.execPath}" -e "process.exit(5)"`,
        '--json',
      ],
      { CONTROL_PLANE_API_KEY: runtime.runtimeKey },
      60_000,
    );
    assert.equal(viaConfig.code, 2, viaConfig.output);
    const configReport = JSON.parse(viaConfig.output) as Report & { config_file: string };
    assert.equal(configReport.config_file, join(dir, 'good.yaml'));
    assert.deepEqual(
      configReport.checks.filter((c) => c.status !== 'pass').map((c) => c.id),
      ['mcp_main'],
      'the --mcp-command flag replaced the profile command',
    );

    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as { port: number }).port;
      const result = await doctor('good', runtime.runtimeKey, ['--health.listen-addr', `127.0.0.1:${port}`]);
      assert.equal(result.code, 2);
      assert.equal(result.status.ops_listen, 'fail');
      assert.match(result.check('ops_listen').reason, /EADDRINUSE/);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  },
);

test(
  'the enterprise proxy sample: doctor reaches an HTTPS MCP server through the proxy with the private CA',
  { timeout: 90_000 },
  async () => {
    const certs = makeCertificates();
    const proxy = await startProxy();
    const https = createHttpsServer(
      { cert: read(certs.serverCert), key: read(certs.serverKey) },
      (req, res) => {
        const server = createStubServer();
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: undefined,
          enableJsonResponse: true,
        });
        res.on('close', () => void transport.close().then(() => server.close()));
        void server.connect(transport).then(() => transport.handleRequest(req, res));
      },
    );
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    try {
      const port = (https.address() as AddressInfo).port;
      const added = await runCli([
        CLIENT_BIN,
        'profiles',
        'add',
        'corp',
        '--sample',
        'sample_mcp_enterprise_proxy',
        '--tunnel-id',
        runtime.tunnelId,
        '--mcp-server-url',
        `https://mcp.test:${port}/mcp`,
        '--base-url',
        service.url,
        '--profile-dir',
        dir,
      ]);
      assert.equal(added.code, 0, added.output);

      const env = { HTTPS_PROXY: proxy.url, ENTERPRISE_CA_BUNDLE: certs.caCert };
      const good = await doctor('corp', runtime.runtimeKey, [], env);
      assert.equal(good.code, 0, JSON.stringify(good.report, null, 2));
      assert.match(
        good.check('mcp_main').reason,
        /https:\/\/mcp\.test:\d+\/mcp answered initialize \(tunnel-client-mcp-stub/,
      );
      assert.ok(proxy.targets.includes(`CONNECT mcp.test:${port}`), proxy.targets.join(', '));
      // As Go's sample: the top-level proxy carries the tunnel service requests too.
      assert.ok(
        proxy.targets.some((t) => t.endsWith(` ${new URL(service.url).host}`)),
        proxy.targets.join(', '),
      );

      const noCa = await doctor('corp', runtime.runtimeKey, [], {
        HTTPS_PROXY: proxy.url,
        ENTERPRISE_CA_BUNDLE: '',
      });
      assert.equal(noCa.code, 2);
      assert.equal(noCa.status.config, 'fail');
      assert.match(noCa.check('config').reason, /ca_bundle .*ENTERPRISE_CA_BUNDLE, which is not set/);
    } finally {
      https.closeAllConnections();
      await new Promise((resolve) => https.close(resolve));
      await proxy.close();
      certs.cleanup();
    }
  },
);

test(
  "the Use probe is in the service's audit log as a check, not as a refused response",
  { timeout: 60_000 },
  async () => {
    // A runtime of its own, so its service account's entries are this test's alone.
    const probing = await createRuntime(service, { tunnelName: 'probed' });
    const name = 'probed';
    await addProfile(name, service.url, STUB, probing.tunnelId);
    const { code, status } = await doctor(name, probing.runtimeKey);
    assert.equal(code, 0);
    assert.equal(status.tunnel_use, 'pass');
    const me = await api<{ owner: { id: string } }>(service.url, probing.runtimeKey, 'GET', '/v1/me');
    const audit = await api<{ data: { action: string; outcome: string }[] }>(
      service.url,
      service.ownerKey,
      'GET',
      `/v1/audit?actor=${me.owner.id}`,
    );
    assert.deepEqual(
      audit.data.map((entry) => [entry.action, entry.outcome]),
      [['tunnel.use_check', 'allowed']],
    );
  },
);

test(
  "against the hosted service's contract, the Use probe is a valid response post and passes",
  { skip: contractSkip(), timeout: 60_000 },
  async () => {
    const fake = await new FakeHostedService({
      tunnelId: runtime.tunnelId,
      apiKey: runtime.runtimeKey,
      contract: loadContract()!,
    }).start();
    try {
      await addProfile('hosted', fake.url, STUB);
      const { status, check } = await doctor('hosted', runtime.runtimeKey);
      assert.equal(status.tunnel_use, 'pass', check('tunnel_use').reason);
      assert.match(check('tunnel_use').reason, /pending_request_not_found/);
      const probes = fake.requests.filter((request) => request.path.endsWith('/response'));
      assert.equal(probes.length, 1);
      assert.deepEqual(
        fake.violations.filter((violation) => violation.includes('/response')),
        [],
      );
    } finally {
      await fake.stop();
    }
  },
);
