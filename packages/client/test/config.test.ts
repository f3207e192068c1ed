import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, findProfile, readProfile, resolveConfig } from '../src/index.ts';
import { TUNNEL_ID } from './support/fake-service.ts';

const OTHER_ID = 'tunnel_ffffffffffffffffffffffffffffffff';
const profile = (extra: Record<string, unknown> = {}) => ({
  config_version: 1,
  control_plane: {
    base_url: 'https://tunnels.example',
    tunnel_id: TUNNEL_ID,
    api_key: 'env:CONTROL_PLANE_API_KEY',
  },
  mcp: { commands: [{ channel: 'main', command: 'node server.js' }] },
  ...extra,
});

test('defaults fill what the profile leaves out', () => {
  const config = resolveConfig({ file: { data: profile() }, env: { CONTROL_PLANE_API_KEY: 'k1' } });
  assert.equal(config.controlPlane.apiKey, 'k1');
  assert.equal(config.controlPlane.maxQueuedRequests, 20);
  assert.equal(config.controlPlane.pollTimeoutMs, 30_000);
  assert.equal(config.mcp.maxConcurrentRequests, 10);
  assert.equal(config.health.listenAddr, '127.0.0.1:8080');
  assert.deepEqual(config.log, { level: 'info', format: 'json', file: undefined });
  assert.equal(config.controlPlane.pollDeadlineGuardrailMs, 5000);
  assert.equal(config.mcp.connectionMaxTtlMs, 600_000);
  // Go's meaning: no wait before the first poll unless asked; a request still waits 10s for its server.
  assert.equal(config.mcp.startupWaitMs, 0);
  assert.equal(config.mcp.serverWaitMs, 10_000);
  assert.equal(config.controlPlane.pollChannels, undefined);
  assert.deepEqual(config.warnings, []);
  assert.deepEqual(config.mcp.commands, [
    { channel: 'main', command: 'node server.js', sessionMode: 'shared' },
  ]);
  assert.equal(config.mcp.sessionIdleTimeoutMs, 600_000);
  assert.equal(config.mcp.maxSessionProcesses, 20);
  assert.deepEqual(config.secretEnvNames, ['CONTROL_PLANE_API_KEY']);
});

test('tracing comes from the OpenTelemetry variables; their headers are secrets, a bad value a ConfigError', () => {
  const env = { CONTROL_PLANE_API_KEY: 'k1' };
  assert.equal(resolveConfig({ file: { data: profile() }, env }).tracing, undefined);
  const traced = resolveConfig({
    file: { data: profile() },
    env: {
      ...env,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t0ken',
    },
  });
  assert.equal(traced.tracing?.url, 'http://collector:4318/v1/traces');
  assert.deepEqual(traced.secretEnvNames, ['CONTROL_PLANE_API_KEY', 'OTEL_EXPORTER_OTLP_HEADERS']);
  assert.throws(
    () =>
      resolveConfig({
        file: { data: profile() },
        env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_SAMPLER: 'often' },
      }),
    (error: unknown) => error instanceof ConfigError && /OTEL_TRACES_SAMPLER=often/.test(error.message),
  );
});

test('flags beat environment beat profile', () => {
  const file = { data: profile({ log: { level: 'warn', format: 'text' } }) };
  const env = { CONTROL_PLANE_API_KEY: 'k', LOG_LEVEL: 'debug', CONTROL_PLANE_TUNNEL_ID: OTHER_ID };
  const fromEnv = resolveConfig({ file, env });
  assert.equal(fromEnv.log.level, 'debug');
  assert.equal(fromEnv.log.format, 'text');
  assert.equal(fromEnv.controlPlane.tunnelId, OTHER_ID);
  const fromFlags = resolveConfig({
    file,
    env,
    flags: { 'log.level': 'error', 'control_plane.tunnel_id': TUNNEL_ID },
  });
  assert.equal(fromFlags.log.level, 'error');
  assert.equal(fromFlags.controlPlane.tunnelId, TUNNEL_ID);
});

