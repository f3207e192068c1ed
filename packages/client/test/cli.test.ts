import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTRACT_MISSING_NOTICE, loadContract } from '../../../test/support/contract.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { startFakeService, TUNNEL_ID } from './support/fake-service.ts';
import { FIXTURE_COMMAND } from './support/mcp-servers.ts';

const BIN = fileURLToPath(new URL('../bin/tunnel-client.ts', import.meta.url));

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function runToEnd(args: string[], env: NodeJS.ProcessEnv = {}) {
  const proc = cli(args, env);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, output: proc.output() };
}

const EXPECTED_STDIO_PROFILE = `# tunnel-client profile "local-stdio" (sample_mcp_stdio_local); run it with: tunnel-client run --profile local-stdio
config_version: 1
control_plane:
  base_url: "https://api.openai.com"
  tunnel_id: "${TUNNEL_ID}"
  api_key: "env:CONTROL_PLANE_API_KEY"
health:
  listen_addr: "127.0.0.1:8080"
  # url_file: "/tmp/tunnel-client-health.url"   (use with listen_addr "127.0.0.1:0")
admin_ui:
  open_browser: false
log:
  level: info
  format: json
mcp:
  commands:
    - channel: main
      command: "node /path/to/server.js"
`;

test('--version prints the version', { timeout: 20_000 }, async () => {
  const { code, output } = await runToEnd(['--version']);
  assert.equal(code, 0);
  assert.match(output.trim(), /^\d+\.\d+\.\d+/);
});

