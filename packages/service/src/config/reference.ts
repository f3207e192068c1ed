import { flagDefault, SETTINGS, type Setting } from './settings.ts';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function row(name: string, setting: Setting): string {
  const flag = setting.flag
    ? `\`${setting.flag} <${setting.value}>\`${setting.repeatable ? ' (repeatable)' : ''}`
    : '—';
  const env = setting.env ? `\`${setting.env}\`` : '—';
  const fallback = flagDefault(setting);
  const value = fallback === undefined ? '—' : setting.defaultText ? fallback : `\`${fallback}\``;
  const choices = setting.choices ? ` (${setting.choices.map((c) => `\`${c}\``).join(', ')})` : '';
  const option = setting.commandLineOnly ? '—' : `\`${name}\``;
  return `| ${flag} | ${env} | ${option} | ${cell(value)} | ${cell(setting.help)}${choices} |`;
}

/** The configuration reference page, generated from the settings table (docs/service-config.md). */
export function renderServiceConfigReference(): string {
  const lines = [
    '# tunnel-service configuration reference',
    '',
    '<!-- Generated from packages/service/src/config/settings.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Each setting is a flag of `tunnel-service start`, most also an environment variable, and an option of',
    "`startService()` (the package's library entry point). A flag beats the environment, which beats the",
    'default. A bad value stops start-up with a message naming the flag and what it takes. Defaults are',
    'written as the flag takes them; `startService()` takes durations in milliseconds (`eventBufferAgeMs`)',
    'and needs `dataDir`.',
    '',
    '| flag | environment | `startService` option | default | meaning |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [name, setting] of Object.entries(SETTINGS) as [string, Setting][])
    lines.push(row(name, setting));
  lines.push(
    '',
    '`tunnel-service organizations create|list` and `tunnel-service migrate` take `--data-dir` and',
    '`--database-url` as well, and `organizations create` takes `--owner-key-file`.',
    '',
  );
  return lines.join('\n');
}
