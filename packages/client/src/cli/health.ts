// `tunnel-client health`: probes a running client's /healthz and /readyz (and, when asked, that a poll
// succeeded and the expected process runs), for scripts and probes. Report, text and exit status as Go's.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { Dispatcher } from 'undici';
import { ConfigError } from '../config/errors.ts';
import { SETTINGS } from '../config/schema.ts';
import { EXIT_NOT_OK, guarded } from './exit.ts';

interface EndpointProbe {
  url: string;
  status?: number;
  ok: boolean;
  body?: string;
  error?: string;
}

export interface HealthReport {
  locator: {
    kind: 'url' | 'url_file' | 'port';
    url?: string;
    url_file?: string;
    port?: number;
    resolved_base_url?: string;
    error?: string;
  };
  process?: { pid?: number; pid_file?: string; running: boolean; error?: string };
  base_url?: string;
  ui_url?: string;
  healthz: EndpointProbe;
  readyz: EndpointProbe & { reasons: string[] };
  control_plane_poll?: { url?: string; value?: number; ok: boolean; error?: string };
  result: 'ok' | 'fail';
}

export interface HealthOptions {
  url?: string;
  urlFile?: string;
  port?: string;
  host?: string;
  pid?: string;
  pidFile?: string;
  requireControlPlanePoll?: boolean;
}

const PROBE_TIMEOUT_MS = 5000;
const DEFAULT_OPS_ADDRESS = String(SETTINGS.find((s) => s.key === 'health.listen_addr')!.defaultValue);
/** Go's metric: 0 until the tunnel service accepted a poll, then the Unix time of the last one. */
export const LAST_POLL_METRIC = 'commands_poll_last_successful_timestamp_seconds';

/** A base URL from what the operator gave: a URL, or its /healthz or /readyz (or /ui) endpoint. */
function normalize(raw: string): string {
  return raw.trim().replace(/\/(healthz|readyz|ui)?\/?$/, '');
}

export function checkHealthOptions(options: HealthOptions): void {
  const given = [options.url, options.urlFile, options.port].filter(
    (v) => v !== undefined && v.trim() !== '',
  );
  if (given.length > 1) throw new ConfigError('choose at most one of --url, --url-file, or --port');
  if (options.port !== undefined && !/^\d{1,5}$/.test(options.port))
    throw new ConfigError(`--port ${options.port} is not a port number (1 to 65535)`);
  if (options.pid !== undefined && !/^\d+$/.test(options.pid))
    throw new ConfigError(`--pid ${options.pid} is not a process id`);
  if (options.pid !== undefined && options.pidFile !== undefined)
    throw new ConfigError('choose at most one of --pid or --pid-file');
}

function locate(options: HealthOptions): HealthReport['locator'] {
  if (options.url !== undefined) {
    const base = normalize(options.url);
    return { kind: 'url', url: options.url.trim(), resolved_base_url: base || undefined };
  }
  if (options.urlFile !== undefined) {
    const locator: HealthReport['locator'] = { kind: 'url_file', url_file: options.urlFile };
    try {
      const base = normalize(readFileSync(options.urlFile, 'utf8'));
      if (base) locator.resolved_base_url = base;
      else locator.error = `${options.urlFile} did not contain a health URL`;
    } catch (error) {
      locator.error = `read ${options.urlFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}; is the client running with health.url_file set to it?`;
    }
    return locator;
  }
  // Without --url, --url-file or --port: the default health.listen_addr, where a client started without
  // settings listens.
  const [defaultHost, defaultPort] = DEFAULT_OPS_ADDRESS.split(':') as [string, string];
  const port = Number(options.port ?? defaultPort);
  const host = options.host ?? defaultHost;
  return {
    kind: 'port',
    port,
    resolved_base_url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
  };
}

/** Where requests go: a TCP base URL as it is, or Go's http+unix://<base64url path> over the socket. */
interface Via {
  requestBase: string;
  agent: Dispatcher | undefined;
}

async function target(base: string): Promise<Via> {
  const unix = /^http\+unix:\/\/([^/]+)$/.exec(base);
  if (!unix) return { requestBase: base, agent: undefined };
  const socketPath = Buffer.from(unix[1]!, 'base64url').toString('utf8');
  const { Agent } = await import('undici');
  return { requestBase: 'http://localhost', agent: new Agent({ connect: { socketPath } }) };
}

