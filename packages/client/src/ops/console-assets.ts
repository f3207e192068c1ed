import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));
const require = createRequire(import.meta.url);

/** The console's own modules in ./ui, served as they are (no build step). */
const OWN_FILES = [
  'index.html',
  'app.js',
  'api.js',
  'format.js',
  'filter.js',
  'overview.js',
  'channels.js',
  'traffic.js',
  'logs.js',
  'metrics.js',
  'console.css',
];

/** Third-party browser modules, served from node_modules under /ui/vendor/ (see the import map in index.html). */
function vendorFiles(): Record<string, string> {
  const uplot = dirname(require.resolve('uplot'));
  return {
    'preact.mjs': require.resolve('preact'),
    'hooks.mjs': require.resolve('preact/hooks'),
    'htm.mjs': join(dirname(require.resolve('htm')), 'htm.mjs'),
    'uPlot.esm.js': join(uplot, 'uPlot.esm.js'),
    'uPlot.min.css': join(uplot, 'uPlot.min.css'),
  };
}

/** The Content-Security-Policy of the page: its only inline script is the import map, allowed by hash. */
function pagePolicy(html: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const hash = createHash('sha256').update(importMap).digest('base64');
  return [
    "default-src 'self'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** Read once at start: the files are small and fixed for the life of the process. */
function load(path: string): { body: Buffer; type: string } {
  return { body: readFileSync(path), type: TYPES[path.split('.').pop()!] ?? 'application/octet-stream' };
}

export function registerConsoleAssets(app: FastifyInstance): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of OWN_FILES) files.set(`/ui/${name}`, load(join(UI_DIR, name)));
  for (const [name, path] of Object.entries(vendorFiles())) files.set(`/ui/vendor/${name}`, load(path));
  const page = files.get('/ui/index.html')!;
  const csp = pagePolicy(page.body.toString('utf8'));
  // The console answers at / as well, as Go's client's UI does.
  for (const path of ['/', '/ui'])
    app.get(path, async (_request, reply) =>
      reply
        .type(page.type)
        .header('cache-control', 'no-store')
        .header('content-security-policy', csp)
        .send(page.body),
    );
  for (const [path, file] of files)
    app.get(path, async (_request, reply) =>
      reply
        .type(file.type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .send(file.body),
    );
}
