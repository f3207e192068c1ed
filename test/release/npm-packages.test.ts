// The npm packages as a user installs them: the tarballs from `npm run release` installed globally into
// an empty prefix, their commands run from a directory with no source tree; and a new project that
// installs the client tarball with the MCP SDK and serves a tool through serveOverTunnel.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime } from '../support/management-api.ts';
import {
  NODE_DIR,
  ROOT,
  callThroughTunnel,
  releaseFile,
  runCommand,
  startCommand,
  startServiceCommand,
  tempDir,
  walkthrough,
  type RunningService,
} from './support.ts';

const tarballs = () => readdirSync(releaseFile('npm')).map((name) => join(releaseFile('npm'), name));
const tarball = (name: string) => tarballs().find((file) => file.includes(`mcp-tunnel-${name}-`))!;

// npm runs on the project's Node 24 with the caller's own npm settings (registry, cache, certificates).
const npmEnv = (prefix: string) => ({
  ...process.env,
  PATH: `${join(prefix, 'bin')}:${NODE_DIR}:/usr/bin:/bin`,
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
});

let prefix: string;

before(async () => {
  prefix = tempDir('release-prefix');
  const install = await runCommand(
    'npm',
    ['install', '-g', '--prefix', prefix, ...tarballs()],
    npmEnv(prefix),
    prefix,
    240_000,
  );
  assert.equal(install.code, 0, install.output);
});

after(() => rmSync(prefix, { recursive: true, force: true }));

test('the three tarballs carry built JavaScript, declarations and a publish manifest', async () => {
  assert.deepEqual(
    tarballs()
      .map((file) => file.replace(/.*\//, ''))
      .sort(),
    ['mcp-tunnel-client-0.1.0.tgz', 'mcp-tunnel-protocol-0.1.0.tgz', 'mcp-tunnel-service-0.1.0.tgz'],
  );
  const client = JSON.parse(
    (
      await runCommand(
        'tar',
        ['-xzOf', tarball('client'), 'package/package.json'],
        { PATH: '/usr/bin:/bin' },
        ROOT,
      )
    ).output,
  );
  assert.equal(client.private, undefined);
  assert.deepEqual(client.bin, { 'tunnel-client': './bin/tunnel-client.js' });
  assert.deepEqual(client.exports['.'], { types: './src/index.d.ts', default: './src/index.js' });
  assert.equal(client.dependencies['@mcp-tunnel/protocol'], '0.1.0');
  assert.equal(client.devDependencies, undefined);
  const listing = (await runCommand('tar', ['-tzf', tarball('service')], { PATH: '/usr/bin:/bin' }, ROOT))
    .output;
  assert.match(listing, /package\/bin\/tunnel-service\.js/);
  assert.match(listing, /package\/src\/index\.d\.ts/);
  assert.match(listing, /package\/console\/dist\/index\.html/);
  assert.match(listing, /package\/src\/\S*\/0001_initial\.sql/, 'the SQL migrations');
  assert.doesNotMatch(listing, /(?<!\.d)\.ts$|\/test\//m, 'no TypeScript sources or tests');
});

test(
  'the installed tunnel-service and tunnel-client run the seed walkthrough',
  { timeout: 120_000 },
  async () => {
    await walkthrough({
      service: () => [join(prefix, 'bin', 'tunnel-service')],
      client: () => [join(prefix, 'bin', 'tunnel-client')],
      env: { PATH: `${join(prefix, 'bin')}:${NODE_DIR}` },
    });
  },
);

/** The installed package's manifest. */
const installed = (name: string) =>
  JSON.parse(readFileSync(join(prefix, 'lib', 'node_modules', '@mcp-tunnel', name, 'package.json'), 'utf8'));

/** The release of Node.js a package's engines field names as its floor (">=22.19.0"), installed by npm. */
async function oldestNode(name: string, dir: string): Promise<string> {
  const floor = installed(name).engines.node as string;
  const version = /^>=(\d+(?:\.\d+){0,2})$/.exec(floor)?.[1];
  assert.ok(version, `engines.node ${floor} of ${name} is a plain lower bound`);
  const exact = [...version.split('.'), '0', '0'].slice(0, 3).join('.');
  const folder = join(dir, exact);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'oldest-node', private: true }));
  const install = await runCommand('npm', ['install', `node@${exact}`], npmEnv(prefix), folder, 240_000);
  assert.equal(install.code, 0, install.output);
  const bin = join(folder, 'node_modules', 'node', 'bin');
  assert.equal(
    (await runCommand(join(bin, 'node'), ['--version'], { PATH: bin }, folder)).output,
    `v${exact}`,
  );
  return bin;
}

