// The conformance suite's authorization server scenarios (scripts/conformance-authorization.ts, part of
// `npm run conformance`): tunnel-service's authorization server for a key tunnel, and the OAuth stub's for
// its own /mcp and for a public tunnel's connector URL, each pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorizationRows, authorizationTable } from '../../scripts/conformance-authorization.ts';

test('conformance: every authorization server scenario passes', { timeout: 150_000 }, async () => {
  const rows = await authorizationRows();
  console.log(authorizationTable(rows));
  assert.deepEqual(rows.map((row) => row.name).sort(), [
    'authorization-code-grant',
    'authorization-server-metadata-endpoint',
  ]);
  assert.deepEqual(
    rows.flatMap((row) =>
      Object.entries(row)
        .filter(([column, verdict]) => column !== 'name' && verdict !== 'pass')
        .map(([column, verdict]) => `${row.name} ${column}: ${verdict}`),
    ),
    [],
  );
});
