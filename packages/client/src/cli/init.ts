import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invocation } from './invocation.ts';
import { parse } from 'yaml';
import { ConfigError } from '../config/errors.ts';
import { checkProfileName, profileWriteDir } from '../config/profiles.ts';
import { API_KEY_ENV, TUNNEL_ID_FORM_TEXT, isWellFormedTunnelId, validateProfile } from '../config/schema.ts';

export const SAMPLES = [
  'sample_mcp_stdio_local',
  'sample_mcp_remote_no_auth',
  'sample_mcp_enterprise_proxy',
] as const;
export type Sample = (typeof SAMPLES)[number];

/** The variables the enterprise sample refers to, so one profile fits every machine behind the proxy. */
export const ENTERPRISE_PROXY_ENV = 'MCP_UPSTREAM_HTTP_PROXY';
export const ENTERPRISE_CA_ENV = 'MCP_UPSTREAM_CA_BUNDLE';

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
      'a Streamable HTTP MCP server reached through an HTTP proxy, with a private CA bundle for its certificate',
    flags: ['--tunnel-id', '--mcp-server-url'],
    needs: [
      RUNTIME_KEY_NEED,
      `${ENTERPRISE_PROXY_ENV}: the proxy URL, e.g. http://proxy.corp.example:3128 (mcp.http_proxy refers to it)`,
      `${ENTERPRISE_CA_ENV}: path of the PEM CA bundle that signed the MCP server's (or the TLS-inspecting proxy's) certificate (ca_bundle refers to it)`,
    ],
    caveats: [
      'mcp.http_proxy covers MCP server requests only; tunnel service requests use control_plane.http_proxy, else HTTPS_PROXY/NO_PROXY',
      'with an explicit proxy NO_PROXY is not consulted: every MCP request goes through the proxy',
      'ca_bundle is added to the system roots for every outbound TLS connection (tunnel service, MCP server, proxy); it never replaces them',
      'the proxy must allow CONNECT to the MCP server host and port for an https:// URL',
      'both variables must be set where tunnel-client runs (e.g. Environment= in a systemd unit); tunnel-client doctor reports an unset one',
    ],
  },
};

export interface InitOptions {
  sample: string;
  profile: string;
  tunnelId: string;
  mcpCommand?: string;
  mcpServerUrl?: string;
  baseUrl: string;
  profileDir?: string;
  force?: boolean;
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

function mcpSection(options: InitOptions & { sample: Sample }): string[] {
  switch (options.sample) {
    case 'sample_mcp_stdio_local':
      return ['mcp:', '  commands:', '    - channel: main', `      command: ${quote(options.mcpCommand!)}`];
    case 'sample_mcp_remote_no_auth':
      return ['mcp:', '  server_urls:', '    - channel: main', `      url: ${quote(options.mcpServerUrl!)}`];
    case 'sample_mcp_enterprise_proxy':
      return [
        '# Added to the system roots for every outbound TLS connection.',
        `ca_bundle: ${quote(`env:${ENTERPRISE_CA_ENV}`)}`,
        'mcp:',
        '  # MCP server requests only; the tunnel service uses control_plane.http_proxy or HTTPS_PROXY.',
        `  http_proxy: ${quote(`env:${ENTERPRISE_PROXY_ENV}`)}`,
        '  server_urls:',
        '    - channel: main',
        `      url: ${quote(options.mcpServerUrl!)}`,
      ];
  }
}

export function renderProfile(options: InitOptions & { sample: Sample }): string {
  return [
    `# tunnel-client profile "${options.profile}" (${options.sample}); run it with: tunnel-client run --profile ${options.profile}`,
    'config_version: 1',
    'control_plane:',
    `  base_url: ${quote(options.baseUrl)}`,
    `  tunnel_id: ${quote(options.tunnelId)}`,
    `  api_key: ${quote(`env:${API_KEY_ENV}`)}`,
    'health:',
    `  listen_addr: ${quote('127.0.0.1:8080')}`,
    `  # url_file: "/tmp/tunnel-client-health.url"   (use with listen_addr "127.0.0.1:0")`,
    'admin_ui:',
    '  open_browser: false',
    'log:',
    '  level: info',
    '  format: json',
    ...mcpSection(options),
    '',
  ].join('\n');
}

/** Checks the flags a sample needs and returns its profile text. */
export function sampleProfile(options: InitOptions): { sample: Sample; profile: string; text: string } {
  if (!(SAMPLES as readonly string[]).includes(options.sample))
    throw new ConfigError(`unknown sample "${options.sample}": choose one of ${SAMPLES.join(', ')}`);
  const sample = options.sample as Sample;
  const profile = checkProfileName(options.profile);
  if (!isWellFormedTunnelId(options.tunnelId))
    throw new ConfigError(
      `--tunnel-id "${options.tunnelId}" is malformed: a tunnel id is ${TUNNEL_ID_FORM_TEXT}`,
    );
  checkUrl(options.baseUrl, '--base-url');
  if (sample === 'sample_mcp_stdio_local' && !options.mcpCommand?.trim())
    throw new ConfigError(`${sample} needs --mcp-command "<command that starts your MCP server>"`);
  if (sample !== 'sample_mcp_stdio_local') {
    if (!options.mcpServerUrl?.trim())
      throw new ConfigError(`${sample} needs --mcp-server-url <Streamable HTTP URL>`);
    checkUrl(options.mcpServerUrl, '--mcp-server-url');
  }
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
  const path = saveProfile(profile, text, options, env);
  return { path, message: nextSteps(profile, path, sample, options.profileDir) };
}
