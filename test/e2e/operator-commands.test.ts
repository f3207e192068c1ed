// The operator commands as the README's walkthrough runs them: `tunnel-service roles|service-accounts|
// api-keys|tunnels create` against the real service, each printing on stdout exactly what the next step
// takes, then the real tunnel-client and the README's SDK call using those values as they are.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, runCli, runCliStreams, SERVICE_BIN } from '../support/processes.ts';
import { startService, type Service } from '../support/service-process.ts';
import { startClient, waitReady } from '../support/client-process.ts';

const CALL_SCRIPT = fileURLToPath(new URL('../../examples/calculator/src/call.ts', import.meta.url));

let service: Service;

before(async () => {
  service = await startService();
});

after(() => service?.stop());

/** `tunnel-service ARGS` acting on the test's service, with the owner key in $TUNNEL_SERVICE_API_KEY. */
const operator = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCliStreams([SERVICE_BIN, ...args], {
    TUNNEL_SERVICE_URL: service.url,
    TUNNEL_SERVICE_API_KEY: service.ownerKey,
    ...env,
  });

/** Runs a command that must succeed and returns its one line of stdout. */
async function value(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ value: string; said: string }> {
  const run = await operator(args, env);
  assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
  assert.match(run.stdout, /^\S+\n$/, `${args.join(' ')} prints one value on stdout`);
  return { value: run.stdout.trim(), said: run.stderr };
}

