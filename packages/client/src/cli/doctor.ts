// `tunnel-client doctor`: everything `run` needs, checked one by one before the daemon starts, each with
// its reason and its fix. Nothing here changes state at the service or takes work from a running client.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { LATEST_PROTOCOL_VERSION } from '../bindings/lifecycle.ts';
import {
  MAIN_CHANNEL,
  TUNNEL_ID_SHAPE,
  USE_PROBE_REQUEST_PREFIX,
  isTunnelId,
  type JsonRpcMessage,
} from '@mcp-tunnel/protocol';
import { createBindings } from '../runtime/client.ts';
import { ConfigError } from '../config/errors.ts';
import { readProfile } from '../config/profiles.ts';
import {
  API_KEY_ENV,
  apiKeyOf,
  controlPlaneHeaders,
  resolveConfig,
  tunnelIdOf,
  type ClientConfig,
  type ConfigSources,
} from '../config/schema.ts';
import { ControlPlaneApi, apiErrorText, type ApiReply } from '../controlplane/api.ts';
import { createLogger } from '../observability/logger.ts';
import { ClientMetrics } from '../observability/metrics.ts';
import { parseListenAddr } from '../ops/server.ts';
import { createOutboundAgent } from '../outbound/agents.ts';
import { CLIENT_VERSION } from '../base/version.ts';
import { chooseConfigFile, type RunSource } from './run.ts';

export type CheckId =
  | 'config'
  | 'tunnel_id'
  | 'api_key'
  | 'control_plane'
  | 'tunnel_access'
  | 'tunnel_read'
  | 'tunnel_use'
  | 'mcp_main'
  | 'ops_listen';

export interface CheckResult {
  id: CheckId;
  status: 'pass' | 'fail' | 'skip';
  reason: string;
  /** What to do about a failure. */
  fix: string | null;
  /** What the check means (shown with --explain). */
  meaning: string;
}

export interface DoctorReport {
  ok: boolean;
  config_file: string | null;
  tunnel_id: string | null;
  base_url: string | null;
  checks: CheckResult[];
}

const MEANING: Record<CheckId, string> = {
  config:
    'The profile (or --config/--profile-file), the flags and the environment merge into a configuration run accepts: known keys, valid values, an MCP server for channel main, and every env: variable and file it names present.',
  tunnel_id: `The tunnel id has the shape every tunnel service uses: ${TUNNEL_ID_SHAPE}. A malformed id is refused at start-up.`,
  api_key: `The runtime API key is found: ${API_KEY_ENV}, or control_plane.api_key as "env:NAME" (the variable is set) or "file:/path" (the file is readable and not empty).`,
  control_plane:
    'The tunnel service answers HTTP at control_plane.base_url (through the configured proxy and CA), so polls can reach it.',
  tunnel_access:
    'GET /v1/tunnels/{id} with the runtime key: the service accepts the key and the tunnel exists in its organization. This is the start-up request of the client.',
  tunnel_read:
    'GET /v1/tunnels with the runtime key: the key holds Tunnels Read, which a runtime key needs besides Use.',
  tunnel_use:
    'The key holds Tunnels Use, which polling and answering need. Doctor posts a response for a request id that cannot exist (doctor_probe_...): a service that allows Use answers "unknown request", one that does not answers "forbidden"; tunnel-service records it in its audit log as the check tunnel.use_check. A poll would test the same permission but could take a queued command away from a running client, so doctor never polls.',
  mcp_main:
    'The MCP server of channel main starts (a stdio command is spawned, a URL is connected to) and answers an MCP initialize request, as it must before the client is ready. Doctor then stops it.',
  ops_listen:
    'health.listen_addr can be listened on, so the ops server (/healthz, /readyz, /metrics) can start. A client already running on it makes this fail.',
};

const ORDER = Object.keys(MEANING) as CheckId[];

class Checks {
  readonly results = new Map<CheckId, CheckResult>();
  pass(id: CheckId, reason: string): void {
    this.results.set(id, { id, status: 'pass', reason, fix: null, meaning: MEANING[id] });
  }
  fail(id: CheckId, reason: string, fix: string): void {
    this.results.set(id, { id, status: 'fail', reason, fix, meaning: MEANING[id] });
  }
  passed(id: CheckId): boolean {
    return this.results.get(id)?.status === 'pass';
  }
  list(): CheckResult[] {
    return ORDER.map(
      (id) =>
        this.results.get(id) ?? {
          id,
          status: 'skip' as const,
          reason: 'not checked: an earlier check it depends on failed',
          fix: null,
          meaning: MEANING[id],
        },
    );
  }
}