test('runs from flags and environment alone', () => {
  const config = resolveConfig({
    env: {
      CONTROL_PLANE_API_KEY: 'k',
      CONTROL_PLANE_TUNNEL_ID: TUNNEL_ID,
      CONTROL_PLANE_BASE_URL: 'http://127.0.0.1:9/',
      MCP_SERVER_URL: 'http://127.0.0.1:3000/mcp',
    },
    flags: { 'mcp.commands': ['channel=tools,command=node tools.js'] },
  });
  assert.equal(config.controlPlane.baseUrl, 'http://127.0.0.1:9');
  assert.deepEqual(config.mcp.commands, [
    { channel: 'tools', command: 'node tools.js', sessionMode: 'shared' },
  ]);
  assert.deepEqual(config.mcp.serverUrls, [{ channel: 'main', url: 'http://127.0.0.1:3000/mcp' }]);
});

test('session_mode per_session comes from a profile entry or the entry string, with its limits', () => {
  const env = { CONTROL_PLANE_API_KEY: 'k' };
  const fromProfile = resolveConfig({
    file: {
      data: profile({
        mcp: {
          commands: [{ command: 'node a.js', session_mode: 'per_session' }],
          session_idle_timeout: '90s',
          max_session_processes: 5,
        },
      }),
    },
    env,
  });
  assert.deepEqual(fromProfile.mcp.commands, [
    { channel: 'main', command: 'node a.js', sessionMode: 'per_session' },
  ]);
  assert.equal(fromProfile.mcp.sessionIdleTimeoutMs, 90_000);
  assert.equal(fromProfile.mcp.maxSessionProcesses, 5);
  const fromFlag = resolveConfig({
    file: { data: profile() },
    env,
    flags: { 'mcp.commands': ['channel=main,command=node a.js --x=1,y,session-mode=per_session'] },
  });
  assert.deepEqual(fromFlag.mcp.commands, [
    { channel: 'main', command: 'node a.js --x=1,y', sessionMode: 'per_session' },
  ]);
});

