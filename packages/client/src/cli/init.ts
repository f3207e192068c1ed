import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invocation } from './invocation.ts';
import { parse } from 'yaml';
import { ConfigError } from '../config/errors.ts';
import { checkProfileName, profileWriteDir } from '../config/profiles.ts';
import { locateProgram } from '../bindings/command-line.ts';
import { parseSecretReference } from '../config/secrets.ts';
import { API_KEY_ENV, TUNNEL_ID_FORM_TEXT, isWellFormedTunnelId, validateProfile } from '../config/schema.ts';

/** Go's samples; sample_mcp_with_dcr is Go's default. */
export const SAMPLES = [
  'sample_mcp_with_dcr',
  'sample_mcp_stdio_local',
  'sample_mcp_remote_no_auth',
  'sample_mcp_enterprise_proxy',
] as const;
export type Sample = (typeof SAMPLES)[number];
export const DEFAULT_SAMPLE: Sample = 'sample_mcp_with_dcr';

/** The variables Go's enterprise sample refers to (top-level http_proxy and ca_bundle). */
export const ENTERPRISE_PROXY_ENV = 'HTTPS_PROXY';
export const ENTERPRISE_CA_ENV = 'ENTERPRISE_CA_BUNDLE';

/** What `profiles samples show` tells about a sample besides its YAML. */
export interface SampleGuide {
  summary: string;
  /** Flags `profiles add` needs for it. */
  flags: string[];
  /** What must exist on the machine that runs it. */
  needs: string[];
  caveats: string[];
}

const RUNTIME_KEY_NEED = `${API_KEY_ENV}: a runtime API key with Tunnels Read + Use on the tunnel's organization`;

export const SAMPLE_GUIDES: Record<Sample, SampleGuide> = {
  sample_mcp_with_dcr: {
    summary:
      'the general-purpose sample: a Streamable HTTP MCP server (OAuth servers included) or a stdio command, on channel main',
    flags: ['--tunnel-id', '--mcp-server-url | --mcp-command'],
    needs: [
      RUNTIME_KEY_NEED,
      'the MCP server URL, reachable from this machine, or the command that starts the server',
    ],
    caveats: [
      'an MCP server that asks callers to sign in with OAuth is ready as soon as it answers; each caller brings its own token',
      'HTTPS_PROXY/HTTP_PROXY/NO_PROXY apply to the MCP URL; loopback is always reached directly',
    ],
  },
  sample_mcp_stdio_local: {
    summary: 'an MCP server started by tunnel-client as a child process, speaking JSON-RPC on stdio',
    flags: ['--tunnel-id', '--mcp-command'],
    needs: [
      RUNTIME_KEY_NEED,
      'the MCP server command, runnable by the user that runs tunnel-client; it is started directly, not by a shell, so pipes, redirections and $VARIABLES do not work (put quotes around an argument that holds spaces)',
    ],
    caveats: [
      'the child gets the client environment minus the tunnel secrets (the API key variables are withheld)',
      "the child's stderr lines go to the tunnel-client log; only JSON-RPC may be written to stdout",
      'a child that exits is restarted with backoff; requests in flight on it fail at once',
    ],
  },
  sample_mcp_remote_no_auth: {
    summary: 'an MCP server already listening on a Streamable HTTP URL that needs no authentication',
    flags: ['--tunnel-id', '--mcp-server-url'],
    needs: [RUNTIME_KEY_NEED, 'the MCP server URL, reachable from this machine'],
    caveats: [
      'HTTPS_PROXY/HTTP_PROXY/NO_PROXY apply to the MCP URL too; loopback is always reached directly',
      'for a server that needs a token, add mcp.extra_headers with an env: reference, never the token itself',
    ],
  },
  sample_mcp_enterprise_proxy: {
    summary:
      'an MCP server (HTTP URL or stdio command) behind an outbound HTTP proxy or a private CA: every outbound connection uses the proxy and trusts the CA',
    flags: ['--tunnel-id', '--mcp-server-url | --mcp-command'],
    needs: [
      RUNTIME_KEY_NEED,
      `${ENTERPRISE_PROXY_ENV}: the proxy URL, e.g. http://proxy.corp.example:3128 (http_proxy refers to it)`,
      `${ENTERPRISE_CA_ENV}: path of the PEM CA bundle of the proxy or the internal PKI (ca_bundle refers to it)`,
    ],
    caveats: [
      'http_proxy is the proxy for every outbound connection (tunnel service and MCP server); with an explicit proxy NO_PROXY is not consulted',
      'ca_bundle is added to the system roots for every outbound TLS connection; it never replaces them',
      'the proxy must allow CONNECT to the tunnel service and the MCP server for https:// URLs',
      'both variables must be set where tunnel-client runs (e.g. Environment= in a systemd unit); tunnel-client doctor reports an unset one',
      'an admin key (OPENAI_ADMIN_KEY) is for tunnel-client admin tunnels only, never the runtime key',
    ],
  },
};

