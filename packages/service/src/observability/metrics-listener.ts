import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ServiceMetrics } from './metrics.ts';

export interface MetricsListener {
  /** `http://host:port/metrics`, with the real port when 0 was asked for. */
  url: string;
  close(): Promise<void>;
}

/**
 * `GET /metrics` on an address of its own (--metrics-host, --metrics-port), apart from the service's
 * public port: a scrape needs no key, so it is reached only where the operator opens it (loopback by
 * default, a pod's network, a private interface).
 */
export async function listenForScrapes(
  metrics: ServiceMetrics,
  host: string,
  port: number,
  logger: Logger,
): Promise<MetricsListener> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`Nothing at ${request.method} ${path}: this address serves GET /metrics only.\n`);
      return;
    }
    metrics.scrape().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.registry.contentType });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'could not collect the metrics');
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('The metrics could not be collected; the service log says why.\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    const refused = (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `the metrics address ${host}:${port} is already in use (EADDRINUSE); choose another --metrics-port`
            : `the metrics listener cannot listen on ${host}:${port} (${error.message}); check --metrics-host and --metrics-port`,
        ),
      );
    server.once('error', refused);
    server.listen({ host, port }, () => {
      server.off('error', refused);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
