/**
 * One setting of tunnel-service: its `start` flag, environment variable, default and help text. This table
 * is the single source for the command line (`tunnel-service start`), the defaults of `startService`, and
 * the generated reference (docs/service-config.md).
 */
export interface Setting {
  /** The flag of `tunnel-service start`; absent for what only `startService` takes. */
  flag?: string;
  /** What the value is, in the flag's terms: named in --help (`--port <port>`) and in the reference. */
  value: string;
  env?: string;
  help: string;
  /** In the unit `startService` takes (milliseconds where the flag takes seconds). */
  defaultValue?: string | number;
  /** Says where the default comes from, when it depends on the environment. */
  defaultText?: string;
  /** Only the command line has it: not an option of `startService`. */
  commandLineOnly?: boolean;
  /** Takes a value more than once on the command line. */
  repeatable?: boolean;
  choices?: readonly string[];
  /**
   * Turns the flag's text into what `startService` takes; throws an Error saying what is allowed.
   * Absent: the text itself.
   */
  parse?: (text: string) => number;
  /** The default as the flag would write it, when it differs from the value `startService` takes. */
  showDefault?: (value: number) => string;
}

function wholeNumber(text: string, min: number, max: number | undefined, what: string): number {
  const number = Number(text);
  if (!/^\d+$/.test(text) || number < min || (max !== undefined && number > max)) throw new Error(what);
  return number;
}

const port = (text: string) =>
  wholeNumber(text, 0, 65535, 'give a port number from 0 to 65535 (0 picks a free port).');
const bytes = (text: string) =>
  wholeNumber(text, 1024, undefined, 'give a whole number of bytes, at least 1024.');
const atLeastOne = (unit: string) => (text: string) =>
  wholeNumber(text, 1, undefined, `give a whole number of ${unit}, at least 1.`);

const DAY_MS = 24 * 60 * 60_000;

