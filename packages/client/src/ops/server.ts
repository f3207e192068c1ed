import { lstatSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessPolicy } from './access.ts';
import type { ConsoleApp } from './console-app.ts';
import type { ConsoleDeps } from './console-routes.ts';

export interface OpsServer {
  /**
   * Base URL such as http://127.0.0.1:8080, with the real port when 0 was asked for; on a Unix socket,
   * http+unix://<socket path, base64url> as Go's client writes it.
   */
  url: string;
  close(): Promise<void>;
}

/**
 * A caller that trickles its headers or body in, or leaves a connection idle, is disconnected (408 for a
 * request), so slow connections cannot pile up; probes and the console send small requests. Node checks
 * these every `connectionsCheckingInterval`.
 */
const SLOW_CALLER_BOUNDS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  connectionsCheckingInterval: 1000,
};
const KEEP_ALIVE_TIMEOUT_MS = 5000;

export function parseListenAddr(addr: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(addr);
  if (!match) throw new Error(`listen address ${addr} is not host:port`);
  const host = match[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return { host, port: Number(match[2]) };
}

/** The base URL of an ops server on a Unix socket, in Go's form. */
export function unixSocketUrl(path: string): string {
  return `http+unix://${Buffer.from(path).toString('base64url')}`;
}

const TEXT_TYPE = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/** Probes read text by default, as Go's client answers; a caller that asks for JSON gets JSON. */
function wantsJson(request: IncomingMessage): boolean {
  return /\bapplication\/json\b/i.test(String(request.headers.accept ?? ''));
}

/** A socket file left by an earlier run would stop the listen; anything else at the path is not ours to remove. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) rmSync(path);
  } catch {
    // Nothing there.
  }
}

/** One answer of the ops server's own: a status, a content type and a body. */
function answer(response: ServerResponse, status: number, type: string | undefined, body: string): void {
  response.writeHead(status, {
    ...(type && { 'content-type': type, 'content-length': Buffer.byteLength(body) }),
  });
  response.end(body);
}

/**
 * Health, readiness and metrics for probes and scrapers, answered by Node's HTTP server itself; the
 * operator's console (/ and /ui, and /api/*) on the same listener, loaded at its first request (Fastify,
 * the routes and the page's files are not needed by a client nobody looks at). On loopback or a Unix
 * socket unless configured otherwise. The console answers only callers that pass checkAccess.
 */
export async function startOpsServer(options: {
  listenAddr: string;
  /** health.unix_socket: listen here instead of listenAddr. */
  unixSocket?: string;
  urlFile: string | undefined;
  /** admin_ui.allow_remote */
  allowRemote: boolean;
  console: ConsoleDeps;
}): Promise<OpsServer> {
  const { status, metrics } = options.console;
  const { host, port } = parseListenAddr(options.listenAddr);
  const policy: AccessPolicy = {
    allowRemote: options.allowRemote,
    listenHost: options.unixSocket ? 'localhost' : host,
    unixSocket: options.unixSocket !== undefined,
  };
  // Probes and scrapers may come from anywhere the listen address reaches; everything else is the console.
  const probes: Record<string, (request: IncomingMessage, response: ServerResponse) => Promise<void> | void> =
    {
      '/healthz': (request, response) =>
        wantsJson(request)
          ? answer(response, 200, JSON_TYPE, JSON.stringify({ status: 'ok' }))
          : answer(response, 200, TEXT_TYPE, 'live'),
      '/readyz': (request, response) => {
        const { ready, reasons } = status.readiness();
        const code = ready ? 200 : 503;
        if (wantsJson(request)) return answer(response, code, JSON_TYPE, JSON.stringify({ ready, reasons }));
        answer(response, code, TEXT_TYPE, ready ? 'ready' : reasons.join('; ') || 'not ready');
      },
      '/metrics': async (_request, response) =>
        answer(response, 200, metrics.registry.contentType, await metrics.exposition()),
      '/favicon.ico': (_request, response) => answer(response, 204, undefined, ''),
    };
  let consoleApp: Promise<ConsoleApp> | undefined;
  const server = createServer(SLOW_CALLER_BOUNDS, (request, response) => {
    const probe = probes[(request.url ?? '/').split('?')[0]!];
    if (probe && (request.method === 'GET' || request.method === 'HEAD')) {
      void Promise.resolve(probe(request, response)).catch(() => answer(response, 500, TEXT_TYPE, 'failed'));
      return;
    }
    consoleApp ??= import('./console-app.ts').then(({ createConsoleApp }) =>
      createConsoleApp(server, policy, options.console),
    );
    consoleApp.then(
      ({ handle }) => handle(request, response),
      () => answer(response, 500, TEXT_TYPE, 'the console could not be loaded'),
    );
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  const listening = new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  let url: string;
  if (options.unixSocket) {
    removeStaleSocket(options.unixSocket);
    server.listen(options.unixSocket);
    await listening;
    url = unixSocketUrl(options.unixSocket);
  } else {
    server.listen(port, host);
    await listening;
    const address = server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    url = `http://${shownHost}:${address.port}`;
  }
  if (options.urlFile) writeFileSync(options.urlFile, `${url}\n`);
  return {
    url,
    async close() {
      // The console ends its open event streams before the listener stops taking connections.
      if (consoleApp) await (await consoleApp).app.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
