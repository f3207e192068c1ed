import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { accessHook, type AccessPolicy } from './access.ts';
import { registerConsoleAssets } from './console-assets.ts';
import { registerConsoleRoutes, type ConsoleDeps } from './console-routes.ts';

export interface ConsoleApp {
  app: FastifyInstance;
  /** Answers one request the ops server passed on. */
  handle: (request: IncomingMessage, response: ServerResponse) => void;
}

/**
 * The operator's console (/ and /ui, and /api/*) as a Fastify app on the ops server's listener, which
 * hands it every request it does not answer itself. Every request passes the access policy first.
 */
export async function createConsoleApp(
  server: Server,
  policy: AccessPolicy,
  deps: ConsoleDeps,
): Promise<ConsoleApp> {
  let handle: ConsoleApp['handle'] | undefined;
  const app = Fastify({
    logger: false,
    // The ops server owns the listener and its bounds on slow callers; Fastify routes what it is given.
    serverFactory: (handler) => {
      handle = handler;
      return server;
    },
  });
  app.addHook('onRequest', accessHook(policy));
  registerConsoleAssets(app);
  registerConsoleRoutes(app, deps);
  await app.ready();
  return { app, handle: handle! };
}
