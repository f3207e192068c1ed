import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * One package's import rules, as ARCHITECTURE.md writes them down. `uses` names the workspace packages
 * it may import (by their package name or a relative path); any other package of ours, or any other
 * file outside the package, is refused. `layers` are its layer folders under src/, each with the layers
 * it `uses`: a layer may import its own files, the layers it names and the packages the package uses,
 * so a lower layer importing a higher one fails. The package's other code (src/index.ts, bin/) may
 * import any of its layers. Every refusal names the rule and where it is written down. Another
 * package adds its rules as one more `packageBoundaries(...)` entry below.
 */
function packageBoundaries({ name, root, uses = [], layers = [] }) {
  const packages = uses.map((used) => ({ type: `@mcp-tunnel/${used}`, pattern: `packages/${used}` }));
  // src/index.ts and bin/: what the package offers; they may use every layer of it.
  const own = [...layers.map((layer) => layer.name), 'entry points'];
  const theirs = packages.map((used) => used.type);
  const ours = `@mcp-tunnel/${uses.length ? `!(${uses.join('|')})` : '*'}`;
  const outside = `${root} may import nothing of ours from outside it${uses.length ? ` but ${uses.map((used) => `packages/${used}`).join(', ')}` : ''} (see ARCHITECTURE.md, packages)`;
  return {
    // The package's code; its tests may also use the shared test support (test/support).
    files: [`${root}/{src,bin}/**/*.{ts,js}`],
    plugins: { boundaries },
    settings: {
      // The first pattern that matches a file names its element.
      'boundaries/elements': [
        ...layers.map((layer) => ({ type: layer.name, pattern: `${root}/src/${layer.name}` })),
        { type: 'entry points', pattern: root },
        ...packages,
        { type: 'outside', pattern: '*' },
      ].map((element) => ({ ...element, partialMatch: false, stopMatching: true })),
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          // Imports by package name are checked too: other packages are allowed, ours are not.
          checkAllOrigins: true,
          message: `${name} layer '{{from.element.type}}' may not import '{{to.element.type}}' (see ARCHITECTURE.md, ${name} layers)`,
          policies: [
            ...layers.map((layer) => ({
              from: { element: { type: layer.name } },
              allow: { to: { element: { types: { anyOf: [layer.name, ...layer.uses, ...theirs] } } } },
            })),
            {
              from: { element: { type: 'entry points' } },
              allow: { to: { element: { types: { anyOf: [...own, ...theirs] } } } },
            },
            { allow: { to: { module: { origin: ['external', 'core'] } } } },
            {
              disallow: { to: { element: { type: 'outside' }, module: { origin: 'local' } } },
              message: outside,
            },
            { disallow: { to: { module: { origin: 'external', source: ours } } }, message: outside },
          ],
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'packages/service/console/dist/**', 'release/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The ops console's browser modules (served as they are, no build step).
    files: ['packages/client/src/ops/ui/**/*.js'],
    languageOptions: {
      globals: {
        document: 'readonly',
        location: 'readonly',
        history: 'readonly',
        fetch: 'readonly',
        EventSource: 'readonly',
        addEventListener: 'readonly',
        removeEventListener: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // packages/protocol is the wire contract both halves share: it imports nothing of ours.
  packageBoundaries({ name: 'protocol', root: 'packages/protocol' }),
  packageBoundaries({
    name: 'client',
    root: 'packages/client',
    uses: ['protocol'],
    // Lowest first; see ARCHITECTURE.md, client layers.
    layers: [
      { name: 'base', uses: [] },
      { name: 'config', uses: ['base'] },
      { name: 'observability', uses: ['config', 'base'] },
      { name: 'outbound', uses: ['config', 'base'] },
      { name: 'bindings', uses: ['observability', 'outbound', 'config', 'base'] },
      { name: 'controlplane', uses: ['observability', 'config', 'base'] },
      { name: 'dispatch', uses: ['bindings', 'controlplane', 'observability', 'config', 'base'] },
      { name: 'ops', uses: ['observability', 'config', 'base'] },
      {
        name: 'runtime',
        uses: ['ops', 'dispatch', 'controlplane', 'bindings', 'outbound', 'observability', 'config', 'base'],
      },
      {
        name: 'cli',
        uses: ['runtime', 'ops', 'controlplane', 'bindings', 'outbound', 'observability', 'config', 'base'],
      },
    ],
  }),
  packageBoundaries({
    name: 'service',
    root: 'packages/service',
    uses: ['protocol'],
    // Lowest first; see ARCHITECTURE.md, service layers.
    layers: [
      { name: 'config', uses: [] },
      { name: 'observability', uses: [] },
      { name: 'store', uses: [] },
      { name: 'broker', uses: [] },
      { name: 'auth', uses: ['store'] },
      { name: 'http', uses: ['auth', 'broker', 'store', 'observability'] },
      { name: 'runtime', uses: ['http', 'auth', 'broker', 'store', 'config', 'observability'] },
      { name: 'cli', uses: ['runtime', 'auth', 'store', 'config'] },
    ],
  }),
);
