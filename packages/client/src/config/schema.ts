import {
  CHANNEL_NAME_SHAPE,
  MAIN_CHANNEL,
  isChannelName,
  parseConfigDuration,
  type OtlpSettings,
} from '@mcp-tunnel/protocol';
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';
import { IGNORED_SECRET_ENVS, IGNORED_SECTIONS, ignoredNotices, ignoredReason } from './go-only.ts';
import { OTLP_SECRET_ENVS, tracingSettings } from './tracing.ts';
import { parseSecretReference, resolveSecretReference, type SecretReference } from './secrets.ts';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
/** `json`: Go's slog JSON shape; `struct-text`: Go's slog key=value lines; `text`: one readable line per record. */
export type LogFormat = 'json' | 'struct-text' | 'text';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'struct-text', 'text'];

/** Tunnel ids as Go's client accepts them; the service mints the hex subset. */
export const TUNNEL_ID_FORM = /^tunnel_[a-z0-9]{32}$/;
export const TUNNEL_ID_FORM_TEXT = 'tunnel_ followed by 32 lowercase letters or digits';
export const isWellFormedTunnelId = (value: string): boolean => TUNNEL_ID_FORM.test(value);

/** `shared`: one child for every caller session; `per_session`: one child per MCP session. */
export type SessionMode = 'shared' | 'per_session';
export const SESSION_MODES: readonly SessionMode[] = ['shared', 'per_session'];

export interface CommandEntry {
  channel: string;
  command: string;
  sessionMode: SessionMode;
}
export interface ServerUrlEntry {
  channel: string;
  url: string;
  /** Dial the URL's host over this Unix socket instead of TCP. */
  unixSocket?: string;
  /** This channel's own proxy, overriding mcp.http_proxy and http_proxy. */
  httpProxy?: string;
  /** This channel's own client certificate (PEM paths), overriding mcp.client_cert/client_key. */
  clientCert?: string;
  clientKey?: string;
}

/** How one kind of outbound connection is made: proxy, extra trust, client certificate. */
export interface OutboundConfig {
  /** An explicit proxy URL; when absent the standard HTTPS_PROXY/HTTP_PROXY/NO_PROXY apply. */
  httpProxy: string | undefined;
  /** PEM CA bundle path, trusted in addition to the system roots. */
  caBundle: string | undefined;
  clientCert: string | undefined;
  clientKey: string | undefined;
  /** The standard proxy variables as this process saw them. */
  proxyEnv: { httpProxy: string; httpsProxy: string; noProxy: string };
}

/** The validated configuration of one tunnel-client. */
export interface ClientConfig {
  controlPlane: {
    baseUrl: string;
    tunnelId: string;
    apiKey: string;
    /** Path prefix between the base URL and /v1/... (empty when the service sits at the root). */
    urlPath: string;
    pollTimeoutMs: number;
    /** Added to the poll wait to bound one poll request on the client side. */
    pollDeadlineGuardrailMs: number;
    /** Channels to ask for (sorted); undefined asks for every channel. */
    pollChannels: string[] | undefined;
    /** Capacity of the local queue of received commands not yet started. */
    maxQueuedRequests: number;
    /** Static headers on every tunnel API request (values already resolved). */
    extraHeaders: Record<string, string>;
    /** Sent as OpenAI-Organization on tunnel API requests. */
    organizationId: string | undefined;
    outbound: OutboundConfig;
  };
  /** unixSocket, when set, replaces listenAddr: the ops server binds no TCP port. */
  health: { listenAddr: string; unixSocket: string | undefined; urlFile: string | undefined };
  adminUi: {
    openBrowser: boolean;
    allowRemote: boolean;
    capturePayloads: boolean;
    /** Log lines the console keeps for its view and export. */
    logBufferEvents: number;
  };
  log: { level: LogLevel; format: LogFormat; file: string | undefined };
  process: { pidFile: string | undefined };
  mcp: {
    commands: CommandEntry[];
    serverUrls: ServerUrlEntry[];
    maxConcurrentRequests: number;
    /** Static headers sent only to the MCP server origin (values already resolved). */
    extraHeaders: Record<string, string>;
    /** Headers for the client's own probe of an HTTP MCP server; they override extraHeaders there. */
    discoveryExtraHeaders: Record<string, string>;
    /** An upstream HTTP connection is not reused once it is this old. */
    connectionMaxTtlMs: number;
    /** Undici's headers and body timeouts on connections to HTTP MCP servers. */
    requestTimeoutMs: number;
    /** How long a request waits for a starting or restarting MCP server before it fails. */
    serverWaitMs: number;
    /** Before the first poll, wait up to this long for the main HTTP MCP server to accept a connection (0: no wait). */
    startupWaitMs: number;
    /** A per_session child whose session sent nothing for this long is stopped. */
    sessionIdleTimeoutMs: number;
    /** At most this many per_session children run at once, over all channels. */
    maxSessionProcesses: number;
    /** The largest message read from an MCP server (a stdio line, an HTTP answer body). */
    maxMessageBytes: number;
    /** Outbound settings for MCP servers; a server_urls entry may override proxy and certificate. */
    outbound: OutboundConfig;
  };
  /** Environment variables that hold secrets; they are removed from the environment of spawned servers. */
  secretEnvNames: string[];
  /** Span export, from the OpenTelemetry standard variables (OTEL_EXPORTER_OTLP_ENDPOINT...); undefined: off. */
  tracing?: OtlpSettings;
  /** Accepted but unwise settings (a literal key in a profile); logged as warnings at start. */
  warnings: string[];
}

/**
 * One setting: its profile key, environment variable, command-line flag, default and help text.
 * This table is the single source for validation, `--help` and the merge of the four layers.
 */
export interface Setting {
  key: string;
  /** What the value looks like, for the generated reference. */
  type:
    | 'string'
    | 'url'
    | 'path'
    | 'duration'
    | 'integer'
    | 'boolean'
    | 'choice'
    | 'list'
    | 'headers'
    | 'secret'
    | 'address';
  env?: string;
  /** Other environment variables read when `env` is unset (older or other clients' names). */
  envAliases?: string[];
  flag?: string;
  /** Hidden flag names with the same meaning (Go's hidden aliases, our earlier names). */
  flagAliases?: string[];
  /** Other profile keys with the same meaning. */
  keyAliases?: string[];
  /** Takes a value more than once on the command line. */
  repeatable?: boolean;
  help: string;
  defaultValue?: string | number | boolean;
}

