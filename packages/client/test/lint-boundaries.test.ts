// The layer rules of ARCHITECTURE.md, as `npm run lint` enforces them: code given to ESLint in memory,
// as if it were a file of the named layer, is refused or accepted by the project's own configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundaryRefusals as refusals } from '../../../test/support/lint-boundaries.ts';

test(
  'a lower client layer importing a higher one fails lint, naming the rule',
  { timeout: 60_000 },
  async () => {
    assert.deepEqual(
      await refusals(
        'packages/client/src/bindings/example.ts',
        "import { startOpsServer } from '../ops/server.ts';\nexport const used = startOpsServer;\n",
      ),
      ["client layer 'bindings' may not import 'ops' (see ARCHITECTURE.md, client layers)"],
    );
    assert.deepEqual(
      await refusals(
        'packages/client/src/controlplane/example.ts',
        "import type { WorkerPool } from '../dispatch/worker-pool.ts';\nexport type Used = WorkerPool;\n",
      ),
      ["client layer 'controlplane' may not import 'dispatch' (see ARCHITECTURE.md, client layers)"],
    );
  },
);

test('the imports a layer may make pass lint', { timeout: 60_000 }, async () => {
  const code = [
    "import { HEADER } from '@mcp-tunnel/protocol';",
    "import { request } from 'undici';",
    "import { sleep } from '../base/backoff.ts';",
    "import type { Logger } from '../observability/logger.ts';",
    "import { RenewingAgent } from '../outbound/agents.ts';",
    "import { SseParser } from './sse.ts';",
    'export type Used = Logger;',
    'export const used = [HEADER, request, sleep, RenewingAgent, SseParser];',
    '',
  ].join('\n');
  assert.deepEqual(await refusals('packages/client/src/bindings/example.ts', code), []);
});

test('packages/protocol importing anything of ours fails lint', { timeout: 60_000 }, async () => {
  const refused =
    'packages/protocol may import nothing of ours from outside it (see ARCHITECTURE.md, packages)';
  assert.deepEqual(
    await refusals(
      'packages/protocol/src/example.ts',
      "import { startTunnelClient } from '@mcp-tunnel/client';\nexport const used = startTunnelClient;\n",
    ),
    [refused],
  );
  assert.deepEqual(
    await refusals(
      'packages/protocol/src/example.ts',
      "import { SETTINGS } from '../../client/src/config/schema.ts';\nexport const used = SETTINGS;\n",
    ),
    [refused],
  );
  assert.deepEqual(
    await refusals(
      'packages/protocol/src/example.ts',
      "import { z } from 'zod';\nimport { isTunnelId } from './ids.ts';\nexport const used = [z, isTunnelId];\n",
    ),
    [],
  );
});
