// The MCP conformance suite's server scenarios against the reference server
// (test/support/conformance-server.ts), directly and through the real tunnel (scripts/conformance.ts, what
// `npm run conformance` prints): no scenario may do worse through the tunnel, and the connector's Origin
// allowlist makes dns-rebinding-protection pass.
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
    for (const name of [
      'server-initialize',
      'tools-call-simple-text',
      'server-sse-multiple-streams',
      'dns-rebinding-protection',
    ])
      assert.equal(rows.find((row) => row.name === name)?.tunnel, 'pass', name);
  },
);