export const API_KEY_ENV = 'CONTROL_PLANE_API_KEY';
/** Read for the runtime key when CONTROL_PLANE_API_KEY and the profile give none, as Go's client does. */
export const API_KEY_FALLBACK_ENV = 'OPENAI_API_KEY';

export const SETTINGS: readonly Setting[] = [
  {
    key: 'ca_bundle',
    type: 'path',
    env: 'CA_BUNDLE',
    flag: '--ca-bundle',
    help: 'PEM CA bundle trusted for every outbound TLS connection, in addition to the system roots; a profile may write env:NAME',
  },
  {
    key: 'http_proxy',
    type: 'url',
    env: 'TUNNEL_CLIENT_HTTP_PROXY',
    flag: '--http-proxy',
    help: 'proxy for all outbound HTTP(S); without it HTTPS_PROXY, HTTP_PROXY and NO_PROXY apply; a profile may write env:NAME',
  },
  {
    key: 'control_plane.base_url',
    type: 'url',
    env: 'CONTROL_PLANE_BASE_URL',
    flag: '--control-plane.base-url',
    flagAliases: ['--control-plane-base-url'],
    help: 'tunnel service base URL',
    defaultValue: 'https://api.openai.com',
  },
  {
    key: 'control_plane.url_path',
    type: 'string',
    env: 'CONTROL_PLANE_URL_PATH',
    flag: '--control-plane.url-path',
    flagAliases: ['--control-plane-url-path'],
    help: 'path prefix added to the base URL before the /v1/... routes (for a service behind a gateway)',
  },
  {
    key: 'control_plane.tunnel_id',
    type: 'string',
    env: 'CONTROL_PLANE_TUNNEL_ID',
    flag: '--control-plane.tunnel-id',
    flagAliases: ['--control-plane-tunnel-id'],
    help: `tunnel id (${TUNNEL_ID_FORM_TEXT})`,
  },
  {
    key: 'control_plane.api_key',
    type: 'secret',
    env: API_KEY_ENV,
    envAliases: [API_KEY_FALLBACK_ENV],
    flag: '--control-plane.api-key',
    flagAliases: ['--control-plane-api-key'],
    help: `runtime API key (Tunnels Read + Use): ${API_KEY_ENV}, else the profile, else ${API_KEY_FALLBACK_ENV}; on the command line only as env:NAME or file:/path, never the key itself`,
  },
  {
    key: 'control_plane.organization_id',
    type: 'string',
    env: 'CONTROL_PLANE_ORGANIZATION_ID',
    flag: '--control-plane.organization-id',
    help: 'organization the tunnel belongs to, sent as the OpenAI-Organization header on tunnel service requests',
  },
  {
    key: 'control_plane.extra_headers',
    type: 'headers',
    env: 'CONTROL_PLANE_EXTRA_HEADERS',
    flag: '--control-plane.extra-headers',
    repeatable: true,
    help: 'static headers on tunnel service requests ("Name: value"; values may be env:NAME or file:/path)',
  },
  {
    key: 'control_plane.poll_timeout',
    type: 'duration',
    env: 'CONTROL_PLANE_POLL_TIMEOUT',
    flag: '--control-plane.poll-timeout',
    help: 'how long one long-poll may wait at the service (1s to 5m)',
    defaultValue: '30s',
  },
  {
    key: 'control_plane.poll_deadline_guardrail',
    type: 'duration',
    env: 'CONTROL_PLANE_POLL_DEADLINE_GUARDRAIL',
    flag: '--control-plane.poll-deadline-guardrail',
    help: 'extra time a poll request may take beyond poll_timeout before the client gives up on it (up to 1m)',
    defaultValue: '5s',
  },
  {
    key: 'control_plane.poll_channels',
    type: 'list',
    env: 'CONTROL_PLANE_POLL_CHANNELS',
    flag: '--control-plane.poll-channel',
    flagAliases: ['--control-plane.poll-channels'],
    repeatable: true,
    help: 'only poll for these channels (comma-separated); default: every channel',
  },
  {
    key: 'control_plane.max_inflight_requests',
    type: 'integer',
    env: 'CONTROL_PLANE_MAX_INFLIGHT_REQUESTS',
    flag: '--control-plane.max-inflight',
    flagAliases: ['--control-plane.max-inflight-requests'],
    help: 'local queue capacity for received commands (1 to 10000); no poll while it is full',
    defaultValue: 20,
  },
  {
    key: 'control_plane.http_proxy',
    type: 'url',
    env: 'CONTROL_PLANE_HTTP_PROXY',
    flag: '--control-plane.http-proxy',
    help: 'proxy for tunnel service requests only (overrides http_proxy); a profile may write env:NAME',
  },
  {
    key: 'control_plane.client_cert',
    type: 'path',
    env: 'CONTROL_PLANE_CLIENT_CERT',
    flag: '--control-plane.client-cert',
    flagAliases: ['--control-plane-client-cert'],
    help: 'PEM client certificate for mTLS to the tunnel service (with client_key); a path, file:/path or env:NAME',
  },
  {
    key: 'control_plane.client_key',
    type: 'path',
    env: 'CONTROL_PLANE_CLIENT_KEY',
    flag: '--control-plane.client-key',
    flagAliases: ['--control-plane-client-key'],
    help: 'PEM private key of control_plane.client_cert',
  },
  {
    key: 'health.listen_addr',
    type: 'address',
    env: 'HEALTH_LISTEN_ADDR',
    flag: '--health.listen-addr',
    flagAliases: ['--health-listen-addr'],
    help: 'ops server address (health, readiness, metrics, /ui); port 0 picks a free port',
    defaultValue: '127.0.0.1:8080',
  },
  {
    key: 'health.unix_socket',
    type: 'path',
    env: 'HEALTH_UNIX_SOCKET',
    flag: '--health.unix-socket',
    flagAliases: ['--health-unix-socket'],
    help: 'serve the ops server on this Unix socket instead of a TCP port (health.listen_addr is then not used)',
  },
  {
    key: 'health.url_file',
    type: 'path',
    env: 'HEALTH_URL_FILE',
    flag: '--health.url-file',
    flagAliases: ['--health-url-file'],
    help: 'file that receives the ops server base URL once it listens',
  },
  {
    key: 'admin_ui.open_browser',
    type: 'boolean',
    env: 'OPEN_WEB_UI',
    flag: '--open-web-ui',
    flagAliases: ['--admin-ui.open-browser'],
    help: 'open the /ui console in a browser at start-up',
    defaultValue: false,
  },
  {
    key: 'admin_ui.allow_remote',
    type: 'boolean',
    env: 'ALLOW_REMOTE_UI',
    envAliases: ['ADMIN_UI_ALLOW_REMOTE'],
    flag: '--allow-remote-ui',
    help: 'let callers on other machines use the /ui console and /api (it answers loopback callers only otherwise)',
    defaultValue: false,
  },
  {
    key: 'admin_ui.capture_payloads',
    type: 'boolean',
    env: 'ADMIN_UI_CAPTURE_PAYLOADS',
    envAliases: ['HARPOON_CAPTURE_PAYLOADS'],
    flag: '--admin-ui.capture-payloads',
    flagAliases: ['--harpoon.capture-payloads'],
    keyAliases: ['harpoon.capture_payloads'],
    help: 'keep redacted request and response bodies of recent MCP calls for the console (metadata only otherwise); can be switched in the console',
    defaultValue: false,
  },
  {
    key: 'admin_ui.log_buffer_events',
    type: 'integer',
    env: 'ADMIN_UI_LOG_BUFFER_EVENTS',
    flag: '--admin-ui.log-buffer-events',
    help: 'recent log lines the console keeps for its log view and support export (1 to 100000)',
    defaultValue: 2000,
  },
  {
    key: 'log.level',
    type: 'choice',
    env: 'LOG_LEVEL',
    flag: '--log.level',
    help: 'debug, info, warn or error (also trace)',
    defaultValue: 'info',
  },
  {
    key: 'log.format',
    type: 'choice',
    env: 'LOG_FORMAT',
    flag: '--log.format',
    help: 'json (Go slog JSON: level, RFC 3339 time, msg), struct-text (Go slog key=value lines) or text (one readable line)',
    defaultValue: 'json',
  },
  {
    key: 'log.file',
    type: 'path',
    env: 'LOG_FILE',
    flag: '--log.file',
    help: 'append the log to this file instead of standard output',
  },
  {
    key: 'process.pid_file',
    type: 'path',
    env: 'PID_FILE',
    flag: '--pid.file',
    flagAliases: ['--process.pid-file'],
    help: 'file that receives the process id while the client runs (removed at exit)',
  },
  {
    key: 'mcp.commands',
    type: 'list',
    env: 'MCP_COMMAND',
    flag: '--mcp.command',
    flagAliases: ['--mcp-command'],
    repeatable: true,
    help: 'stdio MCP server command for channel main, or "channel=NAME,command=CMD[,session-mode=per_session]"; session_mode shared (default) runs one child for all sessions, per_session one child per MCP session',
  },
  {
    key: 'mcp.server_urls',
    type: 'list',
    env: 'MCP_SERVER_URL',
    flag: '--mcp.server-url',
    flagAliases: ['--mcp-server-url'],
    repeatable: true,
    help: 'Streamable HTTP MCP server URL for channel main, or "channel=NAME,url=URL[,unix-socket=PATH][,http-proxy=URL][,client-cert=PATH,client-key=PATH]"',
  },
  {
    key: 'mcp.extra_headers',
    type: 'headers',
    env: 'MCP_EXTRA_HEADERS',
    flag: '--mcp.extra-headers',
    flagAliases: ['--mcp-extra-headers'],
    repeatable: true,
    help: 'static headers sent only to the MCP server origin ("Name: value"; values may be env:NAME or file:/path)',
  },
  {
    key: 'mcp.discovery_extra_headers',
    type: 'headers',
    env: 'MCP_DISCOVERY_EXTRA_HEADERS',
    flag: '--mcp.discovery-extra-headers',
    flagAliases: ['--mcp-discovery-extra-headers'],
    repeatable: true,
    help: "static headers on the client's own readiness probe of an HTTP MCP server, over mcp.extra_headers (values may be env:NAME or file:/path)",
  },
  {
    key: 'mcp.max_concurrent_requests',
    type: 'integer',
    env: 'MCP_MAX_CONCURRENT_REQUESTS',
    flag: '--mcp.max-concurrent-requests',
    help: 'MCP requests worked on at once (1 to 1000)',
    defaultValue: 10,
  },
  {
    key: 'mcp.startup_wait_timeout',
    type: 'duration',
    env: 'MCP_STARTUP_WAIT_TIMEOUT',
    flag: '--mcp.startup-wait-timeout',
    help: 'before the first poll, wait up to this long for the main HTTP MCP server to accept a connection (0s: no wait); polling starts anyway when it expires',
    defaultValue: '0s',
  },
  {
    key: 'mcp.server_wait_timeout',
    type: 'duration',
    env: 'MCP_SERVER_WAIT_TIMEOUT',
    flag: '--mcp.server-wait-timeout',
    help: 'how long a request waits for a starting or restarting MCP server before it fails',
    defaultValue: '10s',
  },
  {
    key: 'mcp.request_timeout',
    type: 'duration',
    env: 'MCP_REQUEST_TIMEOUT',
    flag: '--mcp.request-timeout',
    help: 'an HTTP MCP server that sends nothing for this long (before its answer starts, or in the middle of a streamed one) fails the call with a timeout failure',
    defaultValue: '5m',
  },
  {
    key: 'mcp.session_idle_timeout',
    type: 'duration',
    env: 'MCP_SESSION_IDLE_TIMEOUT',
    flag: '--mcp.session-idle-timeout',
    help: 'a per_session MCP server process whose session sent nothing for this long is stopped (1s to 24h)',
    defaultValue: '10m',
  },
  {
    key: 'mcp.max_session_processes',
    type: 'integer',
    env: 'MCP_MAX_SESSION_PROCESSES',
    flag: '--mcp.max-session-processes',
    help: 'per_session MCP server processes running at once, over all channels (1 to 1000); an initialize past it gets a JSON-RPC error',
    defaultValue: 20,
  },
  {
    key: 'mcp.max_message_bytes',
    type: 'integer',
    env: 'MCP_MAX_MESSAGE_BYTES',
    flag: '--mcp.max-message-bytes',
    help: 'largest message read from an MCP server, a stdio line or an HTTP answer (1024 to 1073741824 bytes); a larger answer fails with a JSON-RPC error',
    defaultValue: 16 * 1024 * 1024,
  },
  {
    key: 'mcp.connection_max_ttl',
    type: 'duration',
    env: 'MCP_CONNECTION_MAX_TTL',
    flag: '--mcp.connection-max-ttl',
    help: 'an HTTP connection to the MCP server is not reused once it is this old',
    defaultValue: '10m',
  },
  {
    key: 'mcp.http_proxy',
    type: 'url',
    env: 'MCP_HTTP_PROXY',
    flag: '--mcp.http-proxy',
    help: 'proxy for MCP server requests (overrides http_proxy; a server_urls entry may override it); a profile may write env:NAME',
  },
  {
    key: 'mcp.client_cert',
    type: 'path',
    env: 'MCP_CLIENT_CERT',
    flag: '--mcp.client-cert',
    help: 'PEM client certificate for mTLS to MCP servers (with client_key; a server_urls entry may override it)',
  },
  {
    key: 'mcp.client_key',
    type: 'path',
    env: 'MCP_CLIENT_KEY',
    flag: '--mcp.client-key',
    help: 'PEM private key of mcp.client_cert',
  },
];