export interface InitOptions {
  /** Inferred when absent: sample_mcp_stdio_local for a command alone, else sample_mcp_with_dcr. */
  sample?: string;
  /** Go's default: the sample_mcp_with_dcr profile. */
  profile?: string;
  tunnelId: string;
  mcpCommand?: string;
  mcpServerUrl?: string;
  baseUrl: string;
  urlPath?: string;
  /** Where the runtime key comes from: env:NAME or file:/path (default env:CONTROL_PLANE_API_KEY). */
  apiKeyRef?: string;
  healthListenAddr?: string;
  openBrowser?: boolean;
  profileDir?: string;
  force?: boolean;
}

/** The sample Go's init picks when none is named. */
export function inferSample(mcpCommand: string | undefined, mcpServerUrl: string | undefined): Sample {
  return mcpCommand?.trim() && !mcpServerUrl?.trim() ? 'sample_mcp_stdio_local' : DEFAULT_SAMPLE;
}

/** YAML double-quoted scalar; JSON string escapes are valid YAML. */
const quote = (value: string) => JSON.stringify(value);

function checkUrl(value: string, flag: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  throw new ConfigError(`${flag} "${value}" is not an http(s) URL; write it like https://host[:port]/path`);
}

type Resolved = InitOptions & { sample: Sample; profile: string };

function mcpSection(options: Resolved): string[] {
  const url =
    options.sample === 'sample_mcp_remote_no_auth' ||
    (options.sample !== 'sample_mcp_stdio_local' && options.mcpServerUrl);
  return url
    ? ['mcp:', '  server_urls:', '    - channel: main', `      url: ${quote(options.mcpServerUrl!)}`]
    : ['mcp:', '  commands:', '    - channel: main', `      command: ${quote(options.mcpCommand!)}`];
}

/** A profile with the keys, values and order of Go's sample of the same name. */
export function renderProfile(options: Resolved): string {
  const enterprise =
    options.sample === 'sample_mcp_enterprise_proxy'
      ? [
          `# Every outbound connection goes through the proxy in $${ENTERPRISE_PROXY_ENV} and also trusts the CA`,
          `# bundle named by $${ENTERPRISE_CA_ENV}; the runtime key comes from $${API_KEY_ENV}.`,
        ]
      : [];
  return [
    `# tunnel-client profile "${options.profile}" (${options.sample}); run it with: tunnel-client run --profile ${options.profile}`,
    ...enterprise,
    'config_version: 1',
    ...(options.sample === 'sample_mcp_enterprise_proxy'
      ? [
          `ca_bundle: ${quote(`env:${ENTERPRISE_CA_ENV}`)}`,
          `http_proxy: ${quote(`env:${ENTERPRISE_PROXY_ENV}`)}`,
        ]
      : []),
    'control_plane:',
    `  base_url: ${quote(options.baseUrl)}`,
    ...(options.urlPath ? [`  url_path: ${quote(options.urlPath)}`] : []),
    `  tunnel_id: ${quote(options.tunnelId)}`,
    `  api_key: ${quote(options.apiKeyRef ?? `env:${API_KEY_ENV}`)}`,
    'health:',
    `  listen_addr: ${quote(options.healthListenAddr ?? DEFAULT_HEALTH_LISTEN_ADDR)}`,
    `  # url_file: "/tmp/tunnel-client-health.url"   (use with listen_addr "127.0.0.1:0")`,
    'admin_ui:',
    `  open_browser: ${options.openBrowser === true}`,
    'log:',
    '  level: info',
    '  format: json',
    ...mcpSection(options),
    '',
  ].join('\n');
}

export const DEFAULT_HEALTH_LISTEN_ADDR = '127.0.0.1:8080';

