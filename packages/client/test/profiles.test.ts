// `tunnel-client profiles ...` and `tunnel-client help TOPIC` as subprocesses: exit status, output and the
// files they leave behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { CLIENT_BIN, runCli } from '../../../test/support/processes.ts';
import { invocation, serviceInvocation } from '../src/cli/invocation.ts';
import { readProfile } from '../src/config/profiles.ts';
import { resolveConfig, validateProfile } from '../src/config/schema.ts';
import { TUNNEL_ID } from './support/fake-service.ts';

const EDITOR = `"${process.execPath}" "${fileURLToPath(new URL('./fixtures/editor.ts', import.meta.url))}"`;
const SAMPLES = ['sample_mcp_stdio_local', 'sample_mcp_remote_no_auth', 'sample_mcp_enterprise_proxy'];
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli([CLIENT_BIN, ...args], env);

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-profiles-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  "samples list names Go's four samples; show prints YAML the schema accepts, needs and caveats",
  {
    timeout: 60_000,
  },
  async () => {
    const list = await cli(['profiles', 'samples', 'list']);
    assert.equal(list.code, 0, list.output);
    for (const sample of SAMPLES) assert.match(list.output, new RegExp(`^${sample} `, 'm'));

    const shownAll = await Promise.all(SAMPLES.map((sample) => cli(['profiles', 'samples', 'show', sample])));
    for (const [i, sample] of SAMPLES.entries()) {
      const shown = shownAll[i]!;
      assert.equal(shown.code, 0, shown.output);
      assert.match(shown.output, /^Needs:\n {2}- CONTROL_PLANE_API_KEY/m);
      assert.match(shown.output, /^Caveats:\n {2}- /m);
      const yaml = shown.output.split(/^--- profile .*---$/m)[1]!;
      const data = parse(yaml) as Record<string, unknown>;
      assert.equal(data.config_version, 1);
      validateProfile(data, `${sample} as shown`, {});
    }
    const enterprise = shownAll[SAMPLES.indexOf('sample_mcp_enterprise_proxy')]!;
    // As Go's sample: the proxy and the CA are top-level, for every outbound connection.
    assert.match(enterprise.output, /^http_proxy: "env:HTTPS_PROXY"$/m);
    assert.match(enterprise.output, /^ca_bundle: "env:ENTERPRISE_CA_BUNDLE"$/m);
    assert.match(enterprise.output, /NO_PROXY is not consulted/);

    const unknown = await cli(['profiles', 'samples', 'show', 'sample_nope']);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.output,
      /unknown sample "sample_nope": choose one of sample_mcp_with_dcr, sample_mcp_stdio_local/,
    );
  },
);

