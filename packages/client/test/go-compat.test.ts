// OpenAI's Go tunnel-client's surface, written from its documentation (docs/configuration.md, health.md,
// troubleshooting.md, deployment/*.md, samples), one row per flag, alias, variable, profile key, sample,
// exit code, ops route and output format, each exercised against this client. docs/go-compatibility.md
// lists every row; the last test checks it does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse, stringify } from 'yaml';
import { contractSkip } from '../../../test/support/contract.ts';
import { waitReady } from '../../../test/support/client-process.ts';
import { eventually } from '../../../test/support/eventually.ts';
import type { FakeHostedService } from '../../../test/support/fake-hosted-service.ts';
import { CLIENT_BIN, freePort, runCli, startProcess, type Proc } from '../../../test/support/processes.ts';
import { runArguments } from '../src/cli/main.ts';
import { findProfile } from '../src/config/profiles.ts';
import { resolveConfig, type ClientConfig } from '../src/config/schema.ts';
import { createLogger } from '../src/observability/logger.ts';
import { defineConfig, startTunnelClient, type TunnelClientHandle } from '../src/index.ts';
import { makeCertificates, type Certificates } from './support/certificates.ts';
import { API_KEY, startFake } from './support/fake-service.ts';
import { FIXTURE_COMMAND } from './support/mcp-servers.ts';
import { connectSdk } from '../../../test/support/mcp-callers.ts';
import { startProxy } from './support/proxy.ts';

