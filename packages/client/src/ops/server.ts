import { lstatSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { accessHook } from './access.ts';
import { registerConsoleAssets } from './console-assets.ts';
import { registerConsoleRoutes, type ConsoleDeps } from './console-routes.ts';

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
  http: { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1000 },
  requestTimeout: 30_000,
  keepAliveTimeout: 5000,
};

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

/** Probes read text by default, as Go's client answers; a caller that asks for JSON gets JSON. */
function wantsJson(request: FastifyRequest): boolean {
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

/**
 * Health, readiness and metrics for probes and scrapers, and the operator's console (/ and /ui, and
 * /api/*), on loopback or a Unix socket unless configured otherwise. The console answers only callers
 * that pass checkAccess.
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
  const app: FastifyInstance = Fastify({ logger: false, ...SLOW_CALLER_BOUNDS });
  const guard = accessHook({
    allowRemote: options.allowRemote,
    listenHost: options.unixSocket ? 'localhost' : host,
    unixSocket: options.unixSocket !== undefined,
  });
  // Probes and scrapers may come from anywhere the listen address reaches; everything else is the console.
  const open = new Set(['/healthz', '/readyz', '/metrics', '/favicon.ico']);
  app.addHook('onRequest', async (request, reply) => {
    if (!open.has(request.url.split('?')[0]!)) return guard(request, reply);
  });

  app.get('/healthz', async (request, reply) =>
    wantsJson(request) ? reply.send({ status: 'ok' }) : reply.type('text/plain; charset=utf-8').send('live'),
  );
  app.get('/readyz', async (request, reply) => {
    const { ready, reasons } = status.readiness();
    reply.code(ready ? 200 : 503);
    if (wantsJson(request)) return reply.send({ ready, reasons });
    return reply.type('text/plain; charset=utf-8').send(ready ? 'ready' : reasons.join('; ') || 'not ready');
  });
  app.get('/metrics', async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  registerConsoleAssets(app);
  registerConsoleRoutes(app, options.console);

  let url: string;
  if (options.unixSocket) {
    removeStaleSocket(options.unixSocket);
    await app.listen({ path: options.unixSocket });
    url = unixSocketUrl(options.unixSocket);
  } else {
    await app.listen({ host, port });
    const address = app.server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    url = `http://${shownHost}:${address.port}`;
  }
  if (options.urlFile) writeFileSync(options.urlFile, `${url}\n`);
  return { url, close: () => app.close() };
}