test(
  'add writes each sample validated, the enterprise sample resolves its env: references, list shows them',
  { timeout: 60_000 },
  withDir(async (dir) => {
    const common = ['--tunnel-id', TUNNEL_ID, '--base-url', 'http://127.0.0.1:8787', '--profile-dir', dir];
    const adds: Record<string, string[]> = {
      stdio: [
        '--sample',
        'sample_mcp_stdio_local',
        '--mcp-command',
        'tunnel-client dev mcp-stub --transport stdio',
      ],
      remote: ['--sample', 'sample_mcp_remote_no_auth', '--mcp-server-url', 'http://127.0.0.1:3000/mcp'],
      corp: ['--sample', 'sample_mcp_enterprise_proxy', '--mcp-server-url', 'https://mcp.corp.test/mcp'],
    };
    for (const [name, args] of Object.entries(adds)) {
      const added = await cli(['profiles', 'add', name, ...args, ...common]);
      assert.equal(added.code, 0, added.output);
      assert.match(added.output, new RegExp(`tunnel-client doctor --profile ${name}`));
    }
    assert.match(
      (
        await cli([
          'profiles',
          'add',
          'x',
          '--sample',
          'sample_mcp_enterprise_proxy',
          '--tunnel-id',
          TUNNEL_ID,
          '--mcp-server-url',
          'https://a/mcp',
          '--profile-dir',
          dir,
        ])
      ).output,
      /needs HTTPS_PROXY/,
    );

    const caFile = join(dir, 'corp-ca.pem');
    writeFileSync(caFile, PEM);
    const config = resolveConfig({
      file: readProfile(join(dir, 'corp.yaml')),
      env: {
        CONTROL_PLANE_API_KEY: 'k',
        HTTPS_PROXY: 'http://proxy.corp.test:3128',
        ENTERPRISE_CA_BUNDLE: caFile,
      },
    });
    assert.equal(config.mcp.outbound.httpProxy, 'http://proxy.corp.test:3128');
    assert.equal(config.mcp.outbound.caBundle, caFile);
    assert.equal(
      config.controlPlane.outbound.httpProxy,
      'http://proxy.corp.test:3128',
      'the proxy is for every outbound connection',
    );
    assert.equal(config.mcp.serverUrls[0]!.url, 'https://mcp.corp.test/mcp');
    assert.throws(
      () => resolveConfig({ file: readProfile(join(dir, 'corp.yaml')), env: { CONTROL_PLANE_API_KEY: 'k' } }),
      /ENTERPRISE_CA_BUNDLE, which is not set/,
    );

    const list = await cli(['profiles', 'list', '--profile-dir', dir]);
    assert.equal(list.code, 0, list.output);
    assert.match(list.output, /^NAME +TUNNEL +BASE URL +PATH$/m);
    for (const name of ['corp', 'remote', 'stdio', 'x'])
      assert.match(list.output, new RegExp(`^${name} +${TUNNEL_ID} +`, 'm'));
    const json = JSON.parse((await cli(['profiles', 'list', '--profile-dir', dir, '--json'])).output) as {
      name: string;
    }[];
    assert.deepEqual(
      json.map((p) => p.name),
      ['corp', 'remote', 'stdio', 'x'],
    );
  }),
);

test(
  'add refuses to overwrite without --force, and refuses an invalid --from-file without writing',
  { timeout: 60_000 },
  withDir(async (dir) => {
    const source = join(dir, 'source.yaml');
    writeFileSync(
      source,
      `config_version: 1\ncontrol_plane:\n  tunnel_id: "${TUNNEL_ID}"\n  api_key: "env:MY_KEY"\nmcp:\n  commands:\n    - command: "node server.js"\n`,
    );
    const profiles = join(dir, 'profiles');
    const first = await cli(['profiles', 'add', 'copy', '--from-file', source, '--profile-dir', profiles]);
    assert.equal(first.code, 0, first.output);
    assert.equal(readFileSync(join(profiles, 'copy.yaml'), 'utf8'), readFileSync(source, 'utf8'));

    const again = await cli(['profiles', 'add', 'copy', '--from-file', source, '--profile-dir', profiles]);
    assert.equal(again.code, 1);
    assert.match(again.output, /already exists .*pass --force to overwrite it/);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `control_plane:\n  tunnel_id: "${TUNNEL_ID}"\n  polltimeout: 5s\n`);
    const refused = await cli(['profiles', 'add', 'bad', '--from-file', bad, '--profile-dir', profiles]);
    assert.equal(refused.code, 1);
    assert.match(refused.output, /unknown key "control_plane.polltimeout" in .*bad\.yaml/);
    assert.ok(!existsSync(join(profiles, 'bad.yaml')));

    const forcedBad = await cli([
      'profiles',
      'add',
      'copy',
      '--from-file',
      bad,
      '--profile-dir',
      profiles,
      '--force',
    ]);
    assert.equal(forcedBad.code, 1, 'even --force does not save an invalid profile');
    assert.equal(readFileSync(join(profiles, 'copy.yaml'), 'utf8'), readFileSync(source, 'utf8'));

    const both = await cli(['profiles', 'add', 'y', '--profile-dir', profiles]);
    assert.equal(both.code, 1);
    assert.match(both.output, /exactly one of --sample NAME or --from-file PATH/);
  }),
);

