import { spawn } from 'node:child_process';
import { createWriteStream, openSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { MAIN_CHANNEL, buildServerInfo } from '@mcp-tunnel/protocol';
import type { Binding } from '../bindings/binding.ts';
import { HttpBinding } from '../bindings/streamable-http.ts';
import { createMemoryBinding, type InProcessServer } from '../bindings/memory.ts';
import { SessionProcessBudget } from '../bindings/per-session.ts';
import { createStdioBinding } from '../bindings/stdio.ts';
import { waitForListener } from '../bindings/listener-wait.ts';
import { ConfigError } from '../config/errors.ts';
import { controlPlaneHeaders, type ClientConfig } from '../config/schema.ts';
import { ControlPlaneApi, apiErrorText } from '../controlplane/api.ts';
import { Poller, explainRefusal } from '../controlplane/poller.ts';
import { Responder } from '../controlplane/responder.ts';
import { createCommandHandler } from '../dispatch/handler.ts';
import { CommandRouter } from '../dispatch/router.ts';
import { ListenRelay } from '../dispatch/listens.ts';
import { StreamRelay } from '../dispatch/streams.ts';
import { WorkerPool } from '../dispatch/worker-pool.ts';
import { LogLevelControl } from '../observability/log-buffer.ts';
import { startTracing } from '../observability/otlp.ts';
import { createLogger, logBufferOf, type Logger } from '../observability/logger.ts';
import { ClientMetrics } from '../observability/metrics.ts';
import { isSecretName, Redactor } from '../observability/redact.ts';
import { startOpsServer } from '../ops/server.ts';
import { ClientStatus } from '../observability/status.ts';
import { TrafficRecorder } from '../observability/traffic.ts';
import { RenewingAgent, createOutboundAgent } from '../outbound/agents.ts';
import { CLIENT_VERSION } from '../base/version.ts';

export const STARTED_MESSAGE = '🟢 tunnel-client started';

export interface TunnelClientOptions {
  /** MCP servers running in this process, by channel (e.g. an SDK McpServer). */
  servers?: Record<string, InProcessServer>;
  /** Defaults to a pino logger built from `config.log`. */
  logger?: Logger;
  /** Opens the console when admin_ui.open_browser is set; defaults to the desktop's URL opener. */
  openBrowser?: (url: string, log: Logger) => void;
}

export interface TunnelClientHandle {
  readonly instanceId: string;
  /** Base URL of the ops server (/healthz, /readyz, /metrics, /ui). */
  readonly opsUrl: string;
  readonly status: ClientStatus;
  readonly metrics: ClientMetrics;
  /** Resolves once the tunnel service accepted the first poll. */
  readonly started: Promise<void>;
  /** Stops polling, cancels work in flight, stops MCP servers it spawned and closes the ops server. */
  stop(): Promise<void>;
}

/** One binding per configured MCP server, not yet started; `main` must be among them. */
export function createBindings(
  config: ClientConfig,
  options: TunnelClientOptions,
  log: Logger,
  metrics: ClientMetrics,
) {
  const bindings = new Map<string, Binding>();
  const add = (binding: Binding) => {
    if (bindings.has(binding.channel))
      throw new ConfigError(
        `two MCP servers are configured for channel "${binding.channel}"; give each its own channel`,
      );
    bindings.set(binding.channel, binding);
  };
  const sessionBudget = new SessionProcessBudget(config.mcp.maxSessionProcesses);
  for (const { channel, command, sessionMode } of config.mcp.commands) {
    try {
      add(
        createStdioBinding({
          channel,
          command,
          log,
          withheldEnv: config.secretEnvNames,
          onRestart: () => metrics.childRestarts.inc({ channel }),
          startupWaitMs: config.mcp.serverWaitMs,
          sessionMode,
          sessionIdleTimeoutMs: config.mcp.sessionIdleTimeoutMs,
          sessionBudget,
          maxMessageBytes: config.mcp.maxMessageBytes,
        }),
      );
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`mcp.commands (channel ${channel}): ${(error as Error).message}`);
    }
  }
  for (const entry of config.mcp.serverUrls)
    add(
      new HttpBinding(entry.channel, entry.url, log, {
        extraHeaders: config.mcp.extraHeaders,
        probeHeaders: config.mcp.discoveryExtraHeaders,
        maxBodyBytes: config.mcp.maxMessageBytes,
        agent: new RenewingAgent(
          () =>
            createOutboundAgent(config.mcp.outbound, new URL(entry.url), entry, {
              keepAliveTimeout: 30_000,
              headersTimeout: config.mcp.requestTimeoutMs,
              bodyTimeout: config.mcp.requestTimeoutMs,
            }),
          config.mcp.connectionMaxTtlMs,
        ),
      }),
    );
  for (const [channel, server] of Object.entries(options.servers ?? {}))
    add(createMemoryBinding(channel, server, log, config.mcp.serverWaitMs));
  if (bindings.size === 0)
    throw new ConfigError(
      'no MCP server is configured: pass --mcp-command or --mcp-server-url, set MCP_COMMAND or MCP_SERVER_URL, or set mcp.commands / mcp.server_urls in the profile',
    );
  if (!bindings.has(MAIN_CHANNEL))
    throw new ConfigError(
      `no MCP server is configured for channel "main" (configured: ${[...bindings.keys()].join(', ')}): every tunnel needs one; give one entry channel main or leave its channel out`,
    );
  return bindings;
}

