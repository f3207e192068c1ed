import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import Fastify from 'fastify';
import { startService } from '../../../test/support/service-process.ts';
import { CONSOLE_DIST, registerConsole } from '../src/http/console.ts';

test(
  'the service serves the built console at /console/ and sends / there',
  { timeout: 60_000 },
  async (t) => {
    if (!existsSync(CONSOLE_DIST)) return t.skip('console not built: run npm run build');
    const service = await startService();
    try {
      const root = await fetch(new URL('/', service.url), { redirect: 'manual' });
      assert.equal(root.status, 302);
      assert.equal(root.headers.get('location'), '/console/');
      const page = await fetch(new URL('/console/', service.url));
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<div id="app">/);
      const script = html.match(/src="(\/console\/assets\/[^"]+\.js)"/)?.[1];
      assert.ok(script, 'index.html references its bundle');
      const bundle = await fetch(new URL(script, service.url));
      assert.equal(bundle.status, 200);
      assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
      assert.match(bundle.headers.get('cache-control') ?? '', /immutable/);
      assert.equal(page.headers.get('cache-control'), 'no-cache');
      // The console names its icon, and /favicon.ico answers for pages that name none.
      const icon = html.match(/<link rel="icon" type="image\/svg\+xml" href="([^"]+)"/)?.[1];
      assert.equal(icon, '/console/favicon.svg');
      for (const path of [icon, '/favicon.ico']) {
        const answer = await fetch(new URL(path, service.url));
        assert.equal(answer.status, 200, path);
        assert.match(answer.headers.get('content-type') ?? '', /^image\/svg\+xml/, path);
        assert.match(await answer.text(), /^<svg /, path);
        // Not named after its content, so not cached for good.
        assert.equal(answer.headers.get('cache-control'), 'public, max-age=86400', path);
      }
      // Every file of the console may run only the console's own code and may not be framed; nothing is sniffed.
      for (const answer of [page, bundle, await fetch(new URL('/favicon.ico', service.url))]) {
        const csp = answer.headers.get('content-security-policy') ?? '';
        for (const directive of [
          "default-src 'self'",
          "script-src 'self'",
          "object-src 'none'",
          "base-uri 'none'",
          "frame-ancestors 'none'",
        ])
          assert.ok(csp.includes(directive), `${answer.url}: ${directive} in ${csp}`);
        assert.equal(answer.headers.get('x-frame-options'), 'DENY', answer.url);
        assert.equal(answer.headers.get('x-content-type-options'), 'nosniff', answer.url);
      }
      const api = await fetch(new URL('/v1/tunnels', service.url));
      assert.equal(
        api.headers.get('x-content-type-options'),
        'nosniff',
        'API answers are not sniffed either',
      );
      // The API still needs a key: the console's files are the only public paths.
      assert.equal((await fetch(new URL('/v1/tunnels', service.url))).status, 401);
    } finally {
      await service.stop();
    }
  },
);

test('without a built console, /console says to run npm run build', { timeout: 10_000 }, async () => {
  const app = Fastify();
  await registerConsole(app, '/nonexistent/console/dist/');
  const response = await app.inject({ method: 'GET', url: '/console/' });
  assert.equal(response.statusCode, 503);
  assert.match(response.body, /npm run build/);
  assert.match(response.headers['content-security-policy'] as string, /frame-ancestors 'none'/);
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  await app.close();
});