const SETTING_BY_KEY = new Map(SETTINGS.map((s) => [s.key, s]));
const KEY_BY_ALIAS = new Map(SETTINGS.flatMap((s) => (s.keyAliases ?? []).map((a) => [a, s.key] as const)));
/** Keys accepted in a profile besides the settings; the entries of the two lists are checked separately. */
const PROFILE_ONLY_KEYS = new Set(['config_version']);
const ENTRY_KEYS: Record<string, string[]> = {
  'mcp.commands': ['channel', 'command', 'session_mode'],
  'mcp.server_urls': ['channel', 'url', 'unix_socket', 'http_proxy', 'client_cert', 'client_key'],
};

export interface ConfigSources {
  /** Command-line values keyed by setting key (`control_plane.tunnel_id`). */
  flags?: Partial<Record<string, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** A parsed profile (YAML) and where it came from, for messages. */
  file?: { data: unknown; path?: string };
  /**
   * Check the profile's shape only: `env:`/`file:` references are checked for form but an unset variable
   * or a missing file is not an error, and named files are not read (doctor checks those on the machine
   * that runs the client).
   */
  checkOnly?: boolean;
}

interface Chosen {
  value: unknown;
  /** Where the value came from, as the operator would write it: `--log.level`, `LOG_LEVEL`, `log.level in x.yaml`. */
  origin: string;
  layer: 'flag' | 'env' | 'file' | 'default';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Flattens a profile to setting keys. Keys of Go's client that this one does not act on are collected in
 * `ignored` (reported at start); a key neither client knows is refused, so a typo never passes silently.
 */
function flattenProfile(data: unknown, where: string, ignored: string[] = []): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (data === null || data === undefined) return out;
  if (!isPlainObject(data)) throw new ConfigError(`${where} must be a YAML mapping of settings`);
  const sections = new Set([
    ...SETTINGS.filter((s) => s.key.includes('.')).map((s) => s.key.split('.')[0]!),
    ...IGNORED_SECTIONS,
    'proxy',
  ]);
  const topLevel = SETTINGS.filter((s) => !s.key.includes('.')).map((s) => s.key);
  for (const [top, value] of Object.entries(data)) {
    if (PROFILE_ONLY_KEYS.has(top)) {
      if (value !== 1)
        throw new ConfigError(`config_version in ${where} is ${JSON.stringify(value)}; this client reads 1`);
      continue;
    }
    if (topLevel.includes(top)) {
      if (value !== null && value !== undefined) out.set(top, value);
      continue;
    }
    if (!sections.has(top)) throw unknownKey(top, where, [...PROFILE_ONLY_KEYS, ...topLevel, ...sections]);
    if (value === null || value === undefined) continue;
    if (!isPlainObject(value)) throw new ConfigError(`${top} in ${where} must be a mapping of settings`);
    for (const [leaf, leafValue] of Object.entries(value)) {
      const key = KEY_BY_ALIAS.get(`${top}.${leaf}`) ?? `${top}.${leaf}`;
      if (!SETTING_BY_KEY.has(key)) {
        if (ignoredReason(key) === undefined)
          throw unknownKey(
            key,
            where,
            SETTINGS.filter((s) => s.key.startsWith(`${top}.`)).map((s) => s.key),
          );
        if (leafValue !== null && leafValue !== undefined) ignored.push(key);
        continue;
      }
      if (leafValue !== null && leafValue !== undefined) out.set(key, leafValue);
    }
  }
  return out;
}

