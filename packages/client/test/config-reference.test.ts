import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONFIG_REFERENCE, formattedConfigReference } from '../../../scripts/docs-config.ts';
import { SETTINGS } from '../src/index.ts';

test('docs/client-config.md is the reference generated from the schema', { timeout: 20_000 }, async () => {
  const committed = readFileSync(CONFIG_REFERENCE, 'utf8');
  assert.equal(committed, await formattedConfigReference(), 'stale: run `npm run docs:config` and commit it');
  for (const setting of SETTINGS) assert.ok(committed.includes(`\`${setting.key}\``), setting.key);
});