/** Checks the flags a sample needs and returns its profile text. */
export function sampleProfile(options: InitOptions): { sample: Sample; profile: string; text: string } {
  const sampleName = options.sample?.trim() || inferSample(options.mcpCommand, options.mcpServerUrl);
  if (!(SAMPLES as readonly string[]).includes(sampleName))
    throw new ConfigError(`unknown sample "${sampleName}": choose one of ${SAMPLES.join(', ')}`);
  const sample = sampleName as Sample;
  const profile = checkProfileName(options.profile?.trim() || DEFAULT_SAMPLE);
  if (!options.tunnelId?.trim())
    throw new ConfigError(
      'a tunnel id is required: pass --tunnel-id tunnel_... (create one with "tunnel-client admin tunnels create --help", or see "tunnel-client help quickstart")',
    );
  if (!isWellFormedTunnelId(options.tunnelId))
    throw new ConfigError(
      `--tunnel-id "${options.tunnelId}" is malformed: a tunnel id is ${TUNNEL_ID_FORM_TEXT}`,
    );
  checkUrl(options.baseUrl, '--control-plane-base-url');
  if (options.apiKeyRef !== undefined && !parseSecretReference(options.apiKeyRef))
    throw new ConfigError(
      '--control-plane-api-key-ref takes env:NAME or file:/path, never the key itself (it would be written to the profile and visible in the process list)',
    );
  const command = options.mcpCommand?.trim();
  const url = options.mcpServerUrl?.trim();
  if (sample === 'sample_mcp_stdio_local' && !command)
    throw new ConfigError(`${sample} needs --mcp-command "<command that starts your MCP server>"`);
  if (sample === 'sample_mcp_remote_no_auth' && !url)
    throw new ConfigError(`${sample} needs --mcp-server-url <Streamable HTTP URL>`);
  if (!command && !url)
    throw new ConfigError(
      `${sample} needs --mcp-server-url <Streamable HTTP URL> or --mcp-command "<command>"`,
    );
  if (url && sample !== 'sample_mcp_stdio_local') checkUrl(url, '--mcp-server-url');
  return { sample, profile, text: renderProfile({ ...options, sample, profile }) };
}

/**
 * Validates profile text and writes it as <dir>/<name>.yaml, refusing to replace an existing profile
 * unless asked to. Returns the path written.
 */
export function saveProfile(
  name: string,
  text: string,
  options: { profileDir?: string; force?: boolean; origin?: string },
  env: NodeJS.ProcessEnv = process.env,
): string {
  const profile = checkProfileName(name);
  const dir = profileWriteDir(options.profileDir, env);
  const path = join(dir, `${profile}.yaml`);
  if (existsSync(path) && !options.force)
    throw new ConfigError(`profile "${profile}" already exists at ${path}: pass --force to overwrite it`);
  checkProfileText(text, options.origin ?? path, env);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Parses and validates profile text, naming `origin` in the error. */
export function checkProfileText(text: string, origin: string, env: NodeJS.ProcessEnv = process.env): void {
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    throw new ConfigError(`${origin} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  validateProfile(data, origin, env);
}

/** What to do after a profile was written. */
export function nextSteps(
  profile: string,
  path: string,
  sample: Sample | undefined,
  profileDir?: string,
  command = invocation(),
) {
  const dirFlag = profileDir ? ` --profile-dir ${JSON.stringify(profileDir)}` : '';
  const needs = sample ? SAMPLE_GUIDES[sample].needs.slice(1).map((need) => `  # needs ${need}`) : [];
  return [
    `Wrote profile "${profile}" to ${path}`,
    '',
    'Next:',
    `  export ${API_KEY_ENV}=<runtime API key with Tunnels Read + Use>`,
    ...needs,
    `  ${command} doctor --profile ${profile}${dirFlag}`,
    `  ${command} run --profile ${profile}${dirFlag}`,
    '',
  ].join('\n');
}

/** Writes a profile from a sample and returns the text to show the operator. */
export function initProfile(
  options: InitOptions,
  env: NodeJS.ProcessEnv = process.env,
): { path: string; message: string } {
  const { sample, profile, text } = sampleProfile(options);
  // As Go's init: a command that cannot start is reported now, not at the first request.
  const command = options.mcpCommand?.trim();
  if (command && !(sample !== 'sample_mcp_stdio_local' && options.mcpServerUrl?.trim())) {
    try {
      locateProgram(command, env);
    } catch (error) {
      throw new ConfigError(
        `--mcp-command: ${(error as Error).message}; check the command, or give its full path`,
      );
    }
  }
  const path = saveProfile(profile, text, options, env);
  return { path, message: nextSteps(profile, path, sample, options.profileDir) };
}
