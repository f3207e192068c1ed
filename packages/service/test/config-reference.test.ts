import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SERVICE_CONFIG_REFERENCE, formattedServiceConfigReference } from '../../../scripts/docs-config.ts';
import { SETTINGS, type Setting } from '../src/config/settings.ts';
import { buildProgram } from '../src/cli/main.ts';

const settings = Object.entries(SETTINGS) as [string, Setting][];

test(
  'docs/service-config.md is the reference generated from the settings table',
  { timeout: 20_000 },
  async () => {
    const committed = readFileSync(SERVICE_CONFIG_REFERENCE, 'utf8');
    assert.equal(
      committed,
      await formattedServiceConfigReference(),
      'stale: run `npm run docs:config` and commit it',
    );
    for (const [name, setting] of settings) {
      assert.ok(committed.includes(`\`${name}\``) || setting.commandLineOnly, name);
      if (setting.flag) assert.ok(committed.includes(`\`${setting.flag} <`), setting.flag);
      if (setting.env) assert.ok(committed.includes(`\`${setting.env}\``), setting.env);
    }
  },
);

test('tunnel-service start takes each flag of the settings table, with its variable and default', () => {
  const start = buildProgram().commands.find((command) => command.name() === 'start')!;
  for (const [name, setting] of settings) {
    if (!setting.flag) continue;
    const option = start.options.find((o) => o.long === setting.flag);
    assert.ok(option, `${name}: no ${setting.flag}`);
    if (name !== 'dataDir') assert.equal(option.envVar, setting.env, name);
    if (setting.defaultValue !== undefined) assert.equal(option.defaultValue, setting.defaultValue, name);
  }
  const flags = start.options.map((o) => o.long).filter((flag) => flag !== '--help');
  assert.deepEqual(
    flags,
    settings.filter(([, s]) => s.flag).map(([, s]) => s.flag),
    'every flag of start comes from the table',
  );
});