async function fetchText(
  url: string,
  via: Via,
  path: string,
): Promise<{ status: number; body: string } | { error: string }> {
  // undici loads only when a probe runs: the CLI's other commands and its help do without it.
  const { request } = await import('undici');
  try {
    const response = await request(`${via.requestBase}${path}`, {
      dispatcher: via.agent,
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    return { status: response.statusCode, body: (await response.body.text()).trim() };
  } catch (error) {
    const code = (error as { code?: string }).code;
    return {
      error:
        (error as Error).name === 'TimeoutError' || code === 'UND_ERR_ABORTED'
          ? `no answer from ${url} within ${PROBE_TIMEOUT_MS} ms`
          : (code ?? (error as Error).message),
    };
  }
}

async function probeEndpoint(base: string, via: Via, path: string): Promise<EndpointProbe> {
  const url = `${base}${path}`;
  const answer = await fetchText(url, via, path);
  if ('error' in answer) return { url, ok: false, error: answer.error };
  return { url, status: answer.status, ok: answer.status === 200, body: answer.body.slice(0, 1024) };
}

async function probeLastPoll(base: string, via: Via) {
  const url = `${base}/metrics`;
  const answer = await fetchText(url, via, '/metrics');
  if ('error' in answer) return { url, ok: false, error: answer.error };
  if (answer.status !== 200) return { url, ok: false, error: `HTTP ${answer.status}` };
  const line = answer.body
    .split('\n')
    .find((l) => l.startsWith(`${LAST_POLL_METRIC} `) || l.startsWith(`${LAST_POLL_METRIC}{`));
  const value = line ? Number(line.trim().split(/\s+/).pop()) : NaN;
  if (Number.isNaN(value)) return { url, ok: false, error: `missing ${LAST_POLL_METRIC} metric` };
  return value > 0
    ? { url, value, ok: true }
    : { url, value, ok: false, error: 'no successful control-plane poll observed' };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function checkProcess(options: HealthOptions): HealthReport['process'] {
  if (options.pidFile === undefined) {
    const pid = Number(options.pid);
    return { pid, running: isRunning(pid) };
  }
  let text: string;
  try {
    text = readFileSync(options.pidFile, 'utf8').trim();
  } catch (error) {
    return {
      pid_file: options.pidFile,
      running: false,
      error: `read ${options.pidFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    };
  }
  const pid = Number(text);
  if (!/^\d+$/.test(text) || pid <= 0)
    return { pid_file: options.pidFile, running: false, error: `parse ${options.pidFile} as pid: "${text}"` };
  return { pid, pid_file: options.pidFile, running: isRunning(pid) };
}

export async function inspectHealth(options: HealthOptions): Promise<HealthReport> {
  checkHealthOptions(options);
  const locator = locate(options);
  const report: HealthReport = {
    locator,
    healthz: { url: '', ok: false },
    readyz: { url: '', ok: false, reasons: [] },
    result: 'fail',
  };
  const base = locator.resolved_base_url;
  if (base) {
    const via = await target(base);
    try {
      report.base_url = base;
      report.ui_url = `${base}/ui`;
      report.healthz = await probeEndpoint(base, via, '/healthz');
      const readyz = await probeEndpoint(base, via, '/readyz');
      const reasons = readyz.ok || !readyz.body ? [] : readyz.body.split('; ');
      report.readyz = { ...readyz, reasons };
      if (options.requireControlPlanePoll) report.control_plane_poll = await probeLastPoll(base, via);
    } finally {
      await via.agent?.close();
    }
  }
  if (options.pid !== undefined || options.pidFile !== undefined) report.process = checkProcess(options);
  const ok =
    !locator.error &&
    report.healthz.ok &&
    report.readyz.ok &&
    (!report.process || (!report.process.error && report.process.running)) &&
    (!report.control_plane_poll || report.control_plane_poll.ok);
  report.result = ok ? 'ok' : 'fail';
  return report;
}

function endpointLine(label: string, probe: EndpointProbe): string {
  const parts = [probe.ok ? 'PASS' : 'FAIL', probe.url];
  if (probe.status !== undefined) parts.push(`HTTP ${probe.status}`);
  if (probe.error) parts.push(probe.error);
  else if (probe.body) parts.push(probe.body);
  return `${label}: ${parts.filter(Boolean).join(' | ')}`;
}

export function renderHealth(report: HealthReport): string {
  const { locator } = report;
  const where =
    locator.kind === 'url'
      ? `url=${locator.url}`
      : locator.kind === 'url_file'
        ? `url_file=${locator.url_file}`
        : `port=${locator.port}`;
  const lines = [`Locator: ${where}`];
  if (locator.error) lines.push(`Locator error: ${locator.error}`);
  if (report.base_url) lines.push(`Base URL: ${report.base_url}`, `UI URL: ${report.ui_url}`);
  if (report.base_url)
    lines.push(endpointLine('Healthz', report.healthz), endpointLine('Readyz', report.readyz));
  const poll = report.control_plane_poll;
  if (poll)
    lines.push(
      `Control-plane poll: ${[poll.ok ? 'PASS' : 'FAIL', poll.url, poll.ok ? `last_success_unix_seconds=${Math.round(poll.value!)}` : poll.error].filter(Boolean).join(' | ')}`,
    );
  const proc = report.process;
  if (proc) {
    const pidFile = proc.pid_file ? ` | pid_file=${proc.pid_file}` : '';
    lines.push(
      proc.error
        ? `Process: FAIL${pidFile} | ${proc.error}`
        : `Process: ${proc.running ? 'PASS' : 'FAIL'} | pid=${proc.pid}${pidFile}`,
    );
  }
  lines.push(`Result: ${report.result.toUpperCase()}`);
  return `${lines.join('\n')}\n`;
}

export function healthCommand(): Command {
  return new Command('health')
    .description(
      "probe a running client's /healthz and /readyz: exit 0 when ok, 2 when not (1 on a usage error)",
    )
    .option(
      '--url <url>',
      'ops server base URL (or its /healthz or /readyz URL; http+unix://... for a Unix socket)',
    )
    .option('--url-file <file>', 'file the client wrote its ops URL to (health.url_file)')
    .option('--port <n>', 'ops server port on loopback (health.listen_addr)')
    .option('--host <host>', 'ops server host, with --port', '127.0.0.1')
    .option('--pid <pid>', 'also check that this process runs')
    .option('--pid-file <file>', 'also check that the process in this file (pid.file) runs')
    .option('--require-control-plane-poll', 'also require that the tunnel service accepted a poll')
    .option('--json', 'print the report as JSON')
    .action(
      guarded(async (opts: HealthOptions & { json?: boolean }) => {
        const report = await inspectHealth(opts);
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderHealth(report));
        if (report.result !== 'ok') process.exitCode = EXIT_NOT_OK;
      }),
    );
}