/**
 * mcp.startup_wait_timeout: before the first poll, gives the main HTTP MCP server (a sidecar starting
 * beside this client) that long to accept connections. Polling starts either way; readiness reports
 * a server that is still not up.
 */
async function waitForMainServer(config: ClientConfig, log: Logger, signal: AbortSignal): Promise<void> {
  const main = config.mcp.serverUrls.find((entry) => entry.channel === MAIN_CHANNEL);
  const timeoutMs = config.mcp.startupWaitMs;
  if (!main || timeoutMs <= 0) return;
  const up = await waitForListener(main.url, main.unixSocket, timeoutMs, signal);
  if (!up && !signal.aborted)
    log.warn(
      { wait_ms: timeoutMs },
      'the main MCP server did not accept a connection within mcp.startup_wait_timeout; polling anyway',
    );
}

/** Hands the URL to the desktop's opener (open, explorer, xdg-open); a headless machine just logs it. */
function openWithDesktop(url: string, log: Logger): void {
  const opener =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => log.info({ url }, 'open the status page in a browser'));
    child.unref();
  } catch {
    log.info({ url }, 'open the status page in a browser');
  }
}

/** Opens log.file for appending now, so a bad path stops start-up with a clear message. */
function openLogFile(path: string): WriteStream {
  let fd: number;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    throw new ConfigError(
      `log.file ${path} cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'}): create its directory, fix the path or its permissions, or leave log.file unset to log to stderr`,
    );
  }
  return createWriteStream('', { fd });
}

/** Every literal secret in the configuration, so the console can blank it wherever it appears. */
/** Every secret this client was given, so that the console redacts it wherever it shows up. */
function knownSecrets(config: ClientConfig): string[] {
  const urls = [
    config.controlPlane.outbound,
    config.mcp.outbound,
    ...config.mcp.serverUrls.map((entry) => ({ httpProxy: entry.httpProxy, proxyEnv: undefined })),
  ].flatMap((outbound) => [outbound.httpProxy, outbound.proxyEnv?.httpProxy, outbound.proxyEnv?.httpsProxy]);
  return [
    config.controlPlane.apiKey,
    ...Object.values(config.controlPlane.extraHeaders),
    ...Object.values(config.mcp.extraHeaders),
    ...config.secretEnvNames.map((name) => process.env[name] ?? ''),
    ...[...urls, ...config.mcp.serverUrls.map((entry) => entry.url), config.tracing?.url].flatMap(urlSecrets),
  ];
}

/** A URL's password and the values of its secret-looking query parameters (`?api_key=...`). */
function urlSecrets(raw: string | undefined): string[] {
  if (!raw) return [];
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [];
  }
  const secrets = [...url.searchParams].filter(([name]) => isSecretName(name)).map(([, value]) => value);
  if (url.password) secrets.push(url.password, decodeURIComponent(url.password));
  return secrets;
}