function unknownKey(key: string, where: string, known: string[]): ConfigError {
  return new ConfigError(
    `unknown key "${key}" in ${where}: remove it or fix its spelling (known: ${known.join(', ')})`,
  );
}

/**
 * Settings whose value, in any layer, may be `env:NAME`: a proxy that differs per machine is then named
 * once in the environment while the profile and the scripts stay the same everywhere.
 */
const ENV_REFERENCE_KEYS = new Set(['http_proxy', 'control_plane.http_proxy', 'mcp.http_proxy']);
/** Path settings, which take `env:NAME` (the variable holds the path) and `file:/path` (the path itself) as Go does. */
const PATH_REFERENCE_KEYS = new Set([
  'ca_bundle',
  'control_plane.client_cert',
  'control_plane.client_key',
  'mcp.client_cert',
  'mcp.client_key',
]);

function layerValue(
  setting: Setting,
  sources: ConfigSources,
  profile: Map<string, unknown>,
): Chosen | undefined {
  const flag = sources.flags?.[setting.key];
  if (flag !== undefined && setting.flag) return { value: flag, origin: setting.flag, layer: 'flag' };
  for (const name of [setting.env, ...(setting.envAliases ?? [])]) {
    const env = name ? sources.env?.[name] : undefined;
    if (env !== undefined && env.trim() !== '') return { value: env, origin: name!, layer: 'env' };
  }
  if (profile.has(setting.key)) {
    const where = sources.file?.path ? ` in ${sources.file.path}` : ' in the profile';
    return { value: profile.get(setting.key), origin: `${setting.key}${where}`, layer: 'file' };
  }
  if (setting.defaultValue !== undefined)
    return { value: setting.defaultValue, origin: `${setting.key} default`, layer: 'default' };
  return undefined;
}

