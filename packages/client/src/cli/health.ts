// `tunnel-client health`: asks a running client's ops server whether it is ready, for scripts and probes.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError } from '../config/errors.ts';
import { SETTINGS } from '../config/schema.ts';
import { EXIT_FAILED, EXIT_USAGE, guarded } from './exit.ts';

export interface HealthResult {
  ops_url: string;
  /** ready: /readyz said 200; not_ready: it answered otherwise; unreachable: no answer. */
  state: 'ready' | 'not_ready' | 'unreachable';
  http_status: number | null;
  reasons: string[];
  error: string | null;
}

export const HEALTH_EXIT: Record<HealthResult['state'], number> = {
  ready: 0,
  not_ready: EXIT_FAILED,
  unreachable: EXIT_USAGE,
};

const PROBE_TIMEOUT_MS = 5000;
const DEFAULT_OPS_ADDRESS = String(SETTINGS.find((s) => s.key === 'health.listen_addr')!.defaultValue);

export function opsUrlFrom(options: {
  url?: string;
  urlFile?: string;
  port?: string;
  host?: string;
}): string {
  const given = [options.url, options.urlFile, options.port].filter((v) => v !== undefined);
  if (given.length > 1) throw new ConfigError('give only one of --url URL, --url-file FILE or --port N');
  // Without any, the client's default health.listen_addr, where a client started without settings listens.
  if (given.length === 0) return `http://${DEFAULT_OPS_ADDRESS}`;
  if (options.url !== undefined) {
    // The base URL, or one of its endpoints pasted from a browser.
    const base = options.url.trim().replace(/\/(healthz|readyz|ui)?\/?$/, '');
    if (!/^https?:\/\/[^/\s]+$/.test(base))
      throw new ConfigError(`--url "${options.url}" is not an ops server URL like http://127.0.0.1:8080`);
    return base;
  }
  if (options.urlFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.urlFile, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(
        `cannot read ${options.urlFile} (${(error as NodeJS.ErrnoException).code ?? 'error'}): is the client running with health.url_file set to it?`,
      );
    }
    if (!/^https?:\/\/\S+$/.test(text))
      throw new ConfigError(`${options.urlFile} does not hold an ops URL like http://127.0.0.1:8080`);
    return text.replace(/\/+$/, '');
  }
  const port = Number(options.port);
  if (!/^\d{1,5}$/.test(options.port!) || port < 1 || port > 65535)
    throw new ConfigError(`--port ${options.port} is not a port number (1 to 65535)`);
  const host = options.host ?? '127.0.0.1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function probeHealth(opsUrl: string): Promise<HealthResult> {
  const result: HealthResult = {
    ops_url: opsUrl,
    state: 'unreachable',
    http_status: null,
    reasons: [],
    error: null,
  };
  let response: Response;
  try {
    response = await fetch(`${opsUrl}/readyz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    result.error =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${PROBE_TIMEOUT_MS} ms`
        : (cause?.code ?? (error as Error).message);
    return result;
  }
  result.http_status = response.status;
  const body = (await response.json().catch(() => undefined)) as
    { ready?: unknown; reasons?: unknown } | undefined;
  if (typeof body?.ready !== 'boolean') {
    result.error = `${opsUrl}/readyz answered ${response.status} without a readiness document: is this a tunnel-client ops server?`;
    return result;
  }
  result.state = response.ok && body.ready ? 'ready' : 'not_ready';
  if (Array.isArray(body.reasons)) result.reasons = body.reasons.map(String);
  return result;
}

export function renderHealth(result: HealthResult): string {
  const lines = [`ops server:  ${result.ops_url}`];
  if (result.state === 'unreachable') {
    lines.push(`state:       unreachable (${result.error})`);
    lines.push('fix:         start the client, or check --port/--host/--url-file match health.listen_addr');
  } else {
    lines.push(
      `state:       ${result.state === 'ready' ? 'ready' : 'not ready'} (HTTP ${result.http_status})`,
    );
    for (const reason of result.reasons) lines.push(`reason:      ${reason}`);
  }
  return `${lines.join('\n')}\n`;
}

export function healthCommand(): Command {
  return new Command('health')
    .description("probe a running client's ops server (/readyz): exit 0 ready, 1 not ready, 2 unreachable")
    .option(
      '--url <url>',
      'ops server base URL (or its /readyz URL); without --url, --url-file or --port: http://127.0.0.1:8080',
    )
    .option('--url-file <file>', 'file the client wrote its ops URL to (health.url_file)')
    .option('--port <n>', 'ops server port (health.listen_addr)')
    .option('--host <host>', 'ops server host, with --port', '127.0.0.1')
    .option('--json', 'print JSON')
    .action(
      guarded(
        async (opts: { url?: string; urlFile?: string; port?: string; host?: string; json?: boolean }) => {
          const result = await probeHealth(opsUrlFrom(opts));
          process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : renderHealth(result));
          process.exitCode = HEALTH_EXIT[result.state];
        },
      ),
    );
}