/** `all`: metadata documents and dynamic registration; `none`: only clients already known. */
export const OAUTH_REGISTRATION_MODES = ['all', 'metadata-document', 'dynamic', 'none'] as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const SETTINGS = {
  host: {
    flag: '--host',
    value: 'host',
    env: 'TUNNEL_SERVICE_HOST',
    help: 'address to listen on',
    defaultValue: '127.0.0.1',
  },
  port: {
    flag: '--port',
    value: 'port',
    env: 'TUNNEL_SERVICE_PORT',
    help: 'port to listen on; 0 picks a free one',
    defaultValue: 8787,
    parse: port,
  },
  dataDir: {
    flag: '--data-dir',
    value: 'dir',
    env: 'TUNNEL_SERVICE_DATA_DIR',
    help: 'where the database lives',
    defaultText: '$XDG_DATA_HOME/mcp-tunnel, else ~/.local/share/mcp-tunnel',
  },
  databaseUrl: {
    flag: '--database-url',
    value: 'url',
    env: 'TUNNEL_SERVICE_DATABASE_URL',
    help: 'a PostgreSQL database (postgres://user@host:5432/name) that every node of a cluster shares, instead of the SQLite file in the data directory; give its password in PGPASSWORD or ~/.pgpass, or the whole URL in the environment variable, not on the command line',
    defaultText: 'none: SQLite in the data directory',
  },
  databasePoolSize: {
    flag: '--database-pool-size',
    value: 'connections',
    env: 'TUNNEL_SERVICE_DATABASE_POOL_SIZE',
    help: 'the most PostgreSQL connections this node holds open',
    defaultValue: 10,
    parse: atLeastOne('connections'),
  },
  ownerKeyFile: {
    flag: '--owner-key-file',
    value: 'path',
    help: 'on first start, also write the owner API key here (mode 0600)',
    commandLineOnly: true,
  },
  logLevel: {
    flag: '--log-level',
    value: 'level',
    help: 'log level (logs go to stderr)',
    defaultValue: 'info',
    choices: LOG_LEVELS,
  },
  allowedOrigins: {
    flag: '--allowed-origin',
    value: 'origin',
    help: 'an Origin allowed to call /v1/mcp besides the service itself (repeatable)',
    repeatable: true,
  },
  trustedProxies: {
    flag: '--trusted-proxy',
    value: 'address',
    env: 'TUNNEL_SERVICE_TRUSTED_PROXY',
    help: "a TLS-terminating reverse proxy in front of the service: an IP address, a CIDR range or loopback (repeatable; the variable takes a comma-separated list). Only requests from it have X-Forwarded-For and X-Forwarded-Proto believed: the caller's address for sign-in limits and the audit log, and https for the Secure session cookie",
    defaultText: 'none: the forwarded headers are ignored',
    repeatable: true,
  },
  maxBodyBytes: {
    flag: '--max-body-bytes',
    value: 'bytes',
    help: 'largest request body accepted',
    defaultValue: 4 * 1024 * 1024,
    parse: bytes,
  },
  maxJsonDepth: {
    flag: '--max-json-depth',
    value: 'levels',
    help: 'how deeply a JSON body may nest objects and arrays; deeper bodies are refused with 400',
    defaultValue: 128,
    parse: (text: string) => wholeNumber(text, 8, 1000, 'give a whole number of levels from 8 to 1000.'),
  },
  headersTimeoutMs: {
    flag: '--headers-timeout',
    value: 'seconds',
    env: 'TUNNEL_SERVICE_HEADERS_TIMEOUT',
    help: 'the longest a caller may take to send the headers of a request; slower ones get 408 and are disconnected',
    defaultValue: 20_000,
    parse: (text: string) => atLeastOne('seconds')(text) * 1000,
    showDefault: (ms: number) => String(ms / 1000),
  },
  bodyTimeoutMs: {
    flag: '--body-timeout',
    value: 'seconds',
    env: 'TUNNEL_SERVICE_BODY_TIMEOUT',
    help: 'the longest a caller may take to send a whole request, headers and body; slower ones get 408 and are disconnected',
    defaultValue: 60_000,
    parse: (text: string) => atLeastOne('seconds')(text) * 1000,
    showDefault: (ms: number) => String(ms / 1000),
  },
  keepAliveTimeoutMs: {
    flag: '--keep-alive-timeout',
    value: 'seconds',
    env: 'TUNNEL_SERVICE_KEEP_ALIVE_TIMEOUT',
    help: 'how long an idle connection is kept for the next request; longer than the idle timeout of a load balancer in front (often 60 s)',
    defaultValue: 72_000,
    parse: (text: string) => atLeastOne('seconds')(text) * 1000,
    showDefault: (ms: number) => String(ms / 1000),
  },
  maxConnectionsPerAddress: {
    flag: '--max-connections-per-address',
    value: 'count',
    env: 'TUNNEL_SERVICE_MAX_CONNECTIONS_PER_ADDRESS',
    help: 'open connections one client address may hold; more are answered 429 and closed. Behind a proxy every connection comes from the proxy: raise it there, or 0 for no limit',
    defaultValue: 1000,
    parse: (text: string) =>
      wholeNumber(text, 0, undefined, 'give a whole number of connections (0: no limit).'),
  },
  maxPollWaitMs: {
    value: 'milliseconds',
    help: 'the longest a poll is held open, whatever the tunnel-client asks',
    defaultValue: 30_000,
  },
  eventBufferEvents: {
    flag: '--event-buffer-events',
    value: 'count',
    env: 'TUNNEL_SERVICE_EVENT_BUFFER_EVENTS',
    help: 'SSE events kept per MCP session so a caller that reconnects with Last-Event-ID gets what it missed',
    defaultValue: 500,
    parse: atLeastOne('events'),
  },
  eventBufferBytes: {
    flag: '--event-buffer-bytes',
    value: 'bytes',
    env: 'TUNNEL_SERVICE_EVENT_BUFFER_BYTES',
    help: 'bytes of those events kept per MCP session',
    defaultValue: 8 * 1024 * 1024,
    parse: bytes,
  },
  eventBufferAgeMs: {
    flag: '--event-buffer-age',
    value: 'seconds',
    env: 'TUNNEL_SERVICE_EVENT_BUFFER_AGE',
    help: 'how long those events are kept',
    defaultValue: 5 * 60_000,
    parse: (text: string) => atLeastOne('seconds')(text) * 1000,
    showDefault: (ms: number) => String(ms / 1000),
  },
  auditRetentionDays: {
    flag: '--audit-retention',
    value: 'days',
    env: 'TUNNEL_SERVICE_AUDIT_RETENTION',
    help: 'audit entries older than this are deleted (checked hourly)',
    defaultValue: 365,
    parse: atLeastOne('days'),
  },
  oauthIssuer: {
    flag: '--oauth-issuer',
    value: 'url',
    env: 'TUNNEL_SERVICE_OAUTH_ISSUER',
    help: 'the URL MCP callers reach this service at, as an origin (https://tunnels.example.com behind a TLS proxy): the OAuth issuer, and the base of the connector URLs tokens are bound to',
    defaultText: 'the URL the service listens on',
  },
  oauthAccessTokenLifetimeMs: {
    flag: '--oauth-access-token-lifetime',
    value: 'seconds',
    env: 'TUNNEL_SERVICE_OAUTH_ACCESS_TOKEN_LIFETIME',
    help: 'how long an OAuth access token is accepted; clients then refresh it',
    defaultValue: 60 * 60_000,
    parse: (text: string) => atLeastOne('seconds')(text) * 1000,
    showDefault: (ms: number) => String(ms / 1000),
  },
  oauthRefreshTokenLifetimeMs: {
    flag: '--oauth-refresh-token-lifetime',
    value: 'days',
    env: 'TUNNEL_SERVICE_OAUTH_REFRESH_TOKEN_LIFETIME',
    help: 'how long an OAuth refresh token may be used (each use replaces it); the member then approves again',
    defaultValue: 30 * DAY_MS,
    parse: (text: string) => atLeastOne('days')(text) * DAY_MS,
    showDefault: (ms: number) => String(ms / DAY_MS),
  },
  oauthRegistration: {
    flag: '--oauth-registration',
    value: 'modes',
    env: 'TUNNEL_SERVICE_OAUTH_REGISTRATION',
    help: 'how OAuth clients make themselves known: Client ID Metadata Documents, Dynamic Client Registration, both, or neither (no new clients)',
    defaultValue: 'all',
    choices: OAUTH_REGISTRATION_MODES,
  },
  oauthClientMetadataAddresses: {
    flag: '--oauth-client-metadata-addresses',
    value: 'which',
    env: 'TUNNEL_SERVICE_OAUTH_CLIENT_METADATA_ADDRESSES',
    help: 'where Client ID Metadata Documents may be fetched from: public addresses only, or any (loopback and private too, for development)',
    defaultValue: 'public',
    choices: ['public', 'any'],
  },
  metricsPort: {
    flag: '--metrics-port',
    value: 'port',
    env: 'TUNNEL_SERVICE_METRICS_PORT',
    help: 'serve Prometheus metrics at GET /metrics on this port, apart from the public one (no key is asked for a scrape); 0 picks a free one',
    defaultText: 'none: no metrics listener',
    parse: port,
  },
  metricsHost: {
    flag: '--metrics-host',
    value: 'host',
    env: 'TUNNEL_SERVICE_METRICS_HOST',
    help: 'address the metrics listener (--metrics-port) listens on; open it only to your Prometheus',
    defaultValue: '127.0.0.1',
  },
  redisUrl: {
    flag: '--redis-url',
    value: 'url',
    env: 'TUNNEL_SERVICE_REDIS_URL',
    help: 'run as a node of a cluster: the Redis (redis:// or rediss://) that every node shares for command queues, tunnel presence, SSE resumption, the live traffic view and sign-in limits. Give a password through the environment variable, not the flag. Every node also needs the same store (docs/cluster.md)',
    defaultText: 'none: all of it in this process',
  },
  redisKeyPrefix: {
    flag: '--redis-key-prefix',
    value: 'prefix',
    env: 'TUNNEL_SERVICE_REDIS_KEY_PREFIX',
    help: 'put before every Redis key and channel the service uses, so several services can share one Redis; every node of a cluster must use the same',
    defaultValue: 'mcp-tunnel:',
  },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

/** The default of a setting as its flag writes it (seconds where `startService` takes milliseconds). */
export function flagDefault(setting: Setting): string | undefined {
  if (setting.defaultValue === undefined) return setting.defaultText;
  if (setting.showDefault && typeof setting.defaultValue === 'number')
    return setting.showDefault(setting.defaultValue);
  return String(setting.defaultValue);
}