test('secret references: env: and file:; a literal key in the profile is accepted with a warning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-config-'));
  try {
    writeFileSync(join(dir, 'key'), 'from-file\n');
    const viaFile = profile({ control_plane: { tunnel_id: TUNNEL_ID, api_key: `file:${join(dir, 'key')}` } });
    assert.equal(resolveConfig({ file: { data: viaFile }, env: {} }).controlPlane.apiKey, 'from-file');
    const viaEnv = profile({ control_plane: { tunnel_id: TUNNEL_ID, api_key: 'env:MY_KEY' } });
    const config = resolveConfig({ file: { data: viaEnv }, env: { MY_KEY: 'from-env' } });
    assert.equal(config.controlPlane.apiKey, 'from-env');
    assert.deepEqual(config.secretEnvNames, ['MY_KEY']);
    assert.throws(() => resolveConfig({ file: { data: viaEnv }, env: {} }), /MY_KEY, which is not set/);
    const literal = profile({ control_plane: { tunnel_id: TUNNEL_ID, api_key: 'sk-live-123' } });
    const accepted = resolveConfig({ file: { data: literal, path: '/p/x.yaml' }, env: {} });
    assert.equal(accepted.controlPlane.apiKey, 'sk-live-123');
    assert.equal(accepted.warnings.length, 1);
    assert.match(
      accepted.warnings[0]!,
      /control_plane.api_key in \/p\/x.yaml holds the key itself.*env:CONTROL_PLANE_API_KEY/,
    );
    assert.ok(!accepted.warnings[0]!.includes('sk-live-123'), 'the warning does not echo the key');
    assert.throws(
      () => resolveConfig({ file: { data: profile({ control_plane: { tunnel_id: TUNNEL_ID } }) }, env: {} }),
      /no API key: export CONTROL_PLANE_API_KEY/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('errors name the key and the fix', () => {
  const env = { CONTROL_PLANE_API_KEY: 'k' };
  const cases: [Record<string, unknown>, RegExp][] = [
    [profile({ extra_thing: true }), /unknown key "extra_thing".*remove it/],
    [profile({ log: { levle: 'info' } }), /unknown key "log.levle".*known: log.level, log.format/],
    [profile({ log: { level: 'loud' } }), /log.level in .*expected one of trace, debug, info/],
    [profile({ mcp: { max_concurrent_requests: 0 } }), /mcp.max_concurrent_requests.*whole number from 1/],
    [profile({ health: { listen_addr: 'localhost' } }), /health.listen_addr.*host:port/],
    [profile({ config_version: 2 }), /config_version .* is 2; this client reads 1/],
    [
      profile({ mcp: { commands: [{ channel: 'main', command: 'a' }, { command: 'b' }] } }),
      /two MCP servers .* channel "main"/,
    ],
    [
      profile({ mcp: { commands: [{ channel: 'Main!', command: 'a' }] } }),
      /channel "Main!" must be lowercase/,
    ],
    [
      profile({ control_plane: { tunnel_id: 'tunnel_123', api_key: 'env:X' } }),
      /tunnel_123.*32 lowercase letters or digits/,
    ],
    [
      { mcp: {} },
      /control_plane.tunnel_id is required: pass --control-plane.tunnel-id, set CONTROL_PLANE_TUNNEL_ID/,
    ],
  ];
  for (const [data, pattern] of cases)
    assert.throws(
      () => resolveConfig({ file: { data, path: '/p/x.yaml' }, env }),
      pattern,
      JSON.stringify(data),
    );
  assert.throws(
    () => resolveConfig({ env: { ...env, CONTROL_PLANE_TUNNEL_ID: 'TUNNEL_X' } }),
    /^ConfigError: CONTROL_PLANE_TUNNEL_ID: tunnel id "TUNNEL_X" is malformed/,
  );
});

test('profiles are found in --profile-dir, TUNNEL_CLIENT_PROFILE_DIR, ~/tunnel-client, then XDG', () => {
  const home = mkdtempSync(join(tmpdir(), 'tc-home-'));
  try {
    const xdg = join(home, 'xdg');
    mkdirSync(join(xdg, 'tunnel-client'), { recursive: true });
    writeFileSync(join(xdg, 'tunnel-client', 'a.yaml'), 'config_version: 1\n');
    const env = { HOME: home, XDG_CONFIG_HOME: xdg };
    assert.equal(findProfile('a', undefined, env), join(xdg, 'tunnel-client', 'a.yaml'));
    mkdirSync(join(home, 'tunnel-client'));
    writeFileSync(join(home, 'tunnel-client', 'a.yaml'), 'config_version: 1\n');
    assert.equal(findProfile('a', undefined, env), join(home, 'tunnel-client', 'a.yaml'));
    assert.throws(
      () => findProfile('a', join(home, 'elsewhere'), env),
      /profile "a" not found .*tunnel-client init/,
    );
    assert.throws(() => findProfile('../a', undefined, env), /not valid: use letters/);
    writeFileSync(join(home, 'bad.yaml'), 'a: [');
    assert.throws(() => readProfile(join(home, 'bad.yaml')), /is not valid YAML/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('the Go options in all three forms: profile, environment, flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tc-opts-'));
  try {
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dir, 'token'), 'from-file\n');
    const fromProfile = resolveConfig({
      env: { CONTROL_PLANE_API_KEY: 'k', GW: 'from-env' },
      file: {
        data: profile({
          ca_bundle: pem,
          http_proxy: 'http://proxy.internal:3128',
          control_plane: {
            tunnel_id: TUNNEL_ID,
            url_path: '/gateway/',
            poll_timeout: '20s',
            poll_deadline_guardrail: '2s',
            poll_channels: ['tools', 'main'],
            max_inflight_requests: 50,
            extra_headers: { 'X-Gateway': 'env:GW', 'X-Static': 'plain' },
          },
          log: { file: join(dir, 'client.log') },
          process: { pid_file: join(dir, 'client.pid') },
          mcp: {
            commands: [{ command: 'node a.js' }],
            server_urls: [
              { channel: 'docs', url: 'https://docs.internal/mcp', http_proxy: 'http://other:8080' },
            ],
            extra_headers: { Authorization: `file:${join(dir, 'token')}` },
            connection_max_ttl: '1m',
            startup_wait_timeout: '3s',
          },
        }),
      },
    });
    const cp = fromProfile.controlPlane;
    assert.equal(cp.urlPath, '/gateway');
    assert.equal(cp.pollTimeoutMs, 20_000);
    assert.equal(cp.pollDeadlineGuardrailMs, 2000);
    assert.deepEqual(cp.pollChannels, ['main', 'tools']);
    assert.equal(cp.maxQueuedRequests, 50);
    assert.deepEqual(cp.extraHeaders, { 'X-Gateway': 'from-env', 'X-Static': 'plain' });
    assert.equal(cp.outbound.httpProxy, 'http://proxy.internal:3128');
    assert.equal(cp.outbound.caBundle, pem);
    assert.ok(fromProfile.secretEnvNames.includes('GW'));
    assert.equal(fromProfile.log.file, join(dir, 'client.log'));
    assert.equal(fromProfile.process.pidFile, join(dir, 'client.pid'));
    assert.deepEqual(fromProfile.mcp.extraHeaders, { Authorization: 'from-file' });
    assert.equal(fromProfile.mcp.connectionMaxTtlMs, 60_000);
    assert.equal(fromProfile.mcp.startupWaitMs, 3000);
    assert.deepEqual(fromProfile.mcp.serverUrls, [
      { channel: 'docs', url: 'https://docs.internal/mcp', httpProxy: 'http://other:8080' },
    ]);

    const fromEnv = resolveConfig({
      env: {
        CONTROL_PLANE_API_KEY: 'k',
        CONTROL_PLANE_TUNNEL_ID: TUNNEL_ID,
        CONTROL_PLANE_URL_PATH: 'gw',
        CONTROL_PLANE_POLL_CHANNELS: 'b,a',
        CONTROL_PLANE_EXTRA_HEADERS: 'X-A: 1;X-B: 2',
        CONTROL_PLANE_POLL_DEADLINE_GUARDRAIL: '750ms',
        MCP_SERVER_URL: 'channel=main,url=http://127.0.0.1:9/mcp,http-proxy=http://p:1',
        MCP_EXTRA_HEADERS: 'X-Key: v',
        MCP_CONNECTION_MAX_TTL: '5s',
        LOG_FILE: '/tmp/x.log',
        PID_FILE: '/tmp/x.pid',
        HTTPS_PROXY: 'http://corp:3128',
        no_proxy: '.internal',
      },
    });
    assert.equal(fromEnv.controlPlane.urlPath, '/gw');
    assert.deepEqual(fromEnv.controlPlane.pollChannels, ['a', 'b']);
    assert.deepEqual(fromEnv.controlPlane.extraHeaders, { 'X-A': '1', 'X-B': '2' });
    assert.equal(fromEnv.controlPlane.pollDeadlineGuardrailMs, 750);
    assert.deepEqual(fromEnv.mcp.serverUrls, [
      { channel: 'main', url: 'http://127.0.0.1:9/mcp', httpProxy: 'http://p:1' },
    ]);
    assert.deepEqual(fromEnv.mcp.extraHeaders, { 'X-Key': 'v' });
    assert.equal(fromEnv.mcp.connectionMaxTtlMs, 5000);
    assert.deepEqual(fromEnv.mcp.outbound.proxyEnv, {
      httpProxy: '',
      httpsProxy: 'http://corp:3128',
      noProxy: '.internal',
    });
    assert.equal(fromEnv.log.file, '/tmp/x.log');
    assert.equal(fromEnv.process.pidFile, '/tmp/x.pid');

    const fromFlags = resolveConfig({
      env: { CONTROL_PLANE_API_KEY: 'k', CONTROL_PLANE_TUNNEL_ID: TUNNEL_ID, CONTROL_PLANE_URL_PATH: 'env' },
      flags: {
        'control_plane.url_path': '/flag',
        'control_plane.poll_channels': ['main'],
        'control_plane.extra_headers': ['X-A: 1', 'X-B: 2'],
        'mcp.commands': ['node a.js'],
        'mcp.http_proxy': 'http://mcp-proxy:1',
        'mcp.extra_headers': ['X-M: m'],
      },
    });
    assert.equal(fromFlags.controlPlane.urlPath, '/flag');
    assert.deepEqual(fromFlags.controlPlane.pollChannels, ['main']);
    assert.deepEqual(fromFlags.controlPlane.extraHeaders, { 'X-A': '1', 'X-B': '2' });
    assert.equal(fromFlags.mcp.outbound.httpProxy, 'http://mcp-proxy:1');
    assert.equal(fromFlags.controlPlane.outbound.httpProxy, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad values of the new options name the key and the fix', () => {
  const env = { CONTROL_PLANE_API_KEY: 'k' };
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      profile({ ca_bundle: '/no/such.pem' }),
      /ca_bundle in \/p\/x.yaml: the CA bundle \/no\/such.pem cannot be read \(ENOENT\)/,
    ],
    [profile({ http_proxy: 'socks5://x:1' }), /http_proxy .*http:\/\/ or https:\/\//],
    [
      profile({ control_plane: { tunnel_id: TUNNEL_ID, client_cert: '/x.crt' } }),
      /control_plane.client_cert.*set control_plane.client_key as well/,
    ],
    [
      profile({ control_plane: { tunnel_id: TUNNEL_ID, poll_deadline_guardrail: '2h' } }),
      /poll_deadline_guardrail.*from 1ms to 1m/,
    ],
    [
      profile({ control_plane: { tunnel_id: TUNNEL_ID, poll_channels: ['Bad!'] } }),
      /poll_channels.*channel "Bad!" must be/,
    ],
    [
      profile({ control_plane: { tunnel_id: TUNNEL_ID, extra_headers: { 'Bad Name': 'x' } } }),
      /"Bad Name" is not a valid header name/,
    ],
    [
      profile({ mcp: { commands: [{ command: 'a' }], extra_headers: { 'X-A': 'env:NOPE' } } }),
      /header X-A\) refers to the environment variable NOPE, which is not set/,
    ],
    [
      profile({ mcp: { commands: [{ command: 'a' }], connection_max_ttl: 'forever' } }),
      /mcp.connection_max_ttl.*duration/,
    ],
    [
      profile({ mcp: { server_urls: [{ url: 'http://a/mcp', proxy: 'x' }] } }),
      /unknown key "proxy" in an entry.*http_proxy/,
    ],
    [profile({ process: { pidfile: 'x' } }), /unknown key "process.pidfile".*process.pid_file/],
    [
      profile({ mcp: { commands: [{ command: 'a', session_mode: 'per_call' }] } }),
      /mcp.commands.*\(channel main\) session_mode: expected one of shared, per_session, got "per_call"/,
    ],
    [
      profile({ mcp: { commands: [{ command: 'a' }], max_session_processes: 0 } }),
      /mcp.max_session_processes/,
    ],
  ];
  for (const [data, pattern] of cases)
    assert.throws(
      () => resolveConfig({ file: { data, path: '/p/x.yaml' }, env }),
      (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
      JSON.stringify(data),
    );
});

test('--config, --profile, --profile-file and their TUNNEL_CLIENT_* forms are mutually exclusive', async () => {
  const { chooseConfigFile } = await import('../src/cli/run.ts');
  assert.throws(
    () => chooseConfigFile({ profile: 'a', config: '/x.yaml' }, {}),
    /--profile and --config cannot be used together/,
  );
  assert.throws(
    () => chooseConfigFile({}, { TUNNEL_CLIENT_PROFILE_FILE: '/a.yaml', TUNNEL_CLIENT_CONFIG: '/b.yaml' }),
    /TUNNEL_CLIENT_PROFILE_FILE and TUNNEL_CLIENT_CONFIG cannot be used together/,
  );
  assert.equal(
    chooseConfigFile({ config: '/flag.yaml' }, { TUNNEL_CLIENT_CONFIG: '/env.yaml' }),
    '/flag.yaml',
  );
  assert.equal(chooseConfigFile({}, { TUNNEL_CLIENT_CONFIG: '/env.yaml' }), '/env.yaml');
});
