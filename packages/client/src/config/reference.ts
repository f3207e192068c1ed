import { API_KEY_ENV, SETTINGS, type Setting } from './schema.ts';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function row(setting: Setting): string {
  const flag = setting.flag ? `\`${setting.flag}\`${setting.repeatable ? ' (repeatable)' : ''}` : '—';
  const env = setting.env ? `\`${setting.env}\`` : '—';
  const value = setting.defaultValue === undefined ? '—' : `\`${String(setting.defaultValue)}\``;
  return `| \`${setting.key}\` | ${setting.type} | ${flag} | ${env} | ${value} | ${cell(setting.help)} |`;
}

/** The configuration reference page, generated from the settings table (docs/client-config.md). */
export function renderConfigReference(): string {
  const sections = new Map<string, Setting[]>();
  for (const setting of SETTINGS) {
    const section = setting.key.includes('.') ? setting.key.split('.')[0]! : 'general';
    sections.set(section, [...(sections.get(section) ?? []), setting]);
  }
  const lines = [
    '# tunnel-client configuration reference',
    '',
    '<!-- Generated from packages/client/src/config/schema.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Every setting can come from a command-line flag of `tunnel-client run`, an environment variable,',
    'or a YAML profile (`--profile NAME`, `--profile-file PATH` or `--config PATH`, or',
    '`TUNNEL_CLIENT_PROFILE`, `TUNNEL_CLIENT_PROFILE_FILE`, `TUNNEL_CLIENT_CONFIG`; one of them at most).',
    'Precedence: flags, then environment, then the profile, then the defaults below.',
    'An unknown key, a bad value or a missing requirement stops start-up with a message naming the key',
    'and the fix.',
    '',
    `The API key is never a flag: export \`${API_KEY_ENV}\`, or write \`control_plane.api_key: "env:NAME"\``,
    'or `"file:/path"` in the profile. A literal key in a profile is accepted with a warning.',
    'Header values in `extra_headers` may be `env:NAME` or `file:/path` references as well.',
    '',
    'List settings take a YAML list in a profile, a repeated flag, or newline-separated entries in the',
    'environment. Header settings take a YAML mapping in a profile, `"Name: value"` per flag, or',
    '`"Name: value;Name2: value"` in the environment. Durations are written `30s`, `1500ms`, `2m`.',
    '',
    "Proxies: a channel's `http_proxy` (in a `mcp.server_urls` entry) beats `mcp.http_proxy` or",
    '`control_plane.http_proxy`, which beat `http_proxy`; without any of them the standard',
    '`HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` apply (loopback is always reached directly).',
    '`ca_bundle` is trusted in addition to the system roots for every outbound TLS connection.',
  ];
  for (const [section, settings] of sections) {
    lines.push('', `## ${section}`, '', '| key | type | flag | environment | default | meaning |');
    lines.push('| --- | --- | --- | --- | --- | --- |');
    for (const setting of settings) lines.push(row(setting));
  }
  lines.push(
    '',
    '## Profile example',
    '',
    '```yaml',
    'config_version: 1',
    'control_plane:',
    '  base_url: "https://api.openai.com"',
    '  tunnel_id: "tunnel_0123456789abcdef0123456789abcdef"',
    '  api_key: "env:CONTROL_PLANE_API_KEY"',
    '  extra_headers:',
    '    X-Gateway-Token: "file:/etc/tunnel-client/gateway-token"',
    'mcp:',
    '  commands:',
    '    - channel: main',
    '      command: "node /path/to/server.js"',
    '    - channel: notebooks',
    '      command: "python -m notebook_mcp"',
    '      session_mode: per_session # one process per MCP session; default shared',
    '  server_urls:',
    '    - channel: docs',
    '      url: "https://docs-mcp.internal/mcp"',
    '      client_cert: "/etc/tunnel-client/docs.crt"',
    '      client_key: "/etc/tunnel-client/docs.key"',
    '```',
    '',
  );
  return lines.join('\n');
}
