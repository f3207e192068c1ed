import type { FastifyInstance } from 'fastify';

/**
 * `GET /healthz`: answers 200 while the process serves HTTP, for liveness probes, container health checks
 * and load balancers. It needs no key and says nothing about the service's data.
 */
export function registerHealth(app: FastifyInstance): void {
  app.get('/healthz', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );
}