describe('tunnel-service operator commands', { timeout: 120_000 }, () => {
  test('the walkthrough by commands: each prints what the next step takes, and the tunnel answers', async () => {
    const role = await value(['roles', 'create', 'tunnel runtime', '--permission', 'tunnel.read,tunnel.use']);
    assert.match(role.value, /^role_\w+$/);
    assert.match(role.said, /Role "tunnel runtime" \(role_\w+\) created with Tunnels Read, Tunnels Use\./);

    const runtimeKey = await value(['service-accounts', 'create', 'laptop', '--role', role.value]);
    assert.match(runtimeKey.value, /^mcpt_/);
    assert.match(runtimeKey.said, /shown this once: store it now/);
    assert.ok(!runtimeKey.said.includes(runtimeKey.value), 'the secret is on stdout only');

    const tunnel = await value(['tunnels', 'create', 'calculator']);
    assert.match(tunnel.value, /^tunnel_[0-9a-f]{32}$/);
    const connectorUrl = `${service.url}/v1/mcp/${tunnel.value}`;
    assert.ok(tunnel.said.includes(connectorUrl), tunnel.said);

    // The caller's key: one that may only call tunnels, its reference read from another variable.
    const caller = await value(
      ['api-keys', 'create', 'caller', '--permission', 'tunnel.use', '--api-key', 'env:OWNER'],
      {
        TUNNEL_SERVICE_API_KEY: undefined,
        OWNER: service.ownerKey,
      },
    );
    assert.match(caller.said, /restricted to Tunnels Use/);

    const client = await startClient(service, { tunnelId: tunnel.value, runtimeKey: runtimeKey.value });
    try {
      await waitReady(client.opsUrl);
      const call = await runCli([CALL_SCRIPT, connectorUrl], { TUNNEL_KEY: caller.value });
      assert.equal(call.code, 0, call.output);
      assert.match(call.output, /^add\(5, 3\): 5 \+ 3 = 8$/m);
    } finally {
      await client.stop();
    }

    // The lists say the same in words; the key comes from the owner key file this time.
    const keyFile = ['--api-key', `file:${join(service.dataDir, 'owner-key.txt')}`];
    const lists = await Promise.all(
      ['roles', 'service-accounts', 'api-keys', 'tunnels'].map((what) =>
        operator([what, 'list', ...keyFile], { TUNNEL_SERVICE_API_KEY: undefined }),
      ),
    );
    for (const list of lists) assert.equal(list.code, 0, list.stderr);
    const [roles, accounts, keys, tunnels] = lists.map((list) => list.stdout.split('\n'));
    assert.ok(
      roles!.some((line) => /^role_\w+ +tunnel runtime +Tunnels Read, Tunnels Use$/.test(line)),
      roles!.join('\n'),
    );
    assert.ok(
      accounts!.some((line) => /^sa_\w+ +laptop +tunnel runtime +\d{4}-/.test(line)),
      accounts!.join('\n'),
    );
    // The service account's key may do what its role grants, and it has been used by now.
    assert.ok(
      keys!.some((line) =>
        /^key_\w+ +laptop key +mcpt_\S+ +laptop +Tunnels Read, Tunnels Use +\d{4}-/.test(line),
      ),
      keys!.join('\n'),
    );
    assert.ok(
      tunnels!.some((line) => line.startsWith(`${tunnel.value}  calculator`)),
      tunnels!.join('\n'),
    );
  });

  test("--json prints the service's answer, secret included, for scripts", async () => {
    const role = await operator([
      'roles',
      'create',
      'json runtime',
      '--permission',
      'tunnel.read',
      '--permission',
      'tunnel.use',
      '--json',
    ]);
    assert.equal(role.code, 0, role.stderr);
    assert.equal(role.stderr, '');
    const record = JSON.parse(role.stdout) as { id: string; permissions: string[] };
    assert.deepEqual(record.permissions, ['tunnel.read', 'tunnel.use']);

    const account = await operator(['service-accounts', 'create', 'json bot', '--role', record.id, '--json']);
    assert.equal(account.code, 0, account.stderr);
    const created = JSON.parse(account.stdout) as { id: string; api_key: { secret: string } };
    assert.match(created.api_key.secret, /^mcpt_/);

    const listed = await operator(['service-accounts', 'list', '--json']);
    const accounts = JSON.parse(listed.stdout) as { data: { id: string; kind: string }[] };
    assert.ok(accounts.data.some((a) => a.id === created.id));
    assert.ok(
      accounts.data.every((a) => a.kind === 'service_account'),
      'people are not listed',
    );
  });

  test('refusals say what is wrong, print nothing on stdout, and exit 2 for usage, 1 for the service', async () => {
    const literal = 'mcpt_this_is_a_literal_key_on_the_command_line';
    await value(['roles', 'create', 'taken', '--permission', 'tunnel.read']);
    const cases: [string, string[], NodeJS.ProcessEnv, number, RegExp][] = [
      ['a key on the command line', ['tunnels', 'list', '--api-key', literal], {}, 2, /never the key itself/],
      [
        'no key at all',
        ['tunnels', 'list'],
        { TUNNEL_SERVICE_API_KEY: undefined },
        2,
        /No API key: export TUNNEL_SERVICE_API_KEY=/,
      ],
      [
        'an unset variable',
        ['tunnels', 'list', '--api-key', 'env:NOT_SET_ANYWHERE'],
        {},
        2,
        /NOT_SET_ANYWHERE is not set/,
      ],
      [
        'a missing key file',
        ['tunnels', 'list', '--api-key', 'file:/nonexistent/key'],
        {},
        2,
        /cannot read \/nonexistent\/key \(ENOENT\)/,
      ],
      [
        'an unknown permission',
        ['roles', 'create', 'typo', '--permission', 'tunnel.reed'],
        {},
        2,
        /Unknown permission tunnel\.reed; the permissions are tunnel\.read/,
      ],
      [
        'a URL that is not one',
        ['tunnels', 'list', '--url', 'localhost:8787'],
        {},
        2,
        /is not a service URL like http:\/\/127\.0\.0\.1:8787/,
      ],
      [
        'a taken role name',
        ['roles', 'create', 'taken', '--permission', 'tunnel.read'],
        {},
        1,
        /answered 409 role_name_taken: A role named "taken" already exists/,
      ],
      [
        'an unknown role',
        ['service-accounts', 'create', 'x', '--role', 'role_nope'],
        {},
        1,
        /answered 400 invalid_request: Unknown role id role_nope/,
      ],
      [
        'an unknown key',
        ['tunnels', 'list'],
        { TUNNEL_SERVICE_API_KEY: 'mcpt_unknown' },
        1,
        /answered 401 invalid_api_key/,
      ],
    ];
    for (const [why, args, env, code, message] of cases) {
      const run = await operator(args, env);
      assert.equal(run.code, code, `${why}: ${run.stderr}`);
      assert.match(run.stderr, message, why);
      assert.equal(run.stdout, '', why);
      assert.ok(!run.stderr.includes(literal), `${why}: the key is not repeated`);
    }

    const down = await operator(['tunnels', 'list', '--url', `http://127.0.0.1:${await freePort()}`]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /unreachable \(ECONNREFUSED\): is it running \(tunnel-service start\)/);
  });
});
