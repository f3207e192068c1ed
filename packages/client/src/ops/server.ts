import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { accessHook } from './access.ts';
import { registerConsoleAssets } from './console-assets.ts';
import { registerConsoleRoutes, type ConsoleDeps } from './console-routes.ts';

export interface OpsServer {
  /** Base URL such as http://127.0.0.1:8080, with the real port when 0 was asked for. */
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

/**
 * Health, readiness and metrics for probes and scrapers, and the operator's console (/ui and /api/*),
 * on loopback unless configured otherwise. The console answers only callers that pass checkAccess.
 */
export async function startOpsServer(options: {
  listenAddr: string;
  urlFile: string | undefined;
  /** admin_ui.allow_remote */
  allowRemote: boolean;
  console: ConsoleDeps;
}): Promise<OpsServer> {
  const { status, metrics } = options.console;
  const { host, port } = parseListenAddr(options.listenAddr);
  const app: FastifyInstance = Fastify({ logger: false, ...SLOW_CALLER_BOUNDS });
  const guard = accessHook({ allowRemote: options.allowRemote, listenHost: host });
  // Probes and scrapers may come from anywhere the listen address reaches; everything else is the console.
  const open = new Set(['/healthz', '/readyz', '/metrics', '/']);
  app.addHook('onRequest', async (request, reply) => {
    if (!open.has(request.url.split('?')[0]!)) return guard(request, reply);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const { ready, reasons } = status.readiness();
    return reply.code(ready ? 200 : 503).send({ ready, reasons });
  });
  app.get('/metrics', async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  registerConsoleAssets(app);
  registerConsoleRoutes(app, options.console);
  app.get('/', async (_req, reply) => reply.redirect('/ui'));

  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  if (options.urlFile) writeFileSync(options.urlFile, `${url}\n`);
  return { url, close: () => app.close() };
}
