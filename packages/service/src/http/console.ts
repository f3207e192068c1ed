import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

/** Where `npm run build` puts the web console (vite build of packages/service/console). */
export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url));

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>tunnel-service console not built</title></head>
<body>
<main>
<h1>The web console is not built</h1>
<p>This tunnel-service has no console files. In the mcp-tunnel checkout run <code>npm run build</code>,
then reload this page. The API under <code>/v1</code> works without the console.</p>
</main>
</body>
</html>
`;

/**
 * The console runs only its own bundle and talks only to this service: no inline script, no other origin,
 * no plugins, and no page may be framed (the consent page's Approve must not be clicked through a
 * disguise). Tool results may show images and audio as data: URLs.
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function consoleHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CONSOLE_CSP);
  reply.header('x-frame-options', 'DENY');
  reply.header('x-content-type-options', 'nosniff');
}

/** Serves the built console at /console/ (hash routing, so one index.html) and sends `/` there. */
export async function registerConsole(app: FastifyInstance, distDir = CONSOLE_DIST): Promise<void> {
  app.get('/', (_request, reply) => reply.redirect('/console/'));
  if (!existsSync(distDir)) {
    const notBuilt = (_request: unknown, reply: FastifyReply) => {
      consoleHeaders(reply);
      return reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    };
    app.get('/console', notBuilt);
    app.get('/console/*', notBuilt);
    return;
  }
  app.get('/console', (_request, reply) => reply.redirect('/console/'));
  const hashedAssets = join(distDir, 'assets', sep);
  await app.register(fastifyStatic, {
    root: distDir,
    prefix: '/console/',
    // Hashed asset names change with every build; index.html and the icon keep their names.
    setHeaders: (reply, path) => {
      consoleHeaders(reply);
      reply.header(
        'cache-control',
        path.startsWith(hashedAssets)
          ? 'public, max-age=31536000, immutable'
          : path.endsWith('.html')
            ? 'no-cache'
            : 'public, max-age=86400',
      );
    },
  });
  // Browsers ask for /favicon.ico on pages that name no icon, such as an API answer opened in a tab.
  app.get('/favicon.ico', (_request, reply) => reply.sendFile('favicon.svg'));
}