const VALID_PLACEHOLDER_ID = 'tunnel_00000000000000000000000000000000';

function serviceSays(reply: ApiReply): string {
  return apiErrorText(reply.body) ?? `HTTP ${reply.status}`;
}

function errorCode(reply: ApiReply): string | undefined {
  const code = (reply.body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

function networkReason(error: unknown): string {
  const err = error as { code?: string; name?: string; cause?: { code?: string }; message?: string };
  if (err.name === 'TimeoutError' || err.code === 'UND_ERR_HEADERS_TIMEOUT') return 'no answer in time';
  return err.code ?? err.cause?.code ?? err.message ?? 'network error';
}

/** Configuration checks: each one judged on its own, so one mistake does not hide the others. */
function checkConfiguration(
  checks: Checks,
  source: RunSource,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { config?: ClientConfig; path?: string } {
  let sources: ConfigSources;
  let path: string | undefined;
  try {
    path = chooseConfigFile(source, env);
    sources = { flags, env, file: path ? readProfile(path, env) : undefined };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    checks.fail(
      'config',
      error.message,
      'fix the profile name or path (tunnel-client profiles list shows the profiles), or the YAML',
    );
    return {};
  }

  let tunnelIdOk = false;
  try {
    const { value, origin } = tunnelIdOf(sources);
    if (isTunnelId(value)) {
      tunnelIdOk = true;
      checks.pass('tunnel_id', `${value} (from ${origin})`);
    } else
      checks.fail(
        'tunnel_id',
        `"${value}" (from ${origin}) is not ${TUNNEL_ID_SHAPE}`,
        'copy the exact id from the tunnel settings or "tunnel-client admin tunnels list"',
      );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    checks.fail('tunnel_id', error.message, 'set control_plane.tunnel_id in the profile');
  }

  let keyOk = false;
  try {
    apiKeyOf(sources);
    keyOk = true;
    checks.pass(
      'api_key',
      env[API_KEY_ENV]?.trim() ? `read from ${API_KEY_ENV}` : 'read from control_plane.api_key',
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    checks.fail(
      'api_key',
      error.message,
      `export ${API_KEY_ENV}=<runtime key>, or make control_plane.api_key's env: variable or file: path exist`,
    );
  }

  // The rest of the configuration, judged with stand-ins for the two parts checked above.
  try {
    resolveConfig({
      ...sources,
      flags: tunnelIdOk ? flags : { ...flags, 'control_plane.tunnel_id': VALID_PLACEHOLDER_ID },
      env: keyOk ? env : { ...env, [API_KEY_ENV]: 'placeholder' },
    });
    checks.pass('config', path ? `${path} is valid` : 'flags and environment form a valid configuration');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    checks.fail('config', error.message, 'change the setting the message names (see docs/client-config.md)');
    return { path };
  }
  if (!tunnelIdOk || !keyOk) return { path };
  return { config: resolveConfig(sources), path };
}

async function checkControlPlane(checks: Checks, config: ClientConfig): Promise<void> {
  const cp = config.controlPlane;
  const api = new ControlPlaneApi({
    baseUrl: cp.baseUrl,
    urlPath: cp.urlPath,
    tunnelId: cp.tunnelId,
    apiKey: cp.apiKey,
    instanceId: `doctor-${randomUUID()}`,
    serverInfo: undefined,
    extraHeaders: controlPlaneHeaders(cp),
    pollChannels: undefined,
    pollDeadlineGuardrailMs: cp.pollDeadlineGuardrailMs,
    agent: createOutboundAgent(cp.outbound, new URL(cp.baseUrl)),
  });
  try {
    const started = performance.now();
    let metadata: ApiReply;
    try {
      metadata = await api.metadata();
    } catch (error) {
      checks.fail(
        'control_plane',
        `${cp.baseUrl}${cp.urlPath} did not answer (${networkReason(error)})`,
        cp.outbound.httpProxy || cp.outbound.proxyEnv.httpsProxy
          ? 'check control_plane.base_url, and that the proxy is reachable and allows the service host'
          : 'check control_plane.base_url (own service: the URL "tunnel-service start" printed; hosted: https://api.openai.com), DNS, and whether a proxy (HTTPS_PROXY or control_plane.http_proxy) is needed',
      );
      return;
    }
    checks.pass(
      'control_plane',
      `${cp.baseUrl}${cp.urlPath} answered HTTP ${metadata.status} in ${Math.round(performance.now() - started)} ms`,
    );

    if (metadata.status === 200) {
      const name = (metadata.body as { name?: unknown } | undefined)?.name;
      checks.pass(
        'tunnel_access',
        `key accepted; tunnel ${cp.tunnelId}${typeof name === 'string' ? ` is "${name}"` : ''}`,
      );
    } else if (metadata.status === 401) {
      checks.fail(
        'tunnel_access',
        `the service does not accept the key: ${serviceSays(metadata)}`,
        `${API_KEY_ENV} (or control_plane.api_key) must hold a current runtime key of the tunnel's organization: check for typos, or create a new key`,
      );
      return;
    } else if (metadata.status === 403) {
      checks.fail(
        'tunnel_access',
        `the key lacks both Tunnels Read and Tunnels Use on this tunnel: ${serviceSays(metadata)}`,
        "give the key's role tunnel.read and tunnel.use, or use a key of the organization that owns the tunnel",
      );
      return;
    } else if (metadata.status === 404) {
      checks.fail(
        'tunnel_access',
        `tunnel ${cp.tunnelId} was not found: ${serviceSays(metadata)}`,
        'check the tunnel id, and that the key belongs to the organization that owns the tunnel (tunnel-client admin tunnels list)',
      );
      return;
    } else {
      checks.fail(
        'tunnel_access',
        `unexpected answer: ${serviceSays(metadata)}`,
        'retry later; if it persists, check the base URL points at a tunnel service',
      );
      return;
    }

    try {
      const list = await api.listTunnels();
      if (list.status === 200)
        checks.pass('tunnel_read', 'GET /v1/tunnels answered 200: the key holds Tunnels Read');
      else
        checks.fail(
          'tunnel_read',
          `the key lacks Tunnels Read: GET /v1/tunnels answered ${list.status}: ${serviceSays(list)}`,
          "add tunnel.read (Tunnels Read) to the key's role; a runtime key needs Read + Use",
        );
    } catch (error) {
      checks.fail(
        'tunnel_read',
        `GET /v1/tunnels failed (${networkReason(error)})`,
        'retry; check the network',
      );
    }

    try {
      const requestId = `${USE_PROBE_REQUEST_PREFIX}${randomUUID()}`;
      const reply = await api.respond('doctor-probe', {
        request_id: requestId,
        channel: MAIN_CHANNEL,
        resp_code: 202,
        resp_type: 'notify_ack',
      });
      const code = errorCode(reply);
      if (code === 'tunnel_use_forbidden' || reply.status === 403)
        checks.fail(
          'tunnel_use',
          `the key lacks Tunnels Use: ${serviceSays(reply)}`,
          "add tunnel.use (Tunnels Use) to the key's role; a runtime key needs Read + Use",
        );
      else if (
        code === 'tunnel_request_mismatch' ||
        code === 'pending_request_not_found' ||
        reply.status === 404
      )
        checks.pass(
          'tunnel_use',
          `the service took the key for the response route and answered "unknown request" (${code ?? reply.status}): the key holds Tunnels Use`,
        );
      else if (reply.status === 401)
        checks.fail('tunnel_use', `the key was refused: ${serviceSays(reply)}`, 'use a current runtime key');
      else
        checks.fail(
          'tunnel_use',
          `unexpected answer to the Use probe: ${serviceSays(reply)}`,
          'retry later; if it persists, check the key has Tunnels Use',
        );
    } catch (error) {
      checks.fail('tunnel_use', `the Use probe failed (${networkReason(error)})`, 'retry; check the network');
    }
  } finally {
    await api.close();
  }
}

/** Starts the main binding alone, sends initialize, and stops it; the server's stderr explains a failure. */
async function checkMainServer(checks: Checks, config: ClientConfig): Promise<void> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const log = createLogger({ level: 'info', format: 'json' }, sink);
  const bindings = createBindings(config, {}, log, new ClientMetrics());
  const main = bindings.get(MAIN_CHANNEL)!;
  const what =
    main.kind === 'stdio'
      ? `command ${JSON.stringify(config.mcp.commands.find((c) => c.channel === MAIN_CHANNEL)?.command)}`
      : `URL ${config.mcp.serverUrls.find((u) => u.channel === MAIN_CHANNEL)?.url}`;
  const waitMs = config.mcp.serverWaitMs + 5000;
  try {
    await main.start();
    const initialize: JsonRpcMessage = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'tunnel-client-doctor', version: CLIENT_VERSION },
      },
    };
    const reply = await main.send({
      message: initialize,
      headers: {},
      sessionId: undefined,
      signal: AbortSignal.timeout(waitMs),
      onMessage: () => {},
    });
    const result = (reply.message as { result?: { serverInfo?: { name?: string; version?: string } } })
      ?.result;
    if (!result) {
      const error = (reply.message as { error?: { message?: string } } | undefined)?.error;
      checks.fail(
        'mcp_main',
        `the ${what} answered initialize with an error: ${error?.message ?? `HTTP ${reply.status}`}`,
        'fix the MCP server so it accepts initialize; try it with MCP Inspector',
      );
    } else {
      const info = result.serverInfo;
      checks.pass(
        'mcp_main',
        `the ${what} answered initialize${info?.name ? ` (${info.name} ${info.version ?? ''})`.trimEnd() : ''}`,
      );
      const session = reply.headers['Mcp-Session-Id']?.[0] ?? reply.headers['mcp-session-id']?.[0];
      if (session) await main.terminateSession(session, {}, AbortSignal.timeout(5000)).catch(() => {});
    }
  } catch (error) {
    const detail = main.status().detail;
    const stderr = lines
      .map((line) => JSON.parse(line) as { stream?: string; msg?: string })
      .filter((record) => record.stream === 'stderr')
      .map((record) => record.msg)
      .slice(-3);
    const said = stderr.length ? `; it printed: ${stderr.join(' | ')}` : '';
    checks.fail(
      'mcp_main',
      `the ${what} did not answer initialize (${(error as Error).message}; ${detail})${said}`,
      main.kind === 'stdio'
        ? 'run the command yourself to see why it fails; quote paths with spaces; the command runs without a shell'
        : 'check the URL is reachable from here and serves MCP Streamable HTTP (try it with MCP Inspector)',
    );
  } finally {
    await Promise.allSettled([...bindings.values()].map((b) => b.close()));
  }
}

