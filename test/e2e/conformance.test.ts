// The MCP conformance suite's server scenarios against the reference server
// (test/support/conformance-server.ts), directly and through the real tunnel (scripts/conformance.ts, what
// `npm run conformance` prints): no scenario may do worse through the tunnel, every one passes through it,
// and the connector's Origin allowlist makes dns-rebinding-protection pass there too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare, table } from '../../scripts/conformance.ts';

test(
  'conformance: no server scenario does worse through the tunnel than directly',
  { timeout: 240_000 },
  async () => {
    const rows = await compare([]);
    console.log(table(rows));
    assert.ok(rows.length >= 25, `the active suite ran (${rows.length} scenarios)`);
    assert.deepEqual(
      rows.filter((row) => row.worse).map((row) => row.name),
      [],
    );
    // The reference server implements every scenario, so through the tunnel every one passes.
    assert.deepEqual(
      rows.filter((row) => row.tunnel !== 'pass').map((row) => `${row.name}: ${row.tunnel}`),
      [],
    );
  },
);
