// The MCP conformance suites' server scenarios against the reference server
// (test/support/conformance-server.ts), directly and through the real tunnel (scripts/conformance.ts, what
// `npm run conformance` prints): the stable suite and the 0.2.0 alpha (its default set and the 2026-07-28
// requirements). No scenario may do worse through the tunnel, and through the tunnel every scenario passes
// but those the reference server does not implement (docs/conformance.md explains each).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compare, summary, table } from '../../scripts/conformance.ts';

/** Scenarios the reference server fails directly too, and why (docs/conformance.md). */
const NOT_IMPLEMENTED = new Set<string>([]);

test(
  'conformance: no server scenario does worse through the tunnel than directly, in any suite',
  { timeout: 900_000 },
  async (t) => {
    const results = await compare([]);
    for (const result of results) {
      console.log(`${result.suite.name}\n${table(result.rows)}`);
      t.diagnostic(summary(result));
    }
    assert.ok(results[0]!.rows.length >= 25, `the stable suite ran (${results[0]!.rows.length} scenarios)`);
    for (const { suite, rows } of results) {
      assert.deepEqual(
        rows.filter((row) => row.worse).map((row) => row.name),
        [],
        `${suite.name}: worse through the tunnel`,
      );
      assert.deepEqual(
        rows
          .filter((row) => row.tunnel !== 'pass' && !NOT_IMPLEMENTED.has(row.name))
          .map((row) => `${row.name}: ${row.tunnel}`),
        [],
        `${suite.name}: through the tunnel`,
      );
    }
  },
);