function choose(setting: Setting, sources: ConfigSources, profile: Map<string, unknown>): Chosen | undefined {
  const chosen = layerValue(setting, sources, profile);
  const takesPath = PATH_REFERENCE_KEYS.has(setting.key);
  if (!chosen || typeof chosen.value !== 'string' || !(takesPath || ENV_REFERENCE_KEYS.has(setting.key)))
    return chosen;
  const ref = parseSecretReference(chosen.value);
  if (!ref) return chosen;
  const origin = `${chosen.origin} (${ref.kind}:${ref.target})`;
  if (ref.kind === 'file') {
    if (!takesPath)
      throw new ConfigError(`${origin}: write the value itself or "env:NAME"; file: is not accepted here`);
    if (!ref.target) throw new ConfigError(`${origin}: file: needs a path, e.g. file:/etc/ssl/ca.pem`);
    return { ...chosen, value: ref.target, origin };
  }
  if (sources.checkOnly && !sources.env?.[ref.target]?.trim()) return undefined;
  return { ...chosen, value: resolveSecretReference(origin, ref, sources.env ?? {}), origin };
}

function problem(chosen: Chosen, message: string): ConfigError {
  return new ConfigError(`${chosen.origin}: ${message}`);
}

function asString(chosen: Chosen): string {
  if (typeof chosen.value === 'string' && chosen.value.trim() !== '') return chosen.value.trim();
  if (typeof chosen.value === 'number') return String(chosen.value);
  throw problem(chosen, `expected a non-empty string, got ${JSON.stringify(chosen.value)}`);
}

function asInteger(chosen: Chosen, min: number, max: number): number {
  const value = typeof chosen.value === 'string' ? Number(chosen.value.trim()) : chosen.value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw problem(
      chosen,
      `expected a whole number from ${min} to ${max}, got ${JSON.stringify(chosen.value)}`,
    );
  return value;
}

function asBoolean(chosen: Chosen): boolean {
  if (typeof chosen.value === 'boolean') return chosen.value;
  if (typeof chosen.value === 'string') {
    const lower = chosen.value.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(lower)) return true;
    if (['false', '0', 'no'].includes(lower)) return false;
  }
  throw problem(chosen, `expected true or false, got ${JSON.stringify(chosen.value)}`);
}

function asChoice<T extends string>(chosen: Chosen, choices: readonly T[]): T {
  const value = asString(chosen).toLowerCase();
  if (!(choices as readonly string[]).includes(value))
    throw problem(chosen, `expected one of ${choices.join(', ')}, got ${JSON.stringify(chosen.value)}`);
  return value as T;
}

function asHttpUrl(chosen: Chosen, what: string, raw = asString(chosen)): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw problem(
      chosen,
      `${what} ${JSON.stringify(raw)} is not a URL; write it like https://host[:port]/path`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw problem(chosen, `${what} must use http or https, got ${url.protocol}`);
  if (url.username || url.password)
    throw problem(chosen, `${what} must not carry credentials; use the API key settings instead`);
  return raw;
}

function checkListenAddr(chosen: Chosen): string {
  const value = asString(chosen);
  const match = /^(\[[^\]]+\]|[^:]*):(\d{1,5})$/.exec(value);
  if (!match || Number(match[2]) > 65535)
    throw problem(
      chosen,
      `expected host:port such as 127.0.0.1:8080 (port 0 picks a free port), got "${value}"`,
    );
  return value;
}

type EntryField = 'command' | 'url';
type RawEntry = { channel: string; value: string; options: Record<string, string> };

/** Entry options written as `key=value` in the string form, and their profile spelling. */
const ENTRY_OPTIONS: Record<EntryField, Record<string, string>> = {
  command: { 'session-mode': 'session_mode' },
  url: {
    'unix-socket': 'unix_socket',
    'http-proxy': 'http_proxy',
    'client-cert': 'client_cert',
    'client-key': 'client_key',
  },
};

/** Parses `channel=NAME,url=URL,http-proxy=...` (or a bare value for channel main). */
function entryFromString(chosen: Chosen, text: string, field: EntryField): RawEntry {
  const trimmed = text.trim();
  if (!/^(channel|command|url)=/.test(trimmed)) return { channel: MAIN_CHANNEL, value: trimmed, options: {} };
  const options = ENTRY_OPTIONS[field];
  const keys = ['channel', field, ...Object.keys(options)];
  // A command may contain commas: split only where a known key follows.
  const parts = trimmed.split(new RegExp(`,(?=(?:${keys.join('|')})=)`));
  const entry: RawEntry = { channel: MAIN_CHANNEL, value: '', options: {} };
  for (const part of parts) {
    const at = part.indexOf('=');
    const key = part.slice(0, at);
    const value = part.slice(at + 1).trim();
    if (key === 'channel') entry.channel = value;
    else if (key === field) entry.value = value;
    else if (options[key]) entry.options[options[key]] = value;
    else throw problem(chosen, `unknown entry option "${key}" in "${trimmed}" (known: ${keys.join(', ')})`);
  }
  if (!entry.value) throw problem(chosen, `the entry "${trimmed}" has no ${field}=`);
  return entry;
}

/** Reads `mcp.commands`/`mcp.server_urls` from a profile list, or from `channel=NAME,field=VALUE` strings. */
function entries(chosen: Chosen, field: EntryField): RawEntry[] {
  const out: RawEntry[] = [];
  if (chosen.layer === 'file') {
    if (!Array.isArray(chosen.value))
      throw problem(chosen, `expected a list of entries like {channel: main, ${field}: ...}`);
    const known = ENTRY_KEYS[field === 'command' ? 'mcp.commands' : 'mcp.server_urls']!;
    for (const item of chosen.value) {
      if (!isPlainObject(item))
        throw problem(chosen, `each entry must be a mapping with channel and ${field}`);
      for (const key of Object.keys(item))
        if (!known.includes(key))
          throw problem(chosen, `unknown key "${key}" in an entry: remove it (known: ${known.join(', ')})`);
      const value = item[field];
      if (typeof value !== 'string' || !value.trim()) throw problem(chosen, `an entry has no ${field}`);
      const channel = item.channel === undefined ? MAIN_CHANNEL : item.channel;
      if (typeof channel !== 'string') throw problem(chosen, `channel must be a string`);
      const options: Record<string, string> = {};
      for (const key of Object.values(ENTRY_OPTIONS[field])) {
        const option = item[key];
        if (option === undefined || option === null) continue;
        if (typeof option !== 'string' || !option.trim())
          throw problem(chosen, `${key} of the entry for channel "${channel}" must be a non-empty string`);
        options[key] = option.trim();
      }
      out.push({ channel, value: value.trim(), options });
    }
    return out;
  }
  const texts = Array.isArray(chosen.value) ? chosen.value : String(chosen.value).split('\n');
  for (const text of texts) if (String(text).trim()) out.push(entryFromString(chosen, String(text), field));
  return out;
}