/** Starts a tunnel-client in this process. Configuration errors throw ConfigError before anything starts. */
export async function startTunnelClient(
  config: ClientConfig,
  options: TunnelClientOptions = {},
): Promise<TunnelClientHandle> {
  const log =
    options.logger ??
    createLogger(
      { ...config.log, bufferEvents: config.adminUi.logBufferEvents },
      config.log.file ? openLogFile(config.log.file) : undefined,
    );
  for (const warning of config.warnings) log.warn(warning);
  const tracing = await startTracing(config.tracing, log);
  const levels = new LogLevelControl(log);
  const instanceId = randomUUID();
  const metrics = new ClientMetrics();
  const redactor = new Redactor(knownSecrets(config));
  const traffic = new TrafficRecorder({ redactor, capture: config.adminUi.capturePayloads });
  const bindings = createBindings(config, options, log, metrics);
  const info = buildServerInfo(
    [...bindings.values()].map((b) => ({ name: b.channel, procAffinity: b.procAffinity })),
  );
  if (!info.ok) throw new ConfigError(`the configured channels cannot be announced: ${info.reason}`);

  const { tunnelId } = config.controlPlane;
  const status = new ClientStatus(tunnelId, instanceId, () => [...bindings.values()].map((b) => b.status()));
  let ops;
  try {
    ops = await startOpsServer({
      listenAddr: config.health.listenAddr,
      unixSocket: config.health.unixSocket,
      urlFile: config.health.urlFile,
      allowRemote: config.adminUi.allowRemote,
      console: { status, metrics, traffic, logs: logBufferOf(log), levels, config, redactor, log },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const { unixSocket, listenAddr } = config.health;
    throw new ConfigError(
      unixSocket
        ? `health.unix_socket ${unixSocket} cannot be used (${code}): check its directory exists and is writable`
        : `health.listen_addr ${listenAddr} cannot be used (${code}): choose another address, or 127.0.0.1:0 for a free port`,
    );
  }

  const stopping = new AbortController();
  const api = new ControlPlaneApi({
    baseUrl: config.controlPlane.baseUrl,
    urlPath: config.controlPlane.urlPath,
    tunnelId,
    apiKey: config.controlPlane.apiKey,
    instanceId,
    serverInfo: info.header,
    extraHeaders: controlPlaneHeaders(config.controlPlane),
    pollChannels: config.controlPlane.pollChannels,
    pollDeadlineGuardrailMs: config.controlPlane.pollDeadlineGuardrailMs,
    agent: createOutboundAgent(
      config.controlPlane.outbound,
      new URL(config.controlPlane.baseUrl),
      {},
      {
        keepAliveTimeout: 60_000,
        connections: 64,
      },
    ),
  });
  const responder = new Responder(api, log, stopping.signal);
  const streams = new StreamRelay({ bindings, responder, log });
  const work = createCommandHandler({ bindings, responder, metrics, log, traffic, streams });
  const listens = new ListenRelay({ work, responder, log });
  const workers = new WorkerPool({
    capacity: config.controlPlane.maxQueuedRequests,
    concurrency: config.mcp.maxConcurrentRequests,
    work,
    expired: (received) => {
      metrics.commands.inc({ outcome: 'expired', channel: received.command.channel });
      traffic.begin(received.command).finish({ outcome: 'expired' });
      log.info({ request_id: received.command.request_id }, 'command expired in the local queue; dropped');
    },
    changed: (queued, active) => {
      metrics.queued.set(queued);
      metrics.active.set(active);
    },
  });
  const queue = new CommandRouter(workers, streams, listens);

  const pidFile = config.process.pidFile;
  if (pidFile) {
    try {
      writeFileSync(pidFile, `${process.pid}\n`);
    } catch (error) {
      await ops.close();
      throw new ConfigError(
        `process.pid_file ${pidFile} cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'}): fix the path or its permissions`,
      );
    }
  }
  for (const binding of bindings.values()) await binding.start();
  log.info(
    {
      tunnel_id: tunnelId,
      instance_id: instanceId,
      version: CLIENT_VERSION,
      ops_url: ops.url,
      channels: [...bindings.values()].map((b) => `${b.channel}:${b.kind}`),
    },
    'tunnel-client starting',
  );

  void api
    .metadata(stopping.signal)
    .then((reply) => {
      if (reply.status === 200) {
        const name = (reply.body as { name?: unknown } | undefined)?.name;
        if (typeof name === 'string') status.tunnelName = name;
        log.info({ tunnel_id: tunnelId, tunnel_name: status.tunnelName }, 'tunnel found');
      } else if (reply.status === 401 || reply.status === 403) {
        log.error({ status: reply.status }, explainRefusal(reply.status, reply.body).detail);
      } else {
        log.warn({ status: reply.status, reason: apiErrorText(reply.body) }, 'tunnel metadata unavailable');
      }
    })
    .catch((error: unknown) => {
      if (!stopping.signal.aborted)
        log.warn(
          { code: (error as { code?: string }).code },
          'tunnel metadata unavailable: service unreachable',
        );
    });

  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const poller = new Poller({
    api,
    queue,
    status,
    metrics,
    log,
    pollTimeoutMs: config.controlPlane.pollTimeoutMs,
    onFirstSuccess: () => {
      log.info({ tunnel_id: tunnelId }, STARTED_MESSAGE);
      markStarted();
    },
  });
  const polling = waitForMainServer(config, log, stopping.signal)
    .then(() => poller.run(stopping.signal))
    .catch((error: unknown) => {
      log.fatal({ err: error }, 'the poll loop stopped unexpectedly');
    });
  if (config.adminUi.openBrowser && !config.health.unixSocket)
    (options.openBrowser ?? openWithDesktop)(`${ops.url}/ui`, log);

  let stopped: Promise<void> | undefined;
  const opsServer = ops;
  return {
    instanceId,
    opsUrl: ops.url,
    status,
    metrics,
    started,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await polling;
        const unstarted = await queue.stop();
        // The service counts this client gone at once and gives what it never started to another client.
        await api.leave(unstarted).then(
          (reply) => {
            if (reply && reply.status !== 204)
              log.warn(
                { status: reply.status, reason: apiErrorText(reply.body) },
                'the service refused the leave',
              );
          },
          (error: unknown) =>
            log.warn(
              { code: (error as { code?: string }).code },
              'could not tell the service this client is leaving',
            ),
        );
        await Promise.allSettled([...bindings.values()].map((b) => b.close()));
        await opsServer.close();
        await api.close();
        if (pidFile) rmSync(pidFile, { force: true });
        await tracing?.shutdown();
        log.info({ tunnel_id: tunnelId }, 'tunnel-client stopped');
      })();
      return stopped;
    },
  };
}