const TUNNEL_ID = 'tunnel_0123456789abcdef0123456789abcdef';
const DIR = mkdtempSync(join(tmpdir(), 'tc-go-'));
const PEM = join(DIR, 'ca.pem');
writeFileSync(PEM, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const KEY_FILE = join(DIR, 'key');
writeFileSync(KEY_FILE, 'key-from-file\n');
process.on('exit', () => rmSync(DIR, { recursive: true, force: true }));

/** What every configuration row starts from: a key, a tunnel and a main server, nothing else. */
const BASE_ENV = { CONTROL_PLANE_API_KEY: 'k', CONTROL_PLANE_TUNNEL_ID: TUNNEL_ID, MCP_COMMAND: 'node s.js' };

interface ConfigRow {
  kind: 'flag' | 'alias' | 'env' | 'key';
  /** Go's name: `--flag`, `VARIABLE` or `profile.key`. */
  name: string;
  /** What this client does with it, as docs/go-compatibility.md says. */
  ours: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Profile sections, merged over a profile holding only config_version. */
  profile?: Record<string, unknown>;
  read: (config: ClientConfig) => unknown;
  want: unknown;
}

/** A Go setting this client accepts and reports once as ignored, with the reason. */
interface IgnoredRow {
  kind: 'ignored';
  name: string;
  ours: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  profile?: Record<string, unknown>;
}

const cp = (c: ClientConfig) => c.controlPlane;
const main = { commands: [{ channel: 'main', command: 'node s.js' }] };

const CONFIG_ROWS: (ConfigRow | IgnoredRow)[] = [
  // Flags: Go's main names.
  {
    kind: 'flag',
    name: '--control-plane.base-url',
    ours: 'same',
    args: ['--control-plane.base-url', 'https://gw.example'],
    read: (c) => cp(c).baseUrl,
    want: 'https://gw.example',
  },
  {
    kind: 'flag',
    name: '--control-plane.url-path',
    ours: 'same',
    args: ['--control-plane.url-path', '/ws/dev'],
    read: (c) => cp(c).urlPath,
    want: '/ws/dev',
  },
  {
    kind: 'flag',
    name: '--control-plane.tunnel-id',
    ours: "same; Go's shape tunnel_[a-z0-9]{32}",
    args: ['--control-plane.tunnel-id', 'tunnel_abcdefghijklmnopqrstuvwxyz012345'],
    read: (c) => cp(c).tunnelId,
    want: 'tunnel_abcdefghijklmnopqrstuvwxyz012345',
  },
  {
    kind: 'flag',
    name: '--control-plane.api-key',
    ours: 'env:NAME or file:/path only; a literal key is refused',
    args: [`--control-plane.api-key=file:${KEY_FILE}`],
    read: (c) => cp(c).apiKey,
    want: 'key-from-file',
  },
  {
    kind: 'flag',
    name: '--control-plane.client-cert',
    ours: 'same, with --control-plane.client-key; path, file: or env:',
    args: ['--control-plane.client-cert', `file:${PEM}`, '--control-plane.client-key', PEM],
    read: (c) => [cp(c).outbound.clientCert, cp(c).outbound.clientKey],
    want: [PEM, PEM],
  },
  {
    kind: 'flag',
    name: '--control-plane.http-proxy',
    ours: 'same; URL or env:NAME',
    args: ['--control-plane.http-proxy', 'env:CP_PROXY'],
    env: { CP_PROXY: 'http://cp-proxy:3128' },
    read: (c) => cp(c).outbound.httpProxy,
    want: 'http://cp-proxy:3128',
  },
  {
    kind: 'flag',
    name: '--control-plane.max-inflight',
    ours: 'same (our --control-plane.max-inflight-requests is an alias)',
    args: ['--control-plane.max-inflight', '55'],
    read: (c) => cp(c).maxQueuedRequests,
    want: 55,
  },
  {
    kind: 'flag',
    name: '--control-plane.poll-timeout',
    ours: 'same',
    args: ['--control-plane.poll-timeout', '20000ms'],
    read: (c) => cp(c).pollTimeoutMs,
    want: 20_000,
  },
  {
    kind: 'flag',
    name: '--control-plane.poll-deadline-guardrail',
    ours: 'same',
    args: ['--control-plane.poll-deadline-guardrail', '500ms'],
    read: (c) => cp(c).pollDeadlineGuardrailMs,
    want: 500,
  },
  {
    kind: 'flag',
    name: '--control-plane.poll-channel',
    ours: 'same, repeatable (our --control-plane.poll-channels is an alias)',
    args: ['--control-plane.poll-channel', 'tools', '--control-plane.poll-channel=main'],
    env: { MCP_COMMAND: 'node s.js' },
    read: (c) => cp(c).pollChannels,
    want: ['main', 'tools'],
  },
  {
    kind: 'flag',
    name: '--control-plane.extra-headers',
    ours: 'same, repeatable; values env:/file:',
    args: ['--control-plane.extra-headers', 'X-A: 1', '--control-plane.extra-headers', 'X-B: env:HB'],
    env: { HB: 'b' },
    read: (c) => cp(c).extraHeaders,
    want: { 'X-A': '1', 'X-B': 'b' },
  },
  {
    kind: 'flag',
    name: '--ca-bundle',
    ours: 'same',
    args: ['--ca-bundle', PEM],
    read: (c) => cp(c).outbound.caBundle,
    want: PEM,
  },
  {
    kind: 'flag',
    name: '--http-proxy',
    ours: 'same; URL or env:NAME',
    args: ['--http-proxy', 'http://proxy:8080'],
    read: (c) => c.mcp.outbound.httpProxy,
    want: 'http://proxy:8080',
  },
  {
    kind: 'flag',
    name: '--log.level',
    ours: 'same (also trace and error)',
    args: ['--log.level=debug'],
    read: (c) => c.log.level,
    want: 'debug',
  },
  {
    kind: 'flag',
    name: '--log.format',
    ours: 'json, struct-text, and our text',
    args: ['--log.format=struct-text'],
    read: (c) => c.log.format,
    want: 'struct-text',
  },
  {
    kind: 'flag',
    name: '--log.file',
    ours: 'same',
    args: ['--log.file', '/tmp/tc.ndjson'],
    read: (c) => c.log.file,
    want: '/tmp/tc.ndjson',
  },
  {
    kind: 'flag',
    name: '--health.listen-addr',
    ours: 'same',
    args: ['--health.listen-addr', '127.0.0.1:0'],
    read: (c) => c.health.listenAddr,
    want: '127.0.0.1:0',
  },
  {
    kind: 'flag',
    name: '--health.unix-socket',
    ours: 'same: the ops server listens on the socket, no TCP port',
    args: ['--health.unix-socket', '/run/tc/health.sock'],
    read: (c) => c.health.unixSocket,
    want: '/run/tc/health.sock',
  },
  {
    kind: 'flag',
    name: '--health.url-file',
    ours: 'same',
    args: ['--health.url-file', '/tmp/tc.url'],
    read: (c) => c.health.urlFile,
    want: '/tmp/tc.url',
  },
  {
    kind: 'flag',
    name: '--allow-remote-ui',
    ours: 'same',
    args: ['--allow-remote-ui'],
    read: (c) => c.adminUi.allowRemote,
    want: true,
  },
  {
    kind: 'flag',
    name: '--open-web-ui',
    ours: 'same (our --admin-ui.open-browser is an alias)',
    args: ['--open-web-ui'],
    read: (c) => c.adminUi.openBrowser,
    want: true,
  },
  {
    kind: 'flag',
    name: '--admin-ui.log-buffer-events',
    ours: 'same: lines the /ui console keeps',
    args: ['--admin-ui.log-buffer-events', '500'],
    read: (c) => c.adminUi.logBufferEvents,
    want: 500,
  },
  {
    kind: 'flag',
    name: '--pid.file',
    ours: 'same (our --process.pid-file is an alias)',
    args: ['--pid.file', '/tmp/tc.pid'],
    read: (c) => c.process.pidFile,
    want: '/tmp/tc.pid',
  },
  {
    kind: 'flag',
    name: '--mcp.server-url',
    ours: 'same, repeatable, channel=...,url=...,unix-socket=...,http-proxy=...,client-cert=...,client-key=...',
    args: [
      '--mcp.server-url',
      'https://mcp.example/mcp',
      '--mcp.server-url',
      'channel=docs,url=http://docs/mcp,unix-socket=/run/docs.sock',
    ],
    env: { MCP_COMMAND: '' },
    read: (c) => c.mcp.serverUrls,
    want: [
      { channel: 'main', url: 'https://mcp.example/mcp' },
      { channel: 'docs', url: 'http://docs/mcp', unixSocket: '/run/docs.sock' },
    ],
  },
  {
    kind: 'flag',
    name: '--mcp.command',
    ours: 'same, repeatable, channel=...,command=...',
    args: ['--mcp.command', 'python -m srv --stdio', '--mcp.command=channel=tools,command=npx -y tools'],
    read: (c) => c.mcp.commands.map((e) => [e.channel, e.command]),
    want: [
      ['main', 'python -m srv --stdio'],
      ['tools', 'npx -y tools'],
    ],
  },
  {
    kind: 'flag',
    name: '--mcp.http-proxy',
    ours: 'same',
    args: ['--mcp.http-proxy', 'http://mcp-proxy:1'],
    read: (c) => c.mcp.outbound.httpProxy,
    want: 'http://mcp-proxy:1',
  },
  {
    kind: 'flag',
    name: '--mcp.client-cert',
    ours: 'same, with --mcp.client-key',
    args: ['--mcp.client-cert', PEM, '--mcp.client-key', PEM],
    read: (c) => c.mcp.outbound.clientCert,
    want: PEM,
  },
  {
    kind: 'flag',
    name: '--mcp.extra-headers',
    ours: 'same',
    args: ['--mcp.extra-headers', 'X-M: m'],
    read: (c) => c.mcp.extraHeaders,
    want: { 'X-M': 'm' },
  },
  {
    kind: 'flag',
    name: '--mcp.discovery-extra-headers',
    ours: "headers on the client's readiness probe of an HTTP server",
    args: ['--mcp.discovery-extra-headers', 'X-D: d'],
    read: (c) => c.mcp.discoveryExtraHeaders,
    want: { 'X-D': 'd' },
  },
  {
    kind: 'flag',
    name: '--mcp.connection-max-ttl',
    ours: 'same',
    args: ['--mcp.connection-max-ttl', '1m'],
    read: (c) => c.mcp.connectionMaxTtlMs,
    want: 60_000,
  },
  {
    kind: 'flag',
    name: '--mcp.max-concurrent-requests',
    ours: 'same',
    args: ['--mcp.max-concurrent-requests', '4'],
    read: (c) => c.mcp.maxConcurrentRequests,
    want: 4,
  },
  {
    kind: 'flag',
    name: '--mcp.startup-wait-timeout',
    ours: "Go's meaning: wait before the first poll for the main HTTP server, default 0s (ours is --mcp.server-wait-timeout)",
    args: ['--mcp.startup-wait-timeout', '60s'],
    read: (c) => [c.mcp.startupWaitMs, c.mcp.serverWaitMs],
    want: [60_000, 10_000],
  },
  {
    kind: 'flag',
    name: '--harpoon.capture-payloads',
    ours: 'keeps redacted MCP call bodies for the /ui console (admin_ui.capture_payloads)',
    args: ['--harpoon.capture-payloads'],
    read: (c) => c.adminUi.capturePayloads,
    want: true,
  },

  // Go's hidden aliases.
  ...(
    [
      [
        '--control-plane-base-url',
        'https://alias.example',
        (c: ClientConfig) => cp(c).baseUrl,
        'https://alias.example',
      ],
      ['--control-plane-url-path', '/alias', (c: ClientConfig) => cp(c).urlPath, '/alias'],
      [
        '--control-plane-tunnel-id',
        'tunnel_ffffffffffffffffffffffffffffffff',
        (c: ClientConfig) => cp(c).tunnelId,
        'tunnel_ffffffffffffffffffffffffffffffff',
      ],
      ['--control-plane-api-key', 'env:ALT_KEY', (c: ClientConfig) => cp(c).apiKey, 'alt'],
      ['--control-plane-client-cert', PEM, (c: ClientConfig) => cp(c).outbound.clientCert, PEM],
      ['--control-plane-client-key', PEM, (c: ClientConfig) => cp(c).outbound.clientKey, PEM],
      [
        '--mcp-server-url',
        'http://127.0.0.1:1/mcp',
        (c: ClientConfig) => c.mcp.serverUrls[0]?.url,
        'http://127.0.0.1:1/mcp',
      ],
      ['--mcp-command', 'node other.js', (c: ClientConfig) => c.mcp.commands[0]?.command, 'node other.js'],
      ['--mcp-extra-headers', 'X-E: e', (c: ClientConfig) => c.mcp.extraHeaders, { 'X-E': 'e' }],
      [
        '--mcp-discovery-extra-headers',
        'X-D: d',
        (c: ClientConfig) => c.mcp.discoveryExtraHeaders,
        { 'X-D': 'd' },
      ],
      ['--health-listen-addr', '127.0.0.1:9999', (c: ClientConfig) => c.health.listenAddr, '127.0.0.1:9999'],
      ['--health-unix-socket', '/run/h.sock', (c: ClientConfig) => c.health.unixSocket, '/run/h.sock'],
      ['--health-url-file', '/tmp/h.url', (c: ClientConfig) => c.health.urlFile, '/tmp/h.url'],
    ] as const
  ).map(([name, value, read, want]): ConfigRow => ({
    kind: 'alias',
    name,
    ours: 'accepted, hidden from --help',
    args: [name, value],
    env: {
      ALT_KEY: 'alt',
      ...(name === '--mcp-server-url' ? { MCP_COMMAND: '' } : {}),
      // A certificate needs its key: the other half of the pair comes from the environment.
      ...(name.includes('client-') ? { CONTROL_PLANE_CLIENT_CERT: PEM, CONTROL_PLANE_CLIENT_KEY: PEM } : {}),
    },
    read,
    want,
  })),

  // Environment variables.
  {
    kind: 'env',
    name: 'CONTROL_PLANE_API_KEY',
    ours: 'same; preferred over the profile and OPENAI_API_KEY',
    env: { CONTROL_PLANE_API_KEY: 'cp-key' },
    read: (c) => cp(c).apiKey,
    want: 'cp-key',
  },
  {
    kind: 'env',
    name: 'OPENAI_API_KEY',
    ours: 'the fallback runtime key, used only when CONTROL_PLANE_API_KEY and the profile give none',
    env: { CONTROL_PLANE_API_KEY: '', OPENAI_API_KEY: 'openai-key' },
    read: (c) => [cp(c).apiKey, c.secretEnvNames.includes('OPENAI_API_KEY')],
    want: ['openai-key', true],
  },
  {
    kind: 'env',
    name: 'CONTROL_PLANE_BASE_URL',
    ours: 'same',
    env: { CONTROL_PLANE_BASE_URL: 'https://env.example' },
    read: (c) => cp(c).baseUrl,
    want: 'https://env.example',
  },
  {
    kind: 'env',
    name: 'CONTROL_PLANE_URL_PATH',
    ours: 'same',
    env: { CONTROL_PLANE_URL_PATH: 'ws' },
    read: (c) => cp(c).urlPath,
    want: '/ws',
  },
  {
    kind: 'env',
    name: 'CONTROL_PLANE_TUNNEL_ID',
    ours: 'same',
    env: { CONTROL_PLANE_TUNNEL_ID: 'tunnel_ffffffffffffffffffffffffffffffff' },
    read: (c) => cp(c).tunnelId,
    want: 'tunnel_ffffffffffffffffffffffffffffffff',
  },
  {
    kind: 'env',
    name: 'CONTROL_PLANE_ORGANIZATION_ID',
    ours: 'sent as OpenAI-Organization on tunnel service requests',
    env: { CONTROL_PLANE_ORGANIZATION_ID: 'org-123' },
    read: (c) => cp(c).organizationId,
    want: 'org-123',
  },
  {
    kind: 'env',
    name: 'CONTROL_PLANE_CLIENT_CERT',
    ours: 'same, with CONTROL_PLANE_CLIENT_KEY',
    env: { CONTROL_PLANE_CLIENT_CERT: PEM, CONTROL_PLANE_CLIENT_KEY: PEM },
    read: (c) => cp(c).outbound.clientKey,
    want: PEM,
  },
  {
    kind: 'env',
    name: 'CONTROL_PLANE_HTTP_PROXY',
    ours: 'same',
    env: { CONTROL_PLANE_HTTP_PROXY: 'http://cp:1' },
    read: (c) => cp(c).outbound.httpProxy,
    want: 'http://cp:1',
  },
  {
    kind: 'env',
    name: 'CONTROL_PLANE_MAX_INFLIGHT_REQUESTS',
    ours: 'same',
    env: { CONTROL_PLANE_MAX_INFLIGHT_REQUESTS: '7' },
    read: (c) => cp(c).maxQueuedRequests,
    want: 7,
  },
  {
    kind: 'env',
    name: 'CONTROL_PLANE_POLL_TIMEOUT',
    ours: 'same',
    env: { CONTROL_PLANE_POLL_TIMEOUT: '30000ms' },
    read: (c) => cp(c).pollTimeoutMs,
    want: 30_000,
  },
  {
    kind: 'env',
    name: 'CONTROL_PLANE_POLL_DEADLINE_GUARDRAIL',
    ours: 'same',
    env: { CONTROL_PLANE_POLL_DEADLINE_GUARDRAIL: '5000ms' },
    read: (c) => cp(c).pollDeadlineGuardrailMs,
    want: 5000,
  },
  {
    kind: 'env',
    name: 'CONTROL_PLANE_POLL_CHANNELS',
    ours: 'same',
    env: { CONTROL_PLANE_POLL_CHANNELS: 'main,harpoon' },
    read: (c) => cp(c).pollChannels,
    want: ['harpoon', 'main'],
  },
  {
    kind: 'env',
    name: 'CONTROL_PLANE_EXTRA_HEADERS',
    ours: 'same; entries separated by ", " (Go) or ";"',
    env: { CONTROL_PLANE_EXTRA_HEADERS: 'Key: Value, Key2: Value2' },
    read: (c) => cp(c).extraHeaders,
    want: { Key: 'Value', Key2: 'Value2' },
  },
  {
    kind: 'env',
    name: 'CA_BUNDLE',
    ours: 'same',
    env: { CA_BUNDLE: PEM },
    read: (c) => c.mcp.outbound.caBundle,
    want: PEM,
  },
  {
    kind: 'env',
    name: 'TUNNEL_CLIENT_HTTP_PROXY',
    ours: 'same',
    env: { TUNNEL_CLIENT_HTTP_PROXY: 'http://all:1' },
    read: (c) => cp(c).outbound.httpProxy,
    want: 'http://all:1',
  },
  {
    kind: 'env',
    name: 'HTTPS_PROXY',
    ours: 'same, with HTTP_PROXY and NO_PROXY',
    env: { HTTPS_PROXY: 'http://corp:3128', NO_PROXY: '.internal' },
    read: (c) => c.mcp.outbound.proxyEnv,
    want: { httpProxy: '', httpsProxy: 'http://corp:3128', noProxy: '.internal' },
  },
  {
    kind: 'env',
    name: 'LOG_LEVEL',
    ours: 'same',
    env: { LOG_LEVEL: 'warn' },
    read: (c) => c.log.level,
    want: 'warn',
  },
  {
    kind: 'env',
    name: 'LOG_FORMAT',
    ours: 'same',
    env: { LOG_FORMAT: 'struct-text' },
    read: (c) => c.log.format,
    want: 'struct-text',
  },
  {
    kind: 'env',
    name: 'LOG_FILE',
    ours: 'same',
    env: { LOG_FILE: '/tmp/x.log' },
    read: (c) => c.log.file,
    want: '/tmp/x.log',
  },
  {
    kind: 'env',
    name: 'HEALTH_LISTEN_ADDR',
    ours: 'same',
    env: { HEALTH_LISTEN_ADDR: ':8080' },
    read: (c) => c.health.listenAddr,
    want: ':8080',
  },
  {
    kind: 'env',
    name: 'HEALTH_UNIX_SOCKET',
    ours: 'same',
    env: { HEALTH_UNIX_SOCKET: '/run/tc.sock' },
    read: (c) => c.health.unixSocket,
    want: '/run/tc.sock',
  },
  {
    kind: 'env',
    name: 'HEALTH_URL_FILE',
    ours: 'same',
    env: { HEALTH_URL_FILE: '/tmp/u' },
    read: (c) => c.health.urlFile,
    want: '/tmp/u',
  },
  {
    kind: 'env',
    name: 'ALLOW_REMOTE_UI',
    ours: 'same (our ADMIN_UI_ALLOW_REMOTE is an alias)',
    env: { ALLOW_REMOTE_UI: 'true' },
    read: (c) => c.adminUi.allowRemote,
    want: true,
  },
  {
    kind: 'env',
    name: 'OPEN_WEB_UI',
    ours: 'same',
    env: { OPEN_WEB_UI: 'true' },
    read: (c) => c.adminUi.openBrowser,
    want: true,
  },
  {
    kind: 'env',
    name: 'ADMIN_UI_LOG_BUFFER_EVENTS',
    ours: 'same',
    env: { ADMIN_UI_LOG_BUFFER_EVENTS: '100000' },
    read: (c) => c.adminUi.logBufferEvents,
    want: 100_000,
  },
  {
    kind: 'env',
    name: 'HARPOON_CAPTURE_PAYLOADS',
    ours: 'keeps redacted MCP call bodies for the /ui console',
    env: { HARPOON_CAPTURE_PAYLOADS: 'true' },
    read: (c) => c.adminUi.capturePayloads,
    want: true,
  },
  {
    kind: 'env',
    name: 'PID_FILE',
    ours: 'same',
    env: { PID_FILE: '/tmp/p' },
    read: (c) => c.process.pidFile,
    want: '/tmp/p',
  },
  {
    kind: 'env',
    name: 'MCP_SERVER_URL',
    ours: 'same; newline-separated entries',
    env: { MCP_COMMAND: '', MCP_SERVER_URL: 'https://a/mcp\nchannel=b,url=https://b/mcp' },
    read: (c) => c.mcp.serverUrls.map((e) => e.channel),
    want: ['main', 'b'],
  },
  {
    kind: 'env',
    name: 'MCP_COMMAND',
    ours: 'same; newline-separated entries keep their semicolons',
    env: { MCP_COMMAND: 'sh -c "a; b"' },
    read: (c) => c.mcp.commands[0]?.command,
    want: 'sh -c "a; b"',
  },
  {
    kind: 'env',
    name: 'MCP_HTTP_PROXY',
    ours: 'same',
    env: { MCP_HTTP_PROXY: 'http://m:1' },
    read: (c) => c.mcp.outbound.httpProxy,
    want: 'http://m:1',
  },
  {
    kind: 'env',
    name: 'MCP_CLIENT_CERT',
    ours: 'same, with MCP_CLIENT_KEY',
    env: { MCP_CLIENT_CERT: PEM, MCP_CLIENT_KEY: PEM },
    read: (c) => c.mcp.outbound.clientKey,
    want: PEM,
  },
  {
    kind: 'env',
    name: 'MCP_EXTRA_HEADERS',
    ours: 'same',
    env: { MCP_EXTRA_HEADERS: 'Key: Value, Key2: Value2' },
    read: (c) => c.mcp.extraHeaders,
    want: { Key: 'Value', Key2: 'Value2' },
  },
  {
    kind: 'env',
    name: 'MCP_DISCOVERY_EXTRA_HEADERS',
    ours: "headers on the client's readiness probe of an HTTP server",
    env: { MCP_DISCOVERY_EXTRA_HEADERS: 'X-D: env:DV', DV: 'secret' },
    read: (c) => [c.mcp.discoveryExtraHeaders, c.secretEnvNames.includes('DV')],
    want: [{ 'X-D': 'secret' }, true],
  },
  {
    kind: 'env',
    name: 'MCP_CONNECTION_MAX_TTL',
    ours: 'same',
    env: { MCP_CONNECTION_MAX_TTL: '5s' },
    read: (c) => c.mcp.connectionMaxTtlMs,
    want: 5000,
  },
  {
    kind: 'env',
    name: 'MCP_MAX_CONCURRENT_REQUESTS',
    ours: 'same',
    env: { MCP_MAX_CONCURRENT_REQUESTS: '3' },
    read: (c) => c.mcp.maxConcurrentRequests,
    want: 3,
  },
  {
    kind: 'env',
    name: 'MCP_STARTUP_WAIT_TIMEOUT',
    ours: "Go's meaning (see --mcp.startup-wait-timeout)",
    env: { MCP_STARTUP_WAIT_TIMEOUT: '2s' },
    read: (c) => c.mcp.startupWaitMs,
    want: 2000,
  },

  // Profile keys, in Go's sample and reference profile.
  {
    kind: 'key',
    name: 'config_version',
    ours: 'same (1)',
    profile: { mcp: main },
    read: (c) => c.mcp.commands.length,
    want: 1,
  },
  {
    kind: 'key',
    name: 'ca_bundle',
    ours: 'same; a path, file:/path or env:NAME',
    profile: { ca_bundle: 'env:ENTERPRISE_CA_BUNDLE' },
    env: { ENTERPRISE_CA_BUNDLE: PEM },
    read: (c) => c.mcp.outbound.caBundle,
    want: PEM,
  },
  {
    kind: 'key',
    name: 'http_proxy',
    ours: 'same; a URL or env:NAME',
    profile: { http_proxy: 'env:HTTPS_PROXY' },
    env: { HTTPS_PROXY: 'http://corp:3128' },
    read: (c) => cp(c).outbound.httpProxy,
    want: 'http://corp:3128',
  },
  {
    kind: 'key',
    name: 'control_plane.base_url',
    ours: 'same',
    profile: { control_plane: { base_url: 'https://p.example' } },
    read: (c) => cp(c).baseUrl,
    want: 'https://p.example',
  },
  {
    kind: 'key',
    name: 'control_plane.url_path',
    ours: 'same',
    profile: { control_plane: { url_path: '/chatgpttunnelgateway/dev/us' } },
    read: (c) => cp(c).urlPath,
    want: '/chatgpttunnelgateway/dev/us',
  },
  {
    kind: 'key',
    name: 'control_plane.tunnel_id',
    ours: 'same',
    profile: { control_plane: { tunnel_id: TUNNEL_ID } },
    env: { CONTROL_PLANE_TUNNEL_ID: '' },
    read: (c) => cp(c).tunnelId,
    want: TUNNEL_ID,
  },
  {
    kind: 'key',
    name: 'control_plane.api_key',
    ours: 'same: env:NAME, file:/path, or (with a warning) the key itself',
    profile: { control_plane: { api_key: `file:${KEY_FILE}` } },
    env: { CONTROL_PLANE_API_KEY: '' },
    read: (c) => cp(c).apiKey,
    want: 'key-from-file',
  },
  {
    kind: 'key',
    name: 'control_plane.organization_id',
    ours: 'sent as OpenAI-Organization',
    profile: { control_plane: { organization_id: 'org-9' } },
    read: (c) => cp(c).organizationId,
    want: 'org-9',
  },
  {
    kind: 'key',
    name: 'control_plane.client_cert',
    ours: 'same, with client_key; path, file:/path or env:NAME',
    profile: { control_plane: { client_cert: `file:${PEM}`, client_key: `file:${PEM}` } },
    read: (c) => cp(c).outbound.clientCert,
    want: PEM,
  },
  {
    kind: 'key',
    name: 'control_plane.http_proxy',
    ours: 'same',
    profile: { control_plane: { http_proxy: 'http://cp:2' } },
    read: (c) => cp(c).outbound.httpProxy,
    want: 'http://cp:2',
  },
  {
    kind: 'key',
    name: 'control_plane.max_inflight_requests',
    ours: 'same',
    profile: { control_plane: { max_inflight_requests: 20 } },
    read: (c) => cp(c).maxQueuedRequests,
    want: 20,
  },
  {
    kind: 'key',
    name: 'control_plane.poll_timeout',
    ours: 'same',
    profile: { control_plane: { poll_timeout: '30000ms' } },
    read: (c) => cp(c).pollTimeoutMs,
    want: 30_000,
  },
  {
    kind: 'key',
    name: 'control_plane.poll_deadline_guardrail',
    ours: 'same',
    profile: { control_plane: { poll_deadline_guardrail: '5000ms' } },
    read: (c) => cp(c).pollDeadlineGuardrailMs,
    want: 5000,
  },
  {
    kind: 'key',
    name: 'control_plane.poll_channels',
    ours: 'same',
    profile: { control_plane: { poll_channels: ['main'] } },
    read: (c) => cp(c).pollChannels,
    want: ['main'],
  },
  {
    kind: 'key',
    name: 'control_plane.extra_headers',
    ours: 'same',
    profile: { control_plane: { extra_headers: { 'X-Debug-Mode': '1' } } },
    read: (c) => cp(c).extraHeaders,
    want: { 'X-Debug-Mode': '1' },
  },
  {
    kind: 'key',
    name: 'log.level',
    ours: 'same',
    profile: { log: { level: 'info' } },
    read: (c) => c.log.level,
    want: 'info',
  },
  {
    kind: 'key',
    name: 'log.format',
    ours: 'json, struct-text, text',
    profile: { log: { format: 'struct-text' } },
    read: (c) => c.log.format,
    want: 'struct-text',
  },
  {
    kind: 'key',
    name: 'log.file',
    ours: 'same',
    profile: { log: { file: '/var/log/tc.ndjson' } },
    read: (c) => c.log.file,
    want: '/var/log/tc.ndjson',
  },
  {
    kind: 'key',
    name: 'health.listen_addr',
    ours: 'same',
    profile: { health: { listen_addr: '127.0.0.1:8080' } },
    read: (c) => c.health.listenAddr,
    want: '127.0.0.1:8080',
  },
  {
    kind: 'key',
    name: 'health.unix_socket',
    ours: 'same',
    profile: { health: { unix_socket: '/run/tc/h.sock' } },
    read: (c) => c.health.unixSocket,
    want: '/run/tc/h.sock',
  },
  {
    kind: 'key',
    name: 'health.url_file',
    ours: 'same',
    profile: { health: { url_file: '/run/tc/url' } },
    read: (c) => c.health.urlFile,
    want: '/run/tc/url',
  },
  {
    kind: 'key',
    name: 'admin_ui.open_browser',
    ours: 'same',
    profile: { admin_ui: { open_browser: false } },
    read: (c) => c.adminUi.openBrowser,
    want: false,
  },
  {
    kind: 'key',
    name: 'admin_ui.log_buffer_events',
    ours: 'same',
    profile: { admin_ui: { log_buffer_events: 2000 } },
    read: (c) => c.adminUi.logBufferEvents,
    want: 2000,
  },
  {
    kind: 'key',
    name: 'process.pid_file',
    ours: 'same',
    profile: { process: { pid_file: '/run/tc.pid' } },
    read: (c) => c.process.pidFile,
    want: '/run/tc.pid',
  },
  {
    kind: 'key',
    name: 'mcp.server_urls',
    ours: 'same',
    profile: { mcp: { server_urls: [{ channel: 'main', url: 'https://mcp.example.com/mcp' }] } },
    env: { MCP_COMMAND: '' },
    read: (c) => c.mcp.serverUrls[0]?.url,
    want: 'https://mcp.example.com/mcp',
  },
  {
    kind: 'key',
    name: 'mcp.server_urls[].unix_socket',
    ours: 'same: the URL is dialled over the socket',
    profile: {
      mcp: {
        server_urls: [
          { channel: 'main', url: 'http://localhost/mcp', unix_socket: 'env:MCP_UNIX_SOCKET_PATH' },
        ],
      },
    },
    env: { MCP_COMMAND: '', MCP_UNIX_SOCKET_PATH: '/run/mcp.sock' },
    read: (c) => c.mcp.serverUrls[0]?.unixSocket,
    want: '/run/mcp.sock',
  },
  {
    kind: 'key',
    name: 'mcp.commands',
    ours: 'same',
    profile: {
      mcp: {
        commands: [
          { channel: 'tools', command: 'python -m tools_mcp' },
          { channel: 'main', command: 'node s.js' },
        ],
      },
    },
    env: { MCP_COMMAND: '' },
    read: (c) => c.mcp.commands.map((e) => e.channel),
    want: ['tools', 'main'],
  },
  {
    kind: 'key',
    name: 'mcp.extra_headers',
    ours: 'same',
    profile: { mcp: { extra_headers: { 'X-Internal-Auth': 'env:MV' } } },
    env: { MV: 'v' },
    read: (c) => c.mcp.extraHeaders,
    want: { 'X-Internal-Auth': 'v' },
  },
  {
    kind: 'key',
    name: 'mcp.discovery_extra_headers',
    ours: "headers on the client's readiness probe",
    profile: { mcp: { discovery_extra_headers: { 'X-Discovery-Auth': `file:${KEY_FILE}` } } },
    read: (c) => c.mcp.discoveryExtraHeaders,
    want: { 'X-Discovery-Auth': 'key-from-file' },
  },
  {
    kind: 'key',
    name: 'mcp.startup_wait_timeout',
    ours: "Go's meaning",
    profile: { mcp: { startup_wait_timeout: '60s' } },
    read: (c) => c.mcp.startupWaitMs,
    want: 60_000,
  },
  {
    kind: 'key',
    name: 'mcp.connection_max_ttl',
    ours: 'same',
    profile: { mcp: { connection_max_ttl: '10m' } },
    read: (c) => c.mcp.connectionMaxTtlMs,
    want: 600_000,
  },
  {
    kind: 'key',
    name: 'mcp.max_concurrent_requests',
    ours: 'same',
    profile: { mcp: { max_concurrent_requests: 10 } },
    read: (c) => c.mcp.maxConcurrentRequests,
    want: 10,
  },
  {
    kind: 'key',
    name: 'harpoon.capture_payloads',
    ours: 'keeps redacted MCP call bodies for the /ui console',
    profile: { harpoon: { capture_payloads: true } },
    read: (c) => c.adminUi.capturePayloads,
    want: true,
  },

  // Go settings for features this client lacks: accepted, reported once as ignored, never refused.
  {
    kind: 'ignored',
    name: 'log.http_raw_unsafe',
    ours: 'ignored: raw HTTP with keys and tokens is never logged',
    profile: { log: { http_raw_unsafe: true } },
  },
  { kind: 'ignored', name: '--log.http-raw-unsafe', ours: 'ignored', args: ['--log.http-raw-unsafe'] },
  { kind: 'ignored', name: 'LOG_HTTP_RAW_UNSAFE', ours: 'ignored', env: { LOG_HTTP_RAW_UNSAFE: 'true' } },
  {
    kind: 'ignored',
    name: 'proxy.check_interval',
    ours: 'ignored: no periodic proxy check (doctor checks on demand)',
    profile: { proxy: { check_interval: '60s' } },
  },
  {
    kind: 'ignored',
    name: '--proxy.check-interval',
    ours: 'ignored',
    args: ['--proxy.check-interval', '60s'],
  },
  { kind: 'ignored', name: 'PROXY_CHECK_INTERVAL', ours: 'ignored', env: { PROXY_CHECK_INTERVAL: '60s' } },
  {
    kind: 'ignored',
    name: 'health.show_details',
    ours: 'ignored: /health detail routes are not served',
    profile: { health: { show_details: true } },
  },
  {
    kind: 'ignored',
    name: 'mcp.stdio_send_initialized_notification',
    ours: 'ignored: stdio messages are forwarded verbatim',
    profile: { mcp: { stdio_send_initialized_notification: false } },
  },
  {
    kind: 'ignored',
    name: 'harpoon.targets',
    ours: 'ignored: no Harpoon server',
    profile: {
      harpoon: {
        targets: [{ label: 'auth', url: 'https://auth.example.com', description: 'Auth server' }],
        additional_transports: ['http-streamable'],
      },
    },
  },
  {
    kind: 'ignored',
    name: '--harpoon.target',
    ours: 'ignored',
    args: ['--harpoon.target', 'label=auth,url=https://auth.example.com,desc=Auth server'],
  },
  {
    kind: 'ignored',
    name: '--harpoon.http-proxy',
    ours: 'ignored',
    args: ['--harpoon.http-proxy', 'http://harpoon-proxy.internal:8080'],
  },
  {
    kind: 'ignored',
    name: '--harpoon.allow-plaintext-http',
    ours: 'ignored',
    args: ['--harpoon.allow-plaintext-http'],
  },
  {
    kind: 'ignored',
    name: '--harpoon.max-response-bytes',
    ours: 'ignored',
    args: ['--harpoon.max-response-bytes', '1024'],
  },
  {
    kind: 'ignored',
    name: '--harpoon.max-redirects',
    ours: 'ignored',
    args: ['--harpoon.max-redirects', '2'],
  },
  {
    kind: 'ignored',
    name: '--harpoon.additional-transport',
    ours: 'ignored',
    args: ['--harpoon.additional-transport', 'http-streamable'],
  },
  {
    kind: 'ignored',
    name: '--harpoon.hosts-include-suffix',
    ours: 'ignored',
    args: ['--harpoon.hosts-include-suffix', '.corp'],
  },
  {
    kind: 'ignored',
    name: '--harpoon.hosts-include-regex',
    ours: 'ignored',
    args: ['--harpoon.hosts-include-regex', '.*'],
  },
  {
    kind: 'ignored',
    name: '--harpoon.hosts-include-loopback',
    ours: 'ignored',
    args: ['--harpoon.hosts-include-loopback=false'],
  },
  {
    kind: 'ignored',
    name: '--harpoon.hosts-include-private',
    ours: 'ignored',
    args: ['--harpoon.hosts-include-private=false'],
  },
  {
    kind: 'ignored',
    name: 'HARPOON_TARGETS',
    ours: 'ignored',
    env: { HARPOON_TARGETS: 'label=a,url=https://a' },
  },
  { kind: 'ignored', name: 'HARPOON_HTTP_PROXY', ours: 'ignored', env: { HARPOON_HTTP_PROXY: 'http://h:1' } },
  {
    kind: 'ignored',
    name: 'cloudflared.managed',
    ours: 'ignored: no Cloudflare companion',
    profile: {
      cloudflared: {
        managed: true,
        token: 'env:CLOUDFLARED_TOKEN',
        path: '/opt/tunnel-client/cloudflared',
        ready_timeout: '30s',
      },
    },
  },
  { kind: 'ignored', name: 'CLOUDFLARED_MANAGED', ours: 'ignored', env: { CLOUDFLARED_MANAGED: 'true' } },
  {
    kind: 'ignored',
    name: 'CLOUDFLARED_TUNNEL_TOKEN',
    ours: 'ignored, and withheld from spawned MCP servers',
    env: { CLOUDFLARED_TUNNEL_TOKEN: 'tok' },
  },
  {
    kind: 'ignored',
    name: 'CLOUDFLARED_PATH',
    ours: 'ignored',
    env: { CLOUDFLARED_PATH: '/opt/cloudflared' },
  },
];

// Samples and init, as Go's client writes them.
interface CliRow {
  kind: 'sample' | 'init';
  name: string;
  ours: string;
  check: (dir: string) => Promise<void>;
}

const tcli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli([CLIENT_BIN, ...args], env, 60_000);
const readYaml = (path: string) => parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
/** The keys and values of Go's samples: control plane, health, admin UI, log, then the MCP server. */
const goSample = (mcp: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
  config_version: 1,
  ...top,
  control_plane: {
    base_url: 'https://api.openai.com',
    tunnel_id: TUNNEL_ID,
    api_key: 'env:CONTROL_PLANE_API_KEY',
  },
  health: { listen_addr: '127.0.0.1:8080' },
  admin_ui: { open_browser: false },
  log: { level: 'info', format: 'json' },
  mcp,
});
const URL_MAIN = { server_urls: [{ channel: 'main', url: 'http://127.0.0.1:3001/mcp' }] };
const COMMAND_MAIN = { commands: [{ channel: 'main', command: `"${process.execPath}" server.js` }] };
const initArgs = (dir: string, ...more: string[]) => [
  'init',
  '--tunnel-id',
  TUNNEL_ID,
  '--profile-dir',
  dir,
  ...more,
];