/** Reads static headers: a mapping in a profile, `Name: value` strings (`;`-separated) elsewhere. */
function headerMap(
  chosen: Chosen | undefined,
  env: NodeJS.ProcessEnv,
  secretEnvNames: string[],
  checkOnly: boolean | undefined,
) {
  const out: Record<string, string> = {};
  if (!chosen) return out;
  let pairs: [string, unknown][];
  if (isPlainObject(chosen.value)) pairs = Object.entries(chosen.value);
  else {
    const texts = Array.isArray(chosen.value) ? chosen.value.map(String) : [String(chosen.value)];
    pairs = [];
    for (const text of texts)
      for (const item of text.split(HEADER_SEPARATOR)) {
        if (!item.trim()) continue;
        const colon = item.indexOf(':');
        if (colon <= 0)
          throw problem(chosen, `expected "Name: value" entries separated by ";", got "${item.trim()}"`);
        pairs.push([item.slice(0, colon).trim(), item.slice(colon + 1).trim()]);
      }
  }
  for (const [name, raw] of pairs) {
    if (!HEADER_NAME.test(name)) throw problem(chosen, `"${name}" is not a valid header name`);
    if (typeof raw !== 'string' && typeof raw !== 'number')
      throw problem(chosen, `the value of header ${name} must be a string`);
    const text = String(raw).trim();
    const ref = parseSecretReference(text);
    if (ref?.kind === 'env') secretEnvNames.push(ref.target);
    out[name] = ref ? resolveReference(`${chosen.origin} (header ${name})`, ref, env, checkOnly) : text;
  }
  return out;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Entries are separated by ";" (ours) or by "," before the next "Name:" (Go's "Key: Value, Key2: Value2"). */
const HEADER_SEPARATOR = /;|,(?=\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*:)/;

/** Resolves a reference, or in check-only mode accepts it when its variable or file is not there yet. */
function resolveReference(
  where: string,
  ref: SecretReference,
  env: NodeJS.ProcessEnv,
  checkOnly: boolean | undefined,
): string {
  if (checkOnly && (ref.kind === 'file' ? ref.target && !existsSync(ref.target) : !env[ref.target]?.trim()))
    return '';
  return resolveSecretReference(where, ref, env);
}

function resolveApiKey(
  sources: ConfigSources,
  profile: Map<string, unknown>,
  secretEnvNames: string[],
  warnings: string[],
): string {
  const env = sources.env ?? {};
  // Secret-holding variables are withheld from spawned servers whether or not they are the one used.
  for (const name of [API_KEY_ENV, API_KEY_FALLBACK_ENV]) if (env[name]?.trim()) secretEnvNames.push(name);
  const flag = sources.flags?.['control_plane.api_key'];
  if (flag !== undefined) {
    const ref = typeof flag === 'string' ? parseSecretReference(flag) : undefined;
    if (!ref)
      throw new ConfigError(
        `--control-plane.api-key takes env:NAME or file:/path, never the key itself (it would be visible to every user of this machine)`,
      );
    if (ref.kind === 'env') secretEnvNames.push(ref.target);
    return resolveReference('--control-plane.api-key', ref, env, sources.checkOnly);
  }
  const fromEnv = env[API_KEY_ENV]?.trim();
  if (fromEnv) return fromEnv;
  const raw = profile.get('control_plane.api_key');
  if (raw !== undefined) {
    const where = `control_plane.api_key${sources.file?.path ? ` in ${sources.file.path}` : ''}`;
    if (typeof raw !== 'string' || !raw.trim())
      throw new ConfigError(`${where} must be "env:NAME" or "file:/path" (or, unwisely, the key itself)`);
    const ref = parseSecretReference(raw);
    if (!ref) {
      warnings.push(
        `${where} holds the key itself: anyone who can read the profile can use it; write "env:${API_KEY_ENV}" or "file:/path/to/key" instead`,
      );
      return raw.trim();
    }
    if (ref.kind === 'env') secretEnvNames.push(ref.target);
    return resolveReference(where, ref, env, sources.checkOnly);
  }
  const fallback = env[API_KEY_FALLBACK_ENV]?.trim();
  if (fallback) return fallback;
  if (sources.checkOnly) return '';
  throw new ConfigError(
    `no API key: export ${API_KEY_ENV}=<runtime key with Tunnels Read + Use> (or ${API_KEY_FALLBACK_ENV}), pass --control-plane.api-key env:NAME or file:/path, or set control_plane.api_key: "env:NAME" or "file:/path" in the profile`,
  );
}

function required(setting: string, sources: ConfigSources, profile: Map<string, unknown>): Chosen {
  const s = SETTING_BY_KEY.get(setting)!;
  const chosen = choose(s, sources, profile);
  if (chosen) return chosen;
  throw new ConfigError(
    `${setting} is required: pass ${s.flag}, set ${s.env}, or set ${setting} in the profile`,
  );
}

function asDuration(chosen: Chosen, minMs: number, maxMs: number, range: string): number {
  const ms = parseConfigDuration(asString(chosen));
  if (ms === undefined || ms < minMs || ms > maxMs)
    throw problem(
      chosen,
      `expected a duration from ${range} written like 30s, 1500ms or 2m, got ${JSON.stringify(chosen.value)}`,
    );
  return ms;
}

function asReadableFile(chosen: Chosen | undefined, what: string, checkOnly?: boolean): string | undefined {
  if (!chosen) return undefined;
  const path = asString(chosen);
  if (checkOnly) return path;
  try {
    readFileSync(path);
  } catch (error) {
    throw problem(
      chosen,
      `${what} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): fix the path or its permissions`,
    );
  }
  return path;
}

function asProxyUrl(chosen: Chosen | undefined, raw?: string): string | undefined {
  if (!chosen) return undefined;
  const text = raw ?? asString(chosen);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw problem(chosen, `the proxy is not a URL; write it like http://proxy.internal:3128`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw problem(chosen, `the proxy must be an http:// or https:// URL, got ${url.protocol}`);
  return text;
}

/** A client certificate needs its key and the key its certificate; both must be readable now. */
function clientCertificate(
  cert: Chosen | undefined,
  key: Chosen | undefined,
  certKey: string,
  keyKey: string,
  checkOnly: boolean | undefined,
): { clientCert: string | undefined; clientKey: string | undefined } {
  if (cert && !key) throw problem(cert, `a client certificate needs its private key: set ${keyKey} as well`);
  if (key && !cert) throw problem(key, `a private key needs its client certificate: set ${certKey} as well`);
  return {
    clientCert: asReadableFile(cert, 'the client certificate', checkOnly),
    clientKey: asReadableFile(key, 'the client private key', checkOnly),
  };
}

/** The standard HTTPS_PROXY/HTTP_PROXY/NO_PROXY variables (lower case first, as curl reads them). */
export function proxyEnv(env: NodeJS.ProcessEnv): OutboundConfig['proxyEnv'] {
  const read = (name: string) => env[name.toLowerCase()]?.trim() || env[name]?.trim() || '';
  return { httpProxy: read('HTTP_PROXY'), httpsProxy: read('HTTPS_PROXY'), noProxy: read('NO_PROXY') };
}

/** Merges flags > environment > profile > defaults, validates, and returns the configuration. */
export function resolveConfig(sources: ConfigSources): ClientConfig {
  const where = sources.file?.path ?? 'the profile';
  const ignoredKeys: string[] = [];
  const profile = flattenProfile(sources.file?.data, where, ignoredKeys);
  const env = sources.env ?? {};
  const get = (key: string) => choose(SETTING_BY_KEY.get(key)!, sources, profile);

  const tunnel = required('control_plane.tunnel_id', sources, profile);
  const tunnelId = asString(tunnel);
  if (!isWellFormedTunnelId(tunnelId))
    throw problem(tunnel, `tunnel id "${tunnelId}" is malformed: a tunnel id is ${TUNNEL_ID_FORM_TEXT}`);

  const base = get('control_plane.base_url')!;
  const baseUrl = asHttpUrl(base, 'base URL').replace(/\/+$/, '');
  const urlPathChosen = get('control_plane.url_path');
  let urlPath = '';
  if (urlPathChosen) {
    const raw = asString(urlPathChosen);
    if (/[?#\s]/.test(raw) || raw.includes('://'))
      throw problem(urlPathChosen, `expected a path such as /tunnel-gateway, got ${JSON.stringify(raw)}`);
    urlPath = `/${raw.replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '');
  }

  const pollTimeoutMs = asDuration(get('control_plane.poll_timeout')!, 1000, 300_000, '1s to 5m');
  const pollDeadlineGuardrailMs = asDuration(
    get('control_plane.poll_deadline_guardrail')!,
    1,
    60_000,
    '1ms to 1m',
  );

  const commandsChosen = get('mcp.commands');
  const urlsChosen = get('mcp.server_urls');
  const commands = commandsChosen
    ? entries(commandsChosen, 'command').map((e) => ({
        channel: e.channel,
        command: e.value,
        sessionMode: e.options.session_mode
          ? asChoice(
              {
                ...commandsChosen,
                value: e.options.session_mode,
                origin: `${commandsChosen.origin} (channel ${e.channel}) session_mode`,
              },
              SESSION_MODES,
            )
          : ('shared' as const),
      }))
    : [];
  const serverUrls: ServerUrlEntry[] = urlsChosen
    ? entries(urlsChosen, 'url').map((e) => {
        const entry: ServerUrlEntry = {
          channel: e.channel,
          url: asHttpUrl(urlsChosen, 'MCP server URL', e.value),
        };
        const option = (key: string): Chosen | undefined =>
          e.options[key] === undefined
            ? undefined
            : { ...urlsChosen, value: e.options[key], origin: `${urlsChosen.origin} (channel ${e.channel})` };
        if (e.options.unix_socket) {
          if (e.options.http_proxy)
            throw problem(
              urlsChosen,
              `channel ${e.channel}: unix_socket and http_proxy cannot be combined (the socket is dialled directly)`,
            );
          const socket = option('unix_socket')!;
          const ref = parseSecretReference(e.options.unix_socket);
          entry.unixSocket = ref
            ? ref.kind === 'file'
              ? ref.target
              : resolveReference(socket.origin, ref, env, sources.checkOnly) || undefined
            : e.options.unix_socket;
        }
        if (e.options.http_proxy) entry.httpProxy = asProxyUrl(option('http_proxy'));
        const cert = clientCertificate(
          option('client_cert'),
          option('client_key'),
          'client_cert',
          'client_key',
          sources.checkOnly,
        );
        if (cert.clientCert) Object.assign(entry, cert);
        return entry;
      })
    : [];
  const seen = new Set<string>();
  for (const { channel, origin } of [
    ...commands.map((c) => ({ channel: c.channel, origin: commandsChosen! })),
    ...serverUrls.map((u) => ({ channel: u.channel, origin: urlsChosen! })),
  ]) {
    if (!isChannelName(channel)) throw problem(origin, `channel "${channel}" must be ${CHANNEL_NAME_SHAPE}`);
    if (seen.has(channel))
      throw problem(
        origin,
        `two MCP servers are configured for channel "${channel}"; give each its own channel (channel=NAME,...)`,
      );
    seen.add(channel);
  }

  const pollChannelsChosen = get('control_plane.poll_channels');
  let pollChannels: string[] | undefined;
  if (pollChannelsChosen) {
    const raw = Array.isArray(pollChannelsChosen.value)
      ? pollChannelsChosen.value.flatMap((v) => String(v).split(','))
      : String(pollChannelsChosen.value).split(',');
    pollChannels = [...new Set(raw.map((c) => c.trim()).filter(Boolean))].sort();
    for (const channel of pollChannels)
      if (!isChannelName(channel))
        throw problem(pollChannelsChosen, `channel "${channel}" must be ${CHANNEL_NAME_SHAPE}`);
    if (pollChannels.length === 0) throw problem(pollChannelsChosen, 'name at least one channel');
  }

  const secretEnvNames: string[] = IGNORED_SECRET_ENVS.filter((name) => env[name]?.trim());
  const warnings: string[] = ignoredNotices(
    sources.flags,
    env,
    ignoredKeys.map((key) => ({ key, where })),
  );
  const apiKey = resolveApiKey(sources, profile, secretEnvNames, warnings);
  const urlFile = get('health.url_file');
  const unixSocket = get('health.unix_socket');
  const organization = get('control_plane.organization_id');
  const logFile = get('log.file');
  const pidFile = get('process.pid_file');

  const caBundleChosen = get('ca_bundle');
  const caBundle = asReadableFile(caBundleChosen, 'the CA bundle', sources.checkOnly);
  if (caBundle && !sources.checkOnly && !/-----BEGIN CERTIFICATE-----/.test(readFileSync(caBundle, 'utf8')))
    throw problem(caBundleChosen!, `${caBundle} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  const globalProxy = asProxyUrl(get('http_proxy'));
  const standardProxies = proxyEnv(env);

  return {
    controlPlane: {
      baseUrl,
      urlPath,
      tunnelId,
      apiKey,
      pollTimeoutMs,
      pollDeadlineGuardrailMs,
      pollChannels,
      maxQueuedRequests: asInteger(get('control_plane.max_inflight_requests')!, 1, 10_000),
      extraHeaders: headerMap(get('control_plane.extra_headers'), env, secretEnvNames, sources.checkOnly),
      organizationId: organization ? asString(organization) : undefined,
      outbound: {
        httpProxy: asProxyUrl(get('control_plane.http_proxy')) ?? globalProxy,
        caBundle,
        ...clientCertificate(
          get('control_plane.client_cert'),
          get('control_plane.client_key'),
          'control_plane.client_cert',
          'control_plane.client_key',
          sources.checkOnly,
        ),
        proxyEnv: standardProxies,
      },
    },
    health: {
      listenAddr: checkListenAddr(get('health.listen_addr')!),
      unixSocket: unixSocket ? asString(unixSocket) : undefined,
      urlFile: urlFile ? asString(urlFile) : undefined,
    },
    adminUi: {
      openBrowser: asBoolean(get('admin_ui.open_browser')!),
      allowRemote: asBoolean(get('admin_ui.allow_remote')!),
      capturePayloads: asBoolean(get('admin_ui.capture_payloads')!),
      logBufferEvents: asInteger(get('admin_ui.log_buffer_events')!, 1, 100_000),
    },
    log: {
      level: asChoice(get('log.level')!, [
        'trace',
        'debug',
        'info',
        'warn',
        'error',
        'fatal',
        'silent',
      ] as const),
      format: asChoice(get('log.format')!, LOG_FORMATS),
      file: logFile ? asString(logFile) : undefined,
    },
    process: { pidFile: pidFile ? asString(pidFile) : undefined },
    mcp: {
      commands,
      serverUrls,
      maxConcurrentRequests: asInteger(get('mcp.max_concurrent_requests')!, 1, 1000),
      extraHeaders: headerMap(get('mcp.extra_headers'), env, secretEnvNames, sources.checkOnly),
      discoveryExtraHeaders: headerMap(
        get('mcp.discovery_extra_headers'),
        env,
        secretEnvNames,
        sources.checkOnly,
      ),
      connectionMaxTtlMs: asDuration(get('mcp.connection_max_ttl')!, 1, 24 * 3_600_000, '1ms to 24h'),
      requestTimeoutMs: asDuration(get('mcp.request_timeout')!, 1, 24 * 3_600_000, '1ms to 24h'),
      serverWaitMs: asDuration(get('mcp.server_wait_timeout')!, 0, 600_000, '0s to 10m'),
      startupWaitMs: asDuration(get('mcp.startup_wait_timeout')!, 0, 600_000, '0s to 10m'),
      sessionIdleTimeoutMs: asDuration(get('mcp.session_idle_timeout')!, 1000, 24 * 3_600_000, '1s to 24h'),
      maxSessionProcesses: asInteger(get('mcp.max_session_processes')!, 1, 1000),
      maxMessageBytes: asInteger(get('mcp.max_message_bytes')!, 1024, 1024 * 1024 * 1024),
      outbound: {
        httpProxy: asProxyUrl(get('mcp.http_proxy')) ?? globalProxy,
        caBundle,
        ...clientCertificate(
          get('mcp.client_cert'),
          get('mcp.client_key'),
          'mcp.client_cert',
          'mcp.client_key',
          sources.checkOnly,
        ),
        proxyEnv: standardProxies,
      },
    },
    secretEnvNames: [...secretEnvNames, ...OTLP_SECRET_ENVS.filter((name) => env[name]?.trim())],
    tracing: tracingSettings(env),
    warnings,
  };
}

/**
 * Builds a configuration for embedding from a profile-shaped object (the same keys as the YAML profile).
 * The API key may be given directly here, since it never passes through argv or a file.
 */
export function defineConfig(
  profile: Record<string, unknown> & { control_plane?: Record<string, unknown> },
  env: NodeJS.ProcessEnv = {},
): ClientConfig {
  const apiKey = profile.control_plane?.api_key;
  if (typeof apiKey === 'string' && !parseSecretReference(apiKey)) {
    const { api_key: _omit, ...controlPlane } = profile.control_plane!;
    return resolveConfig({
      file: { data: { ...profile, control_plane: controlPlane } },
      env: { ...env, [API_KEY_ENV]: apiKey },
    });
  }
  return resolveConfig({ file: { data: profile }, env });
}

/**
 * Checks a parsed profile the way `run` would read it on this machine, without needing the secrets,
 * variables and files it refers to to exist yet. Throws ConfigError naming the problem.
 */
export function validateProfile(data: unknown, path: string, env: NodeJS.ProcessEnv = process.env): void {
  resolveConfig({ file: { data, path }, env, checkOnly: true });
}

/** The static headers of every tunnel API request: extra_headers, and the organization when one is set. */
export function controlPlaneHeaders(controlPlane: ClientConfig['controlPlane']): Record<string, string> {
  const { extraHeaders, organizationId } = controlPlane;
  return organizationId ? { ...extraHeaders, 'OpenAI-Organization': organizationId } : extraHeaders;
}

/** The tunnel id the sources give, and where it came from, before any other check (for doctor). */
export function tunnelIdOf(sources: ConfigSources): { value: string; origin: string } {
  const profile = flattenProfile(sources.file?.data, sources.file?.path ?? 'the profile');
  const chosen = required('control_plane.tunnel_id', sources, profile);
  return { value: asString(chosen), origin: chosen.origin };
}

/** The API key the sources give, resolving its reference (for doctor). Throws ConfigError naming the fix. */
export function apiKeyOf(sources: ConfigSources): string {
  const profile = flattenProfile(sources.file?.data, sources.file?.path ?? 'the profile');
  return resolveApiKey(sources, profile, [], []);
}