test(
  'init writes the profile, prints the next steps and refuses to overwrite without --force',
  { timeout: 30_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-init-'));
    try {
      const args = [
        'init',
        '--sample',
        'sample_mcp_stdio_local',
        '--profile',
        'local-stdio',
        '--tunnel-id',
        TUNNEL_ID,
        '--mcp-command',
        'node /path/to/server.js',
        '--profile-dir',
        dir,
      ];
      const first = await runToEnd(args);
      assert.equal(first.code, 0, first.output);
      assert.equal(readFileSync(join(dir, 'local-stdio.yaml'), 'utf8'), EXPECTED_STDIO_PROFILE);
      assert.match(first.output, /export CONTROL_PLANE_API_KEY=/);
      assert.match(first.output, /tunnel-client run --profile local-stdio/);

      writeFileSync(join(dir, 'local-stdio.yaml'), 'edited: true\n');
      const again = await runToEnd(args);
      assert.notEqual(again.code, 0);
      assert.match(again.output, /already exists .*pass --force to overwrite it/);
      assert.equal(readFileSync(join(dir, 'local-stdio.yaml'), 'utf8'), 'edited: true\n');
      const forced = await runToEnd([...args, '--force']);
      assert.equal(forced.code, 0);
      assert.equal(readFileSync(join(dir, 'local-stdio.yaml'), 'utf8'), EXPECTED_STDIO_PROFILE);

      const remote = await runToEnd([
        'init',
        '--sample',
        'sample_mcp_remote_no_auth',
        '--profile',
        'remote',
        '--tunnel-id',
        TUNNEL_ID,
        '--mcp-server-url',
        'http://127.0.0.1:3000/mcp',
        '--base-url',
        'http://127.0.0.1:8000',
        '--profile-dir',
        dir,
      ]);
      assert.equal(remote.code, 0, remote.output);
      const text = readFileSync(join(dir, 'remote.yaml'), 'utf8');
      assert.match(text, /base_url: "http:\/\/127.0.0.1:8000"/);
      assert.match(
        text,
        /mcp:\n {2}server_urls:\n {4}- channel: main\n {6}url: "http:\/\/127.0.0.1:3000\/mcp"\n$/,
      );

      const bad = await runToEnd([
        'init',
        '--sample',
        'sample_mcp_stdio_local',
        '--profile',
        'x',
        '--tunnel-id',
        'tunnel_ABC',
        '--mcp-command',
        'node s.js',
        '--profile-dir',
        dir,
      ]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.output, /tunnel_ABC.*32 lowercase letters or digits/);
      assert.ok(!existsSync(join(dir, 'x.yaml')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'run refuses a malformed tunnel id at start-up, naming the expected shape',
  { timeout: 20_000 },
  async () => {
    const { code, output } = await runToEnd(['run', '--mcp-command', 'node server.js'], {
      CONTROL_PLANE_TUNNEL_ID: 'tunnel_123',
      CONTROL_PLANE_API_KEY: 'k',
    });
    assert.notEqual(code, 0);
    assert.match(output, /tunnel_123/);
    assert.match(output, /tunnel_ followed by 32 lowercase letters or digits/);
  },
);

test(
  'run refuses the API key on the command line and an unknown profile key',
  { timeout: 20_000 },
  async () => {
    const flag = await runToEnd([
      'run',
      '--control-plane.api-key',
      'sk-secret',
      '--control-plane.tunnel-id',
      TUNNEL_ID,
    ]);
    assert.notEqual(flag.code, 0);
    assert.match(flag.output, /never taken from the command line.*CONTROL_PLANE_API_KEY/);
    assert.ok(!flag.output.includes('sk-secret'));

    const dir = mkdtempSync(join(tmpdir(), 'tc-run-'));
    try {
      writeFileSync(join(dir, 'p.yaml'), `control_plane:\n  tunnel_id: "${TUNNEL_ID}"\n  api_kye: "env:X"\n`);
      const unknown = await runToEnd(['run', '--profile', 'p', '--profile-dir', dir], {
        CONTROL_PLANE_API_KEY: 'k',
      });
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.output, /unknown key "control_plane.api_kye"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

const contract = loadContract();
if (!contract) console.log(CONTRACT_MISSING_NOTICE);

test(
  'run --profile serves, logs the start line, and exits 0 on SIGTERM leaving no child behind',
  { skip: !contract, timeout: 40_000 },
  async () => {
    const service = await startFakeService(contract!, { apiKey: 'k' });
    const dir = mkdtempSync(join(tmpdir(), 'tc-run-'));
    const urlFile = join(dir, 'ops.url');
    const proc = cli(
      [
        'run',
        '--profile',
        'p',
        '--profile-dir',
        dir,
        '--health.listen-addr',
        '127.0.0.1:0',
        '--health.url-file',
        urlFile,
        '--log.format',
        'text',
      ],
      { CONTROL_PLANE_API_KEY: 'k' },
    );
    try {
      writeFileSync(
        join(dir, 'p.yaml'),
        `config_version: 1\ncontrol_plane:\n  base_url: "${service.url}"\n  tunnel_id: "${TUNNEL_ID}"\n  api_key: "env:CONTROL_PLANE_API_KEY"\nmcp:\n  commands:\n    - channel: main\n      command: ${JSON.stringify(FIXTURE_COMMAND)}\n`,
      );
    } catch (error) {
      proc.child.kill('SIGKILL');
      throw error;
    }
    try {
      await eventually(
        () => /🟢 tunnel-client started tunnel_id=tunnel_/.test(proc.output()),
        20_000,
        'the start line',
      );
      const opsUrl = readFileSync(urlFile, 'utf8').trim();
      await eventually(async () => (await fetch(`${opsUrl}/readyz`)).ok, 15_000, 'readiness');
      const id = service.enqueue({
        response_timeout: '10s',
        jsonrpc: {
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'add', arguments: { a: 5, b: 3 } },
        },
      });
      const answer = await service.terminal(id);
      assert.deepEqual(answer.payload.resp_json?.result, { content: [{ type: 'text', text: '5 + 3 = 8' }] });
      const childPid = Number(/test server (\d+) ready/.exec(proc.output())?.[1]);
      assert.ok(childPid > 0, 'the child logged its pid through stderr');
      assert.ok(!proc.output().includes('=k ') && !/authorization/i.test(proc.output()));

      proc.child.kill('SIGTERM');
      assert.equal(await proc.exited, 0, proc.output());
      assert.throws(() => process.kill(childPid, 0), /ESRCH/, 'the MCP server process is gone');
    } finally {
      proc.child.kill('SIGKILL');
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