const CLI_ROWS: CliRow[] = [
  ...(
    [
      ['sample_mcp_with_dcr', ['--mcp-server-url', URL_MAIN.server_urls[0]!.url], goSample(URL_MAIN)],
      [
        'sample_mcp_stdio_local',
        ['--mcp-command', COMMAND_MAIN.commands[0]!.command],
        goSample(COMMAND_MAIN),
      ],
      ['sample_mcp_remote_no_auth', ['--mcp-server-url', URL_MAIN.server_urls[0]!.url], goSample(URL_MAIN)],
      [
        'sample_mcp_enterprise_proxy',
        ['--mcp-server-url', URL_MAIN.server_urls[0]!.url],
        goSample(URL_MAIN, { ca_bundle: 'env:ENTERPRISE_CA_BUNDLE', http_proxy: 'env:HTTPS_PROXY' }),
      ],
    ] as const
  ).map(([name, args, want]): CliRow => ({
    kind: 'sample',
    name,
    ours: "the keys and values of Go's sample",
    async check(dir) {
      const made = await tcli(initArgs(dir, '--sample', name, '--profile', name, ...args));
      assert.equal(made.code, 0, made.output);
      assert.deepEqual(readYaml(join(dir, `${name}.yaml`)), want);
    },
  })),
  {
    kind: 'init',
    name: 'init --mcp-command',
    ours: 'infers sample_mcp_stdio_local; the profile is named sample_mcp_with_dcr as in Go; the command must exist',
    async check(dir) {
      const made = await tcli(initArgs(dir, '--mcp-command', COMMAND_MAIN.commands[0]!.command));
      assert.equal(made.code, 0, made.output);
      assert.deepEqual(readYaml(join(dir, 'sample_mcp_with_dcr.yaml')), goSample(COMMAND_MAIN));
      assert.match(readFileSync(join(dir, 'sample_mcp_with_dcr.yaml'), 'utf8'), /\(sample_mcp_stdio_local\)/);
      const missing = await tcli(
        initArgs(dir, '--profile', 'gone', '--mcp-command', 'no-such-mcp-server --stdio'),
      );
      assert.equal(missing.code, 1);
      assert.match(missing.output, /--mcp-command: no-such-mcp-server was not found on PATH/);
      assert.ok(!existsSync(join(dir, 'gone.yaml')));
    },
  },
  {
    kind: 'init',
    name: 'init --mcp-server-url',
    ours: 'infers sample_mcp_with_dcr',
    async check(dir) {
      const made = await tcli(
        initArgs(dir, '--profile', 'url', '--mcp-server-url', URL_MAIN.server_urls[0]!.url),
      );
      assert.equal(made.code, 0, made.output);
      assert.match(readFileSync(join(dir, 'url.yaml'), 'utf8'), /\(sample_mcp_with_dcr\)/);
    },
  },
  {
    kind: 'init',
    name: 'init --control-plane-base-url --control-plane-url-path --control-plane-api-key-ref --health-listen-addr --open-web-ui',
    ours: 'written to the profile (our --base-url still works)',
    async check(dir) {
      const made = await tcli(
        initArgs(
          dir,
          '--profile',
          'flags',
          '--mcp-server-url',
          URL_MAIN.server_urls[0]!.url,
          '--control-plane-base-url',
          'https://gw.example',
          '--control-plane-url-path',
          '/ws/dev',
          '--control-plane-api-key-ref',
          'file:/run/secrets/key',
          '--health-listen-addr',
          '127.0.0.1:0',
          '--open-web-ui',
        ),
      );
      assert.equal(made.code, 0, made.output);
      const data = readYaml(join(dir, 'flags.yaml')) as Record<string, Record<string, unknown>>;
      assert.deepEqual(data.control_plane, {
        base_url: 'https://gw.example',
        url_path: '/ws/dev',
        tunnel_id: TUNNEL_ID,
        api_key: 'file:/run/secrets/key',
      });
      assert.deepEqual(data.health, { listen_addr: '127.0.0.1:0' });
      assert.deepEqual(data.admin_ui, { open_browser: true });
      const literal = await tcli(
        initArgs(
          dir,
          '--profile',
          'lit',
          '--mcp-server-url',
          URL_MAIN.server_urls[0]!.url,
          '--control-plane-api-key-ref',
          'sk-literal',
        ),
      );
      assert.equal(literal.code, 1);
      assert.ok(!literal.output.includes('sk-literal'), literal.output);
    },
  },
  {
    kind: 'init',
    name: 'run --profile',
    ours: 'finds profiles in ~/tunnel-client (where init writes) and in $XDG_CONFIG_HOME/tunnel-client or ~/.config/tunnel-client (where Go writes)',
    async check(dir) {
      const home = join(dir, 'home');
      const ours = join(home, 'tunnel-client');
      const go = join(home, '.config', 'tunnel-client');
      mkdirSync(ours, { recursive: true });
      mkdirSync(go, { recursive: true });
      writeFileSync(join(ours, 'a.yaml'), 'config_version: 1\n');
      writeFileSync(join(go, 'b.yaml'), 'config_version: 1\n');
      assert.equal(findProfile('a', undefined, { HOME: home }), join(ours, 'a.yaml'));
      assert.equal(findProfile('b', undefined, { HOME: home }), join(go, 'b.yaml'));
      const made = await tcli(
        [
          'init',
          '--tunnel-id',
          TUNNEL_ID,
          '--profile',
          'c',
          '--mcp-server-url',
          URL_MAIN.server_urls[0]!.url,
        ],
        { HOME: home, TUNNEL_CLIENT_PROFILE_DIR: '' },
      );
      assert.equal(made.code, 0, made.output);
      assert.ok(existsSync(join(ours, 'c.yaml')), made.output);
      const guide = await tcli(['help', 'quickstart']);
      assert.match(guide.output, /~\/tunnel-client\/NAME\.yaml/);
      assert.match(guide.output, /~\/\.config\/tunnel-client\/NAME\.yaml/);
    },
  },
  {
    kind: 'init',
    name: 'dev mcp-stub --server-name --server-version',
    ours: "Streamable HTTP on a free loopback port by default, as Go's; the name and version answer initialize",
    async check() {
      const stub = startProcess([
        CLIENT_BIN,
        'dev',
        'mcp-stub',
        '--server-name',
        'go-stub',
        '--server-version',
        '9.9.9',
      ]);
      try {
        const [, url] = await stub.waitFor(/MCP URL: (http:\/\/127\.0\.0\.1:\d+\/mcp)/, 30_000);
        const { mcp } = await connectSdk(new URL(url!), undefined);
        assert.deepEqual(mcp.getServerVersion(), { name: 'go-stub', version: '9.9.9' });
        await mcp.close();
      } finally {
        await stub.stop();
      }
    },
  },
];