async function checkOpsListen(checks: Checks, config: ClientConfig): Promise<void> {
  const addr = config.health.listenAddr;
  const { host, port } = parseListenAddr(addr);
  if (port === 0) {
    checks.pass('ops_listen', `${addr}: port 0 picks a free port at start (health.url_file tells which)`);
    return;
  }
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, resolve);
    });
    checks.pass('ops_listen', `${addr} is free`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    checks.fail(
      'ops_listen',
      `${addr} cannot be listened on (${code})${code === 'EADDRINUSE' ? ': another process (perhaps a running tunnel-client) holds it' : ''}`,
      'set health.listen_addr (or --health.listen-addr) to a free port, or 127.0.0.1:0 with health.url_file',
    );
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function runDoctor(
  source: RunSource,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DoctorReport> {
  const checks = new Checks();
  const { config, path } = checkConfiguration(checks, source, flags, env);
  if (config) {
    await checkControlPlane(checks, config);
    await checkMainServer(checks, config);
    await checkOpsListen(checks, config);
  }
  const list = checks.list();
  return {
    ok: list.every((c) => c.status === 'pass'),
    config_file: path ?? null,
    tunnel_id: config?.controlPlane.tunnelId ?? null,
    base_url: config?.controlPlane.baseUrl ?? null,
    checks: list,
  };
}

export function renderDoctor(report: DoctorReport, explain: boolean): string {
  const out = [
    `tunnel-client doctor${report.config_file ? ` (${report.config_file})` : ''}${report.base_url ? ` against ${report.base_url}` : ''}`,
    '',
  ];
  for (const check of report.checks) {
    out.push(`${check.status.toUpperCase().padEnd(4)}  ${check.id.padEnd(13)}  ${check.reason}`);
    if (check.fix) out.push(`${' '.repeat(21)}fix: ${check.fix}`);
    if (explain) out.push(`${' '.repeat(21)}what: ${check.meaning}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const skipped = report.checks.filter((c) => c.status === 'skip').length;
  out.push(
    '',
    report.ok
      ? 'All checks passed: tunnel-client run should start and become ready.'
      : `${failed} check${failed === 1 ? '' : 's'} failed${skipped ? `, ${skipped} skipped` : ''}: fix ${failed === 1 ? 'it' : 'them'} and run doctor again.`,
  );
  return `${out.join('\n')}\n`;
}
