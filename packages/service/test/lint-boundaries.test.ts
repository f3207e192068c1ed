// The service's layer rules of ARCHITECTURE.md, as `npm run lint` enforces them: code given to ESLint in
// memory, as if it were a file of the named layer, is refused or accepted by the project's configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundaryRefusals } from '../../../test/support/lint-boundaries.ts';

const inLayer = (layer: string, imports: string[]) =>
  boundaryRefusals(`packages/service/src/${layer}/example.ts`, `${imports.join('\n')}\n`);

test(
  'a lower service layer importing a higher one fails lint, naming the rule',
  { timeout: 60_000 },
  async () => {
    const cases: [layer: string, imported: string, line: string][] = [
      ['broker', 'http', "import type { ServiceContext } from '../http/context.ts';"],
      ['store', 'auth', "import type { Principal } from '../auth/principal.ts';"],
      ['http', 'runtime', "import { startService } from '../runtime/service.ts';"],
      ['http', 'config', "import { SETTINGS } from '../config/settings.ts';"],
    ];
    for (const [layer, imported, line] of cases)
      assert.deepEqual(
        await inLayer(layer, [line]),
        [`service layer '${layer}' may not import '${imported}' (see ARCHITECTURE.md, service layers)`],
        line,
      );
  },
);

test('the imports a service layer may make pass lint', { timeout: 60_000 }, async () => {
  const packages = ['fastify', '@mcp-tunnel/protocol'];
  const lowerLayers = ['../auth/principal.ts', '../broker/command-broker.ts', '../store/types.ts'];
  const sources = [...packages, ...lowerLayers, './errors.ts'];
  const imports = sources.map((source, i) => `import * as used${i} from '${source}';`);
  assert.deepEqual(await inLayer('http', imports), []);
});

test('the service importing the client fails lint', { timeout: 60_000 }, async () => {
  assert.deepEqual(
    await inLayer('http', ["import { SETTINGS } from '../../../client/src/config/schema.ts';"]),
    [
      'packages/service may import nothing of ours from outside it but packages/protocol (see ARCHITECTURE.md, packages)',
    ],
  );
});
