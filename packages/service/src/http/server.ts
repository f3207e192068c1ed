import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
} from 'fastify';
import type { Logger } from 'pino';
import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import { ApiRefusal, JsonRpcRefusal } from './errors.ts';
import { jsonBodyParser } from './json-body.ts';
import { limitConnectionsPerAddress, serverTimeouts } from './connections.ts';
import { noRoute, refusalFor, sendRefusal } from './refusals.ts';
import { authenticateRequest } from './authentication.ts';
import { auditHooks } from './audit.ts';
import type { ServiceContext } from './context.ts';
import { registerTunnelApi } from './tunnel-api.ts';
import { closeStreams, maxStreamFrameBytes, registerTunnelStream } from './tunnel-stream.ts';
import { connectorPlugin } from './connector/plugin.ts';
import { oauthPlugin } from './oauth/plugin.ts';
import { registerManagement } from './management/index.ts';
import { registerConsole } from './console.ts';
import { registerHealth } from './health.ts';

export async function buildServer(context: ServiceContext, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: context.limits.maxBodyBytes,
    return503OnClosing: true,
    ...serverTimeouts(context.limits.connections),
    // Forwarded headers are anyone's to send: believed only from a proxy the operator named.
    trustProxy: context.trustedProxies.length > 0 ? [...context.trustedProxies] : false,
  });
  limitConnectionsPerAddress(app.server, context.limits.connections.maxPerAddress, app.log);

  await app.register(cookie);
  await app.register(websocket, {
    options: { maxPayload: maxStreamFrameBytes(context.limits.maxBodyBytes) },
    preClose: closeStreams,
  });
  app.decorateRequest('principal', null);
  app.decorateRequest('authRefusal', null);
  app.decorateRequest('auditNote', null);
  app.removeAllContentTypeParsers();
  app.decorateRequest('tooDeep', null);
  const parseJson = jsonBodyParser(context.limits.maxJsonDepth);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  app.addContentTypeParser(/^application\/[\w.+-]*\+json$/, { parseAs: 'string' }, parseJson);

  app.addHook('onRequest', (request, reply) => {
    // Every answer is meant as its declared type only: a browser must not sniff an API answer into a page.
    reply.header('x-content-type-options', 'nosniff');
    return authenticateRequest(context, request);
  });
  // Counted by route pattern, never by path: a path names a tunnel, and 18,000 tunnels must not make 18,000
  // series. Only there when metrics are scraped: a hook costs every request its call.
  const { metrics } = context;
  if (metrics)
    app.addHook('onResponse', (request, reply, done) => {
      metrics.httpRequests.inc({
        route: request.routeOptions.url ?? 'none',
        status: String(reply.statusCode),
      });
      done();
    });
  const audit = auditHooks(context);
  app.addHook('onSend', audit.onSend);
  app.addHook('onResponse', audit.onResponse);

  // A hook costs every request its call even when its log line is dropped: only there when it is written.
  if (logger.isLevelEnabled('debug'))
    app.addHook('onResponse', async (request, reply) => {
      request.log.debug(
        {
          method: request.method,
          route: request.routeOptions.url,
          status: reply.statusCode,
          ms: reply.elapsedTime,
        },
        'request',
      );
    });

  // The connector endpoint answers in JSON-RPC: its plugin has its own error and not-found handlers.
  app.setErrorHandler(async (error: FastifyError | ApiRefusal | JsonRpcRefusal, request, reply) =>
    sendRefusal(reply, await refusalFor(error, request, reply, context.limits.maxBodyBytes)),
  );
  app.setNotFoundHandler((request, reply) => sendRefusal(reply, noRoute(request)));

  registerHealth(app);
  registerManagement(app, context);
  registerTunnelApi(app, context);
  registerTunnelStream(app, context);
  await app.register(connectorPlugin, { prefix: '/v1/mcp', context });
  await app.register(oauthPlugin, { context });
  await registerConsole(app);
  return app;
}