// Rows that need running clients: exit codes, ops routes, output formats, Unix sockets, and a profile in
// Go's format with every key, served against the contract-true fake of the hosted service.
interface Running {
  dir: string;
  /** The fake the Go-profile client polls, and the one the TCP clients poll. */
  goFake: FakeHostedService;
  tcpFake: FakeHostedService;
  /** `tunnel-client run --profile-file go.yaml`: health and upstream on Unix sockets, JSON log. */
  goClient: Proc;
  goUrlFile: string;
  proxy: Awaited<ReturnType<typeof startProxy>>;
  /** In process, ops on TCP, struct-text log. */
  tcp: TunnelClientHandle;
  tcpLog: string[];
  /** In process with a key the fake refuses: live, never ready. */
  refused: TunnelClientHandle;
}

interface RunningRow {
  kind: 'exit' | 'route' | 'format' | 'socket' | 'profile';
  name: string;
  ours: string;
  check: (running: Running) => Promise<void>;
}

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli([CLIENT_BIN, ...args], env, 60_000);
const text = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { headers }).then(async (r) => ({
    status: r.status,
    type: r.headers.get('content-type') ?? '',
    body: await r.text(),
  }));

async function callThrough(fake: FakeHostedService): Promise<string> {
  const id = fake.enqueue({
    response_timeout: '30s',
    jsonrpc: {
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'over the socket' } },
    },
  });
  const answer = await fake.terminal(id, 30_000);
  const result = answer.payload.resp_json?.result as { content?: { text?: string }[] } | undefined;
  return result?.content?.[0]?.text ?? JSON.stringify(answer.payload);
}

