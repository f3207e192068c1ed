/**
 * Settings of OpenAI's Go tunnel-client that this client accepts and does not act on, so a Go profile,
 * script or manifest runs unchanged. Each one set is reported once at start, with the reason.
 */
export interface IgnoredSetting {
  /** Profile key; a key ending in `.*` stands for the whole section. */
  key: string;
  flag?: string;
  env?: string;
  /** How the flag takes its value. */
  type: 'boolean' | 'value' | 'list';
  reason: string;
}

const HARPOON =
  'this client has no embedded Harpoon MCP server; the harpoon channel answers unsupported_channel, as Go does with no targets';
const CLOUDFLARED =
  'this client does not run the Cloudflare companion; it reaches the tunnel service over outbound HTTPS long-polls alone';

export const IGNORED_SETTINGS: readonly IgnoredSetting[] = [
  {
    key: 'log.http_raw_unsafe',
    flag: '--log.http-raw-unsafe',
    env: 'LOG_HTTP_RAW_UNSAFE',
    type: 'boolean',
    reason:
      'this client never writes raw HTTP headers or bodies to its log (they carry keys and tokens); set admin_ui.capture_payloads to see redacted bodies in the /ui console',
  },
  {
    key: 'proxy.check_interval',
    flag: '--proxy.check-interval',
    env: 'PROXY_CHECK_INTERVAL',
    type: 'value',
    reason: 'this client runs no periodic proxy check; tunnel-client doctor checks the proxy route on demand',
  },
  {
    key: 'health.show_details',
    flag: '--health.show-details',
    env: 'HEALTH_SHOW_DETAILS',
    type: 'boolean',
    reason: 'the /health detail routes are not served; /healthz, /readyz, /metrics and /api/status are',
  },
  {
    key: 'mcp.stdio_send_initialized_notification',
    flag: '--mcp.stdio-send-initialized-notification',
    env: 'MCP_STDIO_SEND_INITIALIZED_NOTIFICATION',
    type: 'boolean',
    reason: "stdio servers get the caller's messages verbatim, as Go does with the shim disabled",
  },
  { key: 'harpoon.*', type: 'value', reason: HARPOON },
  { key: 'harpoon.targets', flag: '--harpoon.target', env: 'HARPOON_TARGETS', type: 'list', reason: HARPOON },
  {
    key: 'harpoon.allow_plaintext_http',
    flag: '--harpoon.allow-plaintext-http',
    env: 'HARPOON_ALLOW_PLAINTEXT_HTTP',
    type: 'boolean',
    reason: HARPOON,
  },
  {
    key: 'harpoon.max_response_bytes',
    flag: '--harpoon.max-response-bytes',
    env: 'HARPOON_MAX_RESPONSE_BYTES',
    type: 'value',
    reason: HARPOON,
  },
  {
    key: 'harpoon.max_redirects',
    flag: '--harpoon.max-redirects',
    env: 'HARPOON_MAX_REDIRECTS',
    type: 'value',
    reason: HARPOON,
  },
  {
    key: 'harpoon.http_proxy',
    flag: '--harpoon.http-proxy',
    env: 'HARPOON_HTTP_PROXY',
    type: 'value',
    reason: HARPOON,
  },
  {
    key: 'harpoon.additional_transports',
    flag: '--harpoon.additional-transport',
    env: 'HARPOON_ADDITIONAL_TRANSPORTS',
    type: 'list',
    reason: HARPOON,
  },
  {
    key: 'harpoon.hosts_include_suffix',
    flag: '--harpoon.hosts-include-suffix',
    env: 'HARPOON_HOSTS_INCLUDE_SUFFIX',
    type: 'list',
    reason: HARPOON,
  },
  {
    key: 'harpoon.hosts_include_regex',
    flag: '--harpoon.hosts-include-regex',
    env: 'HARPOON_HOSTS_INCLUDE_REGEX',
    type: 'list',
    reason: HARPOON,
  },
  {
    key: 'harpoon.hosts_include_loopback',
    flag: '--harpoon.hosts-include-loopback',
    env: 'HARPOON_HOSTS_INCLUDE_LOOPBACK',
    type: 'boolean',
    reason: HARPOON,
  },
  {
    key: 'harpoon.hosts_include_private',
    flag: '--harpoon.hosts-include-private',
    env: 'HARPOON_HOSTS_INCLUDE_PRIVATE',
    type: 'boolean',
    reason: HARPOON,
  },
  { key: 'cloudflared.*', type: 'value', reason: CLOUDFLARED },
  { key: 'cloudflared.managed', env: 'CLOUDFLARED_MANAGED', type: 'boolean', reason: CLOUDFLARED },
  { key: 'cloudflared.token', env: 'CLOUDFLARED_TUNNEL_TOKEN', type: 'value', reason: CLOUDFLARED },
  { key: 'cloudflared.path', env: 'CLOUDFLARED_PATH', type: 'value', reason: CLOUDFLARED },
];

/** Ignored profile sections (every key under them) and single keys. */
export const IGNORED_SECTIONS = new Set(
  IGNORED_SETTINGS.filter((s) => s.key.endsWith('.*')).map((s) => s.key.slice(0, -2)),
);
export const IGNORED_KEYS = new Map(
  IGNORED_SETTINGS.filter((s) => !s.key.endsWith('.*')).map((s) => [s.key, s]),
);
/** Variables among them that hold secrets: withheld from spawned MCP servers like the API key. */
export const IGNORED_SECRET_ENVS = ['CLOUDFLARED_TUNNEL_TOKEN'];

/** The reason a profile key is ignored, or undefined when this client reads it. */
export function ignoredReason(key: string): string | undefined {
  const exact = IGNORED_KEYS.get(key);
  if (exact) return exact.reason;
  const section = key.split('.')[0]!;
  return IGNORED_SECTIONS.has(section)
    ? IGNORED_SETTINGS.find((s) => s.key === `${section}.*`)!.reason
    : undefined;
}

/**
 * One line per ignored setting the sources set, naming where it was set and why it has no effect.
 * `flags` is keyed by profile key, as the CLI passes them; `profileKeys` are the ignored keys a profile set.
 */
export function ignoredNotices(
  flags: Partial<Record<string, unknown>> | undefined,
  env: NodeJS.ProcessEnv,
  profileKeys: { key: string; where: string }[],
): string[] {
  const notices: string[] = [];
  for (const setting of IGNORED_SETTINGS) {
    if (setting.flag && flags?.[setting.key] !== undefined)
      notices.push(`${setting.flag} is ignored: ${setting.reason}`);
    if (setting.env && env[setting.env]?.trim()) notices.push(`${setting.env} is ignored: ${setting.reason}`);
  }
  for (const { key, where } of profileKeys)
    notices.push(`${key} in ${where} is ignored: ${ignoredReason(key)}`);
  return notices;
}