test(
  'edit saves a valid edit, keeps the old file on an invalid one and says where the edit is',
  { timeout: 60_000 },
  withDir(async (dir) => {
    const added = await cli([
      'profiles',
      'add',
      'p',
      '--sample',
      'sample_mcp_stdio_local',
      '--tunnel-id',
      TUNNEL_ID,
      '--mcp-command',
      'node server.js',
      '--profile-dir',
      dir,
    ]);
    assert.equal(added.code, 0, added.output);
    const path = join(dir, 'p.yaml');
    const original = readFileSync(path, 'utf8');

    const invalid = await cli(['profiles', 'edit', 'p', '--profile-dir', dir], {
      EDITOR,
      VISUAL: '',
      TEST_EDIT: 'invalid',
    });
    assert.equal(invalid.code, 1, invalid.output);
    assert.match(invalid.output, /unknown key "log.levle"/);
    assert.equal(readFileSync(path, 'utf8'), original);
    const kept = /your edit is kept in (\S+):/.exec(invalid.output)?.[1];
    assert.ok(kept && readFileSync(kept, 'utf8').includes('levle: debug'), invalid.output);
    rmSync(join(kept, '..'), { recursive: true, force: true });

    const unchanged = await cli(['profiles', 'edit', 'p', '--profile-dir', dir], {
      EDITOR,
      VISUAL: '',
      TEST_EDIT: 'none',
    });
    assert.equal(unchanged.code, 0);
    assert.match(unchanged.output, /No change/);

    const failed = await cli(['profiles', 'edit', 'p', '--profile-dir', dir], {
      EDITOR,
      VISUAL: '',
      TEST_EDIT: 'fail',
    });
    assert.equal(failed.code, 1);
    assert.match(failed.output, /the editor .* failed \(exit status 1\); .* is unchanged/);

    const valid = await cli(['profiles', 'edit', 'p', '--profile-dir', dir], {
      VISUAL: EDITOR,
      EDITOR: 'false',
      TEST_EDIT: 'valid',
    });
    assert.equal(valid.code, 0, valid.output);
    assert.match(valid.output, /Saved .*p\.yaml/);
    assert.equal(readFileSync(path, 'utf8'), original.replace('level: info', 'level: debug'));
    assert.deepEqual(readdirSync(dir), ['p.yaml']);

    const noEditor = await cli(['profiles', 'edit', 'p', '--profile-dir', dir], { EDITOR: '', VISUAL: '' });
    assert.equal(noEditor.code, 1);
    assert.match(noEditor.output, /set VISUAL or EDITOR/);
  }),
);

test(
  'help prints each guide, covering both services; an unknown topic lists the topics',
  {
    timeout: 60_000,
  },
  async () => {
    const topics = ['quickstart', 'samples', 'doctor', 'troubleshooting'];
    const guides = await Promise.all(topics.map((topic) => cli(['help', topic])));
    for (const [i, result] of guides.entries()) {
      assert.equal(result.code, 0, result.output);
      assert.ok(result.output.length > 500, `${topics[i]} has content`);
    }
    const quickstart = guides[0]!.output;
    // The commands are written as this machine types them (`npx tunnel-client` unless PATH finds it).
    const typed = invocation();
    assert.ok(quickstart.includes(`${serviceInvocation(typed)} start`), quickstart);
    assert.match(quickstart, /Owner API key/);
    assert.match(quickstart, /https:\/\/api\.openai\.com/);
    assert.ok(quickstart.includes(`${typed} admin tunnels create`), quickstart);

    const [unknown, command, health, top] = await Promise.all([
      cli(['help', 'nope']),
      cli(['help', 'doctor']),
      cli(['help', 'health']),
      cli(['--help']),
    ]);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.output,
      /unknown help topic "nope": the topics are quickstart, samples, doctor, troubleshooting/,
    );

    assert.match(
      command.output,
      /^Doctor: check a profile/m,
      'a guide wins over the command of the same name',
    );
    assert.match(health.output, /Usage: tunnel-client health/);

    for (const name of ['init', 'run', 'doctor', 'profiles', 'health', 'admin', 'dev', 'help'])
      assert.match(top.output, new RegExp(`^ {2}${name}\\b`, 'm'));
  },
);