test('each package runs on the oldest Node.js its engines field allows', { timeout: 300_000 }, async () => {
  const dir = tempDir('release-oldest-node');
  try {
    const protocolNode = await oldestNode('protocol', dir);
    const check = await runCommand(
      join(protocolNode, 'node'),
      [
        '--input-type=module',
        '-e',
        "const p = await import('@mcp-tunnel/protocol'); console.log(p.isTunnelId('tunnel_0123456789abcdef0123456789abcdef'))",
      ],
      { PATH: protocolNode },
      join(prefix, 'lib', 'node_modules', '@mcp-tunnel', 'client'),
    );
    assert.deepEqual(check, { code: 0, output: 'true' });

    assert.equal(installed('client').engines.node, installed('service').engines.node);
    const programsNode = await oldestNode('client', dir);
    await walkthrough({
      service: () => [join(prefix, 'bin', 'tunnel-service')],
      client: () => [join(prefix, 'bin', 'tunnel-client')],
      env: { PATH: `${join(prefix, 'bin')}:${programsNode}` },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'a project that installs the client tarball serves an SDK tool through serveOverTunnel',
  { timeout: 180_000 },
  async () => {
    const project = tempDir('release-embedding');
    const sdk = JSON.parse(
      (
        await runCommand(
          join(NODE_DIR, 'node'),
          ['-p', 'JSON.stringify(require("./package.json").devDependencies)'],
          { PATH: NODE_DIR },
          ROOT,
        )
      ).output,
    )['@modelcontextprotocol/sdk'];
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'embedding-check', private: true, type: 'module' }),
    );
    const install = await runCommand(
      'npm',
      ['install', tarball('protocol'), tarball('client'), `@modelcontextprotocol/sdk@${sdk}`, 'zod@4'],
      npmEnv(prefix),
      project,
      240_000,
    );
    assert.equal(install.code, 0, install.output);
    writeFileSync(
      join(project, 'server.js'),
      `import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { serveOverTunnel } from '@mcp-tunnel/client';

const server = new McpServer({ name: 'embedding-check', version: '1.0.0' });
server.registerTool('shout', { inputSchema: { text: z.string() } }, async ({ text }) => ({
  content: [{ type: 'text', text: text.toUpperCase() }],
}));
const tunnel = await serveOverTunnel(server, {
  tunnelId: process.env.TUNNEL_ID,
  apiKey: process.env.RUNTIME_KEY,
  baseUrl: process.env.SERVICE_URL,
  settings: { log: { level: 'warn' } },
});
await tunnel.started;
console.log('serving', tunnel.status.tunnelId);
process.once('SIGTERM', () => void tunnel.close().then(() => process.exit(0)));
`,
    );
    let service: RunningService | undefined;
    const env = { PATH: `${join(prefix, 'bin')}:${NODE_DIR}`, HOME: project };
    try {
      service = await startServiceCommand([join(prefix, 'bin', 'tunnel-service')], env, project);
      const runtime = await createRuntime(service);
      const embedded = startCommand(
        join(NODE_DIR, 'node'),
        ['server.js'],
        { ...env, TUNNEL_ID: runtime.tunnelId, RUNTIME_KEY: runtime.runtimeKey, SERVICE_URL: service.url },
        project,
      );
      try {
        await embedded.waitFor(/serving tunnel_/);
        assert.deepEqual(await callThroughTunnel(service, runtime, 'shout', { text: 'over the tunnel' }), [
          { type: 'text', text: 'OVER THE TUNNEL' },
        ]);
      } finally {
        await embedded.stop();
      }
      assert.equal(embedded.child.exitCode, 0, embedded.output());
    } finally {
      await service?.proc.stop();
      rmSync(project, { recursive: true, force: true });
    }
  },
);