const RUNNING_ROWS: RunningRow[] = [
  {
    kind: 'profile',
    name: 'run --embedded-mcp-stub',
    ours: 'the built-in stub serves channel main from inside the client process',
    async check() {
      const fake = await startFake();
      const client = startProcess(
        [
          CLIENT_BIN,
          'run',
          '--embedded-mcp-stub',
          '--control-plane.base-url',
          fake.url,
          '--control-plane.tunnel-id',
          TUNNEL_ID,
          '--health.listen-addr',
          '127.0.0.1:0',
        ],
        { CONTROL_PLANE_API_KEY: API_KEY, MCP_COMMAND: '', MCP_SERVER_URL: '' },
      );
      try {
        await client.waitFor(/tunnel-client started/, 60_000);
        const id = fake.enqueue({
          response_timeout: '30s',
          jsonrpc: {
            jsonrpc: '2.0',
            id: 1,
            method: 'tools/call',
            params: { name: 'add', arguments: { a: 2, b: 3 } },
          },
        });
        const answer = await fake.terminal(id, 30_000);
        assert.deepEqual((answer.payload.resp_json?.result as { content: unknown[] }).content, [
          { type: 'text', text: '2 + 3 = 5' },
        ]);
      } finally {
        await client.stop();
        await fake.stop();
      }
    },
  },
  {
    kind: 'profile',
    name: 'admin --control-plane.base-url --control-plane.url-path',
    ours: "admin's requests go to the base URL and path, as Go's (also --control-plane-base-url, --control-plane-url-path, CONTROL_PLANE_BASE_URL, CONTROL_PLANE_URL_PATH; our --base-url)",
    async check() {
      const fake = await startFake({ pathPrefix: '/gw' });
      try {
        const got = await cli(
          [
            'admin',
            'tunnels',
            'get',
            TUNNEL_ID,
            '--control-plane.base-url',
            fake.url,
            '--control-plane.url-path',
            '/gw',
            '--json',
          ],
          { CONTROL_PLANE_API_KEY: API_KEY, OPENAI_ADMIN_KEY: '' },
        );
        assert.equal(got.code, 0, got.output);
        assert.equal(JSON.parse(got.output).id, TUNNEL_ID);
        const viaEnv = await cli(['admin', 'tunnels', 'get', TUNNEL_ID, '--json'], {
          CONTROL_PLANE_API_KEY: API_KEY,
          OPENAI_ADMIN_KEY: '',
          CONTROL_PLANE_BASE_URL: fake.url,
          CONTROL_PLANE_URL_PATH: 'gw',
        });
        assert.equal(viaEnv.code, 0, viaEnv.output);
        assert.deepEqual(fake.violations, [], 'both requests carried the path');
        // Without the path the fake (a service behind a gateway) records the miss.
        await cli(['admin', 'tunnels', 'get', TUNNEL_ID, '--control-plane-base-url', fake.url], {
          CONTROL_PLANE_API_KEY: API_KEY,
          OPENAI_ADMIN_KEY: '',
        });
        assert.match(fake.violations.join('\n'), /misses the path prefix \/gw/);
      } finally {
        await fake.stop();
      }
    },
  },
  {
    kind: 'profile',
    name: 'every key in one profile',
    ours: 'loads, reports each Go-only key once as ignored, and serves MCP calls',
    async check({ goFake, goClient, proxy }) {
      assert.equal(await callThrough(goFake), 'over the socket');
      assert.deepEqual(goFake.violations, []);
      assert.ok(
        proxy.targets.some((t) => t.endsWith(new URL(goFake.url).host)),
        'control_plane.http_proxy is used',
      );
      const poll = goFake.requests.find((r) => r.path.endsWith('/poll'))!;
      assert.equal(poll.headers['openai-organization'], 'org-go');
      assert.equal(poll.headers['x-debug-mode'], '1');
      for (const key of [
        'log.http_raw_unsafe',
        'harpoon.targets',
        'cloudflared.managed',
        'proxy.check_interval',
      ])
        assert.equal(
          goClient
            .output()
            .split('\n')
            .filter((l) => l.includes(`"${key} in `)).length,
          1,
          key,
        );
    },
  },
  {
    kind: 'socket',
    name: 'mcp.server_urls[].unix_socket',
    ours: 'the MCP server URL is dialled over the socket (the echo above came from a server listening only there)',
    async check({ goFake }) {
      assert.equal(await callThrough(goFake), 'over the socket');
    },
  },
  {
    kind: 'socket',
    name: 'health.unix_socket',
    ours: 'the ops server listens on the socket; url_file holds http+unix://...; health reads it',
    async check({ goUrlFile, dir }) {
      assert.equal(
        readFileSync(goUrlFile, 'utf8').trim(),
        `http+unix://${Buffer.from(join(dir, 'health.sock')).toString('base64url')}`,
      );
      const health = await cli(['health', '--url-file', goUrlFile, '--require-control-plane-poll']);
      assert.equal(health.code, 0, health.output);
      assert.match(health.output, /Healthz: PASS \| http\+unix:\/\/\S+\/healthz \| HTTP 200 \| live/);
    },
  },
  {
    kind: 'exit',
    name: '0',
    ours: 'health of a live, ready client',
    async check({ tcp }) {
      const health = await cli(['health', '--url', tcp.opsUrl]);
      assert.equal(health.code, 0, health.output);
    },
  },
  {
    kind: 'exit',
    name: '1',
    ours: 'any error, here a malformed tunnel id',
    async check() {
      const run = await cli(['run', '--control-plane.tunnel-id', 'tunnel_X', '--mcp.command', 'node s.js'], {
        CONTROL_PLANE_API_KEY: 'k',
      });
      assert.equal(run.code, 1, run.output);
      assert.match(run.output, /tunnel id "tunnel_X" is malformed/);
    },
  },
  {
    kind: 'exit',
    name: '2 (doctor)',
    ours: 'doctor found a failing check, here an unreachable tunnel service',
    async check({ dir }) {
      const doctor = await cli(
        [
          'doctor',
          '--control-plane.base-url',
          `http://127.0.0.1:${await freePort()}`,
          '--control-plane.tunnel-id',
          TUNNEL_ID,
          '--mcp.command',
          `"${process.execPath}" -e ""`,
          '--health.listen-addr',
          '127.0.0.1:0',
        ],
        { CONTROL_PLANE_API_KEY: 'k', HOME: dir },
      );
      assert.equal(doctor.code, 2, doctor.output);
    },
  },
  {
    kind: 'exit',
    name: '2 (health)',
    ours: 'health found the client not ok: not ready, or not reachable',
    async check({ refused }) {
      const notReady = await cli(['health', '--url', refused.opsUrl]);
      assert.equal(notReady.code, 2, notReady.output);
      const unreachable = await cli(['health', '--port', String(await freePort())]);
      assert.equal(unreachable.code, 2, unreachable.output);
    },
  },
  {
    kind: 'route',
    name: 'GET /healthz',
    ours: '200 live as text; {"status":"ok"} with Accept: application/json',
    async check({ tcp }) {
      assert.deepEqual(await text(`${tcp.opsUrl}/healthz`), {
        status: 200,
        type: 'text/plain; charset=utf-8',
        body: 'live',
      });
      const json = await text(`${tcp.opsUrl}/healthz`, { accept: 'application/json' });
      assert.deepEqual(JSON.parse(json.body), { status: 'ok' });
    },
  },
  {
    kind: 'route',
    name: 'GET /readyz',
    ours: '200 ready, or 503 with the reason, as text; JSON with Accept: application/json',
    async check({ tcp, refused }) {
      assert.deepEqual(await text(`${tcp.opsUrl}/readyz`), {
        status: 200,
        type: 'text/plain; charset=utf-8',
        body: 'ready',
      });
      const down = await text(`${refused.opsUrl}/readyz`);
      assert.equal(down.status, 503);
      assert.match(down.body, /control plane unauthorized/);
      const json = JSON.parse((await text(`${refused.opsUrl}/readyz`, { accept: 'application/json' })).body);
      assert.equal(json.ready, false);
    },
  },
  {
    kind: 'route',
    name: 'GET /',
    ours: 'the console page, as at /ui',
    async check({ tcp }) {
      const root = await text(`${tcp.opsUrl}/`);
      assert.equal(root.status, 200);
      assert.match(root.type, /^text\/html/);
      assert.equal(root.body, (await text(`${tcp.opsUrl}/ui`)).body);
    },
  },
  {
    kind: 'route',
    name: 'GET /favicon.ico',
    ours: '204',
    async check({ tcp }) {
      assert.equal((await text(`${tcp.opsUrl}/favicon.ico`)).status, 204);
    },
  },
  {
    kind: 'route',
    name: 'GET /metrics',
    ours: "Prometheus text with Go's commands_poll_last_successful_timestamp_seconds",
    async check({ tcp }) {
      const metrics = await text(`${tcp.opsUrl}/metrics`);
      const value = /^commands_poll_last_successful_timestamp_seconds (\S+)$/m.exec(metrics.body)?.[1];
      assert.ok(Number(value) > 0, metrics.body.slice(0, 500));
    },
  },
  {
    kind: 'format',
    name: 'log.format: json',
    ours: 'Go slog JSON: level INFO/WARN/..., RFC 3339 time, msg',
    async check({ goClient }) {
      const started = goClient
        .output()
        .split('\n')
        .find((l) => l.includes('tunnel-client started'))!;
      const record = JSON.parse(started) as Record<string, unknown>;
      assert.equal(record.level, 'INFO');
      assert.equal(record.msg, '🟢 tunnel-client started');
      assert.match(String(record.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    },
  },
  {
    kind: 'format',
    name: 'log.format: struct-text',
    ours: 'Go slog text: time=... level=INFO msg="..." key=value',
    async check({ tcpLog }) {
      const line = tcpLog.find((l) => l.includes('tunnel-client started'))!;
      assert.match(
        line,
        /^time=\d{4}-\d\d-\d\dT\S+Z level=INFO msg="🟢 tunnel-client started" tunnel_id=tunnel_\w+\n$/,
      );
    },
  },
  {
    kind: 'format',
    name: 'health --json',
    ours: "Go's report: locator, base_url, ui_url, healthz, readyz, control_plane_poll, process, result",
    async check({ tcp }) {
      const health = await cli([
        'health',
        '--url',
        tcp.opsUrl,
        '--json',
        '--require-control-plane-poll',
        '--pid',
        String(process.pid),
      ]);
      const report = JSON.parse(health.output);
      assert.deepEqual(
        Object.keys(report),
        [
          'locator',
          'healthz',
          'readyz',
          'result',
          'base_url',
          'ui_url',
          'control_plane_poll',
          'process',
        ].filter((k) => k in report),
      );
      assert.equal(report.result, 'ok');
      assert.equal(report.healthz.body, 'live');
      assert.equal(report.process.running, true);
    },
  },
  {
    kind: 'format',
    name: 'health',
    ours: "Go's text report, ending Result: OK or Result: FAIL",
    async check({ refused }) {
      const health = await cli(['health', '--url', refused.opsUrl]);
      assert.match(
        health.output,
        /^Locator: url=\S+\nBase URL: \S+\nUI URL: \S+\/ui\nHealthz: PASS \| \S+ \| HTTP 200 \| live\nReadyz: FAIL \| \S+ \| HTTP 503 \| .*unauthorized.*\nResult: FAIL$/,
      );
    },
  },
];

/** The table: every row of Go's surface, as docs/go-compatibility.md lists it. */
export const GO_SURFACE: (ConfigRow | IgnoredRow | CliRow | RunningRow)[] = [
  ...CONFIG_ROWS,
  ...CLI_ROWS,
  ...RUNNING_ROWS,
];

function configOf(row: { args?: string[]; env?: NodeJS.ProcessEnv; profile?: Record<string, unknown> }) {
  const { flags } = runArguments(row.args ?? []);
  return resolveConfig({
    flags,
    env: { ...BASE_ENV, ...row.env },
    file: row.profile ? { data: { config_version: 1, ...row.profile }, path: 'go.yaml' } : undefined,
  });
}

for (const row of CONFIG_ROWS) {
  if (row.kind === 'ignored') {
    test(`Go ${row.name} is accepted and reported once as ignored, with why`, () => {
      const config = configOf(row);
      const name = row.name.replace(/\[\]/, '');
      const notices = config.warnings.filter((w) => w.includes(`${name} `) && w.includes(' is ignored: '));
      assert.equal(notices.length, 1, `one notice for ${row.name}; got ${JSON.stringify(config.warnings)}`);
    });
    continue;
  }
  test(`Go ${row.kind} ${row.name}: ${row.ours}`, () => {
    const config = configOf(row);
    assert.deepEqual(row.read(config), row.want);
    assert.deepEqual(config.warnings, [], 'a setting this client acts on is not reported as ignored');
  });
}

test('our earlier names keep working as hidden aliases', () => {
  const { flags } = runArguments([
    '--control-plane.max-inflight-requests',
    '9',
    '--control-plane.poll-channels',
    'main',
    '--process.pid-file',
    '/tmp/old.pid',
    '--admin-ui.open-browser',
    '--admin-ui.capture-payloads',
  ]);
  const config = resolveConfig({ flags, env: { ...BASE_ENV, ADMIN_UI_ALLOW_REMOTE: 'true' } });
  assert.equal(config.controlPlane.maxQueuedRequests, 9);
  assert.deepEqual(config.controlPlane.pollChannels, ['main']);
  assert.equal(config.process.pidFile, '/tmp/old.pid');
  assert.equal(config.adminUi.openBrowser, true);
  assert.equal(config.adminUi.capturePayloads, true);
  assert.equal(config.adminUi.allowRemote, true);
});

test('a key neither client knows is still refused, naming the known keys', () => {
  assert.throws(
    () => configOf({ profile: { control_plane: { tunel_id: TUNNEL_ID } } }),
    /unknown key "control_plane\.tunel_id" in go\.yaml: remove it or fix its spelling \(known: .*control_plane\.tunnel_id/,
  );
  assert.throws(() => configOf({ profile: { harpon: {} } }), /unknown key "harpon"/);
});

test('--control-plane.api-key with a literal key is refused without echoing it', () => {
  assert.throws(
    () => configOf({ args: ['--control-plane.api-key', 'sk-literal'] }),
    (error: Error) =>
      /takes env:NAME or file:\/path, never the key itself/.test(error.message) &&
      !error.message.includes('sk-literal'),
  );
});

for (const row of CLI_ROWS)
  test(`Go ${row.kind} ${row.name}: ${row.ours}`, { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-go-cli-'));
    try {
      await row.check(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

/** Go's configuration reference profile, every key, pointed at this test's fake, stub and proxy. */
function goProfile(r: { fakeUrl: string; dir: string; certs: Certificates }) {
  return {
    config_version: 1,
    ca_bundle: r.certs.caCert,
    control_plane: {
      base_url: r.fakeUrl,
      url_path: '/chatgpttunnelgateway/dev/us',
      tunnel_id: TUNNEL_ID,
      api_key: 'env:GO_RUNTIME_KEY',
      organization_id: 'org-go',
      client_cert: `file:${r.certs.clientCert}`,
      client_key: `file:${r.certs.clientKey}`,
      http_proxy: 'env:CP_PROXY',
      max_inflight_requests: 20,
      poll_timeout: '30000ms',
      poll_deadline_guardrail: '5000ms',
      poll_channels: ['main'],
      extra_headers: { 'X-Debug-Mode': '1', 'X-Internal-Auth': 'env:CONTROL_PLANE_HEADER_VALUE' },
    },
    log: { level: 'info', format: 'json', http_raw_unsafe: false },
    health: {
      listen_addr: '127.0.0.1:0',
      unix_socket: join(r.dir, 'health.sock'),
      url_file: join(r.dir, 'health.url'),
    },
    admin_ui: { open_browser: false, log_buffer_events: 2000 },
    process: { pid_file: join(r.dir, 'tc.pid') },
    cloudflared: {
      managed: true,
      token: 'env:CLOUDFLARED_TOKEN',
      path: '/opt/tunnel-client/cloudflared',
      ready_timeout: '30s',
    },
    mcp: {
      server_urls: [
        { channel: 'main', url: 'http://localhost/mcp', unix_socket: 'env:MCP_UNIX_SOCKET_PATH' },
      ],
      extra_headers: { 'X-Internal-Auth': 'env:MCP_RUNTIME_HEADER_VALUE' },
      discovery_extra_headers: { 'X-Discovery-Auth': `file:${join(r.dir, 'discovery-header')}` },
      startup_wait_timeout: '60s',
      connection_max_ttl: '10m',
      max_concurrent_requests: 10,
    },
    harpoon: {
      targets: [{ label: 'auth', url: 'https://auth.example.com', description: 'Auth server' }],
      additional_transports: ['http-streamable'],
    },
    proxy: { check_interval: '60s' },
  };
}

const contractMissing = contractSkip();

describe('Go surface with running clients', { skip: contractMissing }, () => {
  const running = {} as Running;
  let stub: Proc;
  let certs: Certificates;
  before(async () => {
    running.dir = mkdtempSync(join(tmpdir(), 'tc-go-run-'));
    certs = makeCertificates();
    running.proxy = await startProxy();
    running.goFake = await startFake({ pathPrefix: '/chatgpttunnelgateway/dev/us' });
    running.tcpFake = await startFake();
    const mcpSocket = join(running.dir, 'mcp.sock');
    stub = startProcess([CLIENT_BIN, 'dev', 'mcp-stub', '--unix-socket', mcpSocket]);
    await stub.waitFor(/listening on Unix socket/, 30_000);
    writeFileSync(join(running.dir, 'discovery-header'), 'discovery-secret\n');
    const profilePath = join(running.dir, 'go.yaml');
    writeFileSync(
      profilePath,
      stringify(goProfile({ fakeUrl: running.goFake.url, dir: running.dir, certs })),
    );
    running.goUrlFile = join(running.dir, 'health.url');
    running.goClient = startProcess([CLIENT_BIN, 'run', '--profile-file', profilePath], {
      GO_RUNTIME_KEY: API_KEY,
      CP_PROXY: running.proxy.url,
      CONTROL_PLANE_HEADER_VALUE: 'cp-secret',
      MCP_RUNTIME_HEADER_VALUE: 'mcp-secret',
      MCP_UNIX_SOCKET_PATH: mcpSocket,
      CLOUDFLARED_TOKEN: 'cf-token',
    });
    await running.goClient.waitFor(/tunnel-client started/, 60_000);

    running.tcpLog = [];
    const sink = new Writable({ write: (chunk, _e, done) => (running.tcpLog.push(String(chunk)), done()) });
    const base = {
      control_plane: { base_url: running.tcpFake.url, tunnel_id: TUNNEL_ID, api_key: API_KEY },
      health: { listen_addr: '127.0.0.1:0' },
      mcp: { commands: [{ channel: 'main', command: FIXTURE_COMMAND }] },
    };
    running.tcp = await startTunnelClient(defineConfig(base), {
      logger: createLogger({ level: 'info', format: 'struct-text' }, sink),
    });
    await running.tcp.started;
    await waitReady(running.tcp.opsUrl);
    running.refused = await startTunnelClient(
      defineConfig({ ...base, control_plane: { ...base.control_plane, api_key: 'mcpt_wrong' } }),
      {
        logger: createLogger(
          { level: 'silent', format: 'json' },
          new Writable({ write: (_c, _e, done) => done() }),
        ),
      },
    );
    await eventually(
      async () => /unauthorized/.test((await text(`${running.refused.opsUrl}/readyz`)).body),
      30_000,
      () => 'the refused client to say it is unauthorized',
    );
  });
  after(async () => {
    await running.goClient?.stop();
    await stub?.stop();
    await running.tcp?.stop();
    await running.refused?.stop();
    await running.goFake?.stop();
    await running.tcpFake?.stop();
    await running.proxy?.close();
    certs?.cleanup();
    rmSync(running.dir, { recursive: true, force: true });
  });
  for (const row of RUNNING_ROWS)
    test(`Go ${row.kind} ${row.name}: ${row.ours}`, { timeout: 120_000 }, () => row.check(running));
});

test('docs/go-compatibility.md lists every row of the table', () => {
  const doc = readFileSync(new URL('../../../docs/go-compatibility.md', import.meta.url), 'utf8');
  const missing = GO_SURFACE.filter((row) => !doc.includes(`\`${row.name}\``)).map((row) => row.name);
  assert.deepEqual(missing, []);
});
