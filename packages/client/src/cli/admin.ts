// `tunnel-client admin tunnels ...`: the tunnel management API (/v1/tunnels*) of OpenAI's hosted service
// or of this project's tunnel-service, with an admin key that never appears on the command line.
import { Command, Option } from 'commander';
import type { Dispatcher } from 'undici';
import { ConfigError } from '../config/errors.ts';
import { parseSecretReference, resolveSecretReference } from '../config/secrets.ts';
import {
  API_KEY_ENV,
  TUNNEL_ID_FORM_TEXT,
  isWellFormedTunnelId,
  proxyEnv,
  resolveConfig,
  type ClientConfig,
} from '../config/schema.ts';
import { findProfile, readProfile } from '../config/profiles.ts';
import { CLIENT_NAME, CLIENT_VERSION } from '../base/version.ts';
import { fail, guarded } from './exit.ts';
import { table } from './profiles.ts';

export const ADMIN_KEY_ENV = 'OPENAI_ADMIN_KEY';
const DEFAULT_BASE_URL = 'https://api.openai.com';
const REQUEST_TIMEOUT_MS = 30_000;

interface AdminOptions {
  adminKey?: string;
  baseUrl?: string;
  'controlPlane.baseUrl'?: string;
  controlPlaneBaseUrl?: string;
  'controlPlane.urlPath'?: string;
  controlPlaneUrlPath?: string;
  profile?: string;
  profileDir?: string;
  organizationId?: string[];
  workspaceId?: string[];
  tenantId?: string;
  name?: string;
  description?: string;
  responseTimeout?: string;
  json?: boolean;
  confirm?: boolean;
}

/** The admin key: an env:/file: reference from --admin-key, else the value of OPENAI_ADMIN_KEY. */
export function adminKey(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag !== undefined) {
    const ref = parseSecretReference(flag);
    if (!ref)
      throw new ConfigError(
        `--admin-key takes a reference, "env:NAME" or "file:/path", never the key itself (it would be visible to every user of this machine): export ${ADMIN_KEY_ENV}=<key> instead`,
      );
    return resolveSecretReference('--admin-key', ref, env);
  }
  return env[ADMIN_KEY_ENV]?.trim() || undefined;
}

interface Target {
  /** Base URL plus the profile's url_path, without a trailing slash. */
  root: string;
  key: string;
  agent: Dispatcher;
}

function profileConfig(opts: AdminOptions, env: NodeJS.ProcessEnv, checkOnly: boolean): ClientConfig {
  const file = readProfile(findProfile(opts.profile!, opts.profileDir, env), env);
  return resolveConfig({ file, env, checkOnly });
}

/**
 * Where to send the request and with which key. With --profile the base URL, URL path, proxy and CA come
 * from the profile, and `get` may fall back to the profile's runtime key.
 */
async function target(opts: AdminOptions, env: NodeJS.ProcessEnv, allowRuntimeKey: boolean): Promise<Target> {
  let key = adminKey(opts.adminKey, env);
  const useRuntimeKey = !key && allowRuntimeKey;
  const config = opts.profile === undefined ? undefined : profileConfig(opts, env, !useRuntimeKey);
  // A read-only lookup may use the runtime key, as the client itself does at start-up.
  if (useRuntimeKey)
    key =
      config?.controlPlane.apiKey ?? (env[API_KEY_ENV]?.trim() || env.OPENAI_API_KEY?.trim() || undefined);
  if (!key)
    throw new ConfigError(
      allowRuntimeKey
        ? `get needs a key: export ${ADMIN_KEY_ENV}, ${API_KEY_ENV} (a runtime key) or OPENAI_API_KEY, pass --admin-key env:NAME or file:/path, or --profile NAME`
        : `no admin key: export ${ADMIN_KEY_ENV}=<admin key with Tunnels Read + Manage>, or pass --admin-key env:NAME or --admin-key file:/path`,
    );
  // Go's flag names (and hidden aliases) and variables, and our --base-url.
  const explicitBase =
    opts['controlPlane.baseUrl'] ??
    opts.controlPlaneBaseUrl ??
    opts.baseUrl ??
    (env.CONTROL_PLANE_BASE_URL?.trim() || undefined);
  const base = (explicitBase ?? config?.controlPlane.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const rawPath =
    opts['controlPlane.urlPath'] ??
    opts.controlPlaneUrlPath ??
    (env.CONTROL_PLANE_URL_PATH?.trim() || undefined);
  if (rawPath !== undefined && (/[?#\s]/.test(rawPath) || rawPath.includes('://')))
    throw new ConfigError(`--control-plane.url-path "${rawPath}" is not a path such as /tunnel-gateway`);
  // The profile's url_path goes with the profile's base URL only.
  const urlPath =
    rawPath !== undefined
      ? `/${rawPath.replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '')
      : explicitBase === undefined
        ? (config?.controlPlane.urlPath ?? '')
        : '';
  try {
    const url = new URL(base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`--base-url "${base}" is not an http(s) URL; write it like https://api.openai.com`);
  }
  const outbound = config?.controlPlane.outbound ?? {
    httpProxy: undefined,
    caBundle: undefined,
    clientCert: undefined,
    clientKey: undefined,
    proxyEnv: proxyEnv(env),
  };
  // Loaded here so that commands which make no request start quickly.
  const { createOutboundAgent } = await import('../outbound/agents.ts');
  return {
    root: `${base}${urlPath}`,
    key,
    agent: createOutboundAgent(outbound, new URL(base)),
  };
}

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function call(t: Target, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const { request } = await import('undici');
  let response: Dispatcher.ResponseData;
  try {
    response = await request(`${t.root}${path}`, {
      method,
      dispatcher: t.agent,
      headers: {
        authorization: `Bearer ${t.key}`,
        'user-agent': `${CLIENT_NAME}/${CLIENT_VERSION}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).name;
    throw new ApiError(
      0,
      `${method} ${t.root}${path} failed: ${code} (is the base URL right and reachable?)`,
    );
  }
  const text = await response.body.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the raw text is shown below
  }
  if (response.statusCode >= 400) {
    const error = (parsed as { error?: { message?: unknown; code?: unknown } } | undefined)?.error;
    const message = typeof error?.message === 'string' ? error.message : text.slice(0, 300) || '(empty body)';
    const code = typeof error?.code === 'string' ? ` [${error.code}]` : '';
    throw new ApiError(response.statusCode, `HTTP ${response.statusCode}${code}: ${message}`);
  }
  if (parsed === undefined)
    throw new ApiError(response.statusCode, `HTTP ${response.statusCode} but the body is not JSON`);
  return parsed as Record<string, unknown>;
}

function tunnelPath(id: string): string {
  if (!isWellFormedTunnelId(id))
    throw new ConfigError(`tunnel id "${id}" is malformed: a tunnel id is ${TUNNEL_ID_FORM_TEXT}`);
  return `/v1/tunnels/${id}`;
}

const text = (value: unknown) => (value === undefined || value === null ? '-' : String(value));

function renderTunnels(records: Record<string, unknown>[]): string {
  if (records.length === 0) return 'No tunnels.\n';
  return table(
    ['ID', 'NAME', 'RESPONSE TIMEOUT', 'CREATED', 'DESCRIPTION'],
    records.map((r) => [
      text(r.id),
      text(r.name),
      text(r.response_timeout),
      text(r.created_at),
      text(r.description),
    ]),
  );
}

function renderTunnel(record: Record<string, unknown>): string {
  const lines = Object.entries(record)
    .filter(([key]) => key !== 'object' && key !== 'clients')
    .map(
      ([key, value]) => `${key.padEnd(17)} ${Array.isArray(value) ? value.join(', ') || '-' : text(value)}`,
    );
  const clients = record.clients;
  if (Array.isArray(clients)) {
    lines.push(`${'clients'.padEnd(17)} ${clients.length}`);
    for (const c of clients as Record<string, unknown>[])
      lines.push(
        `  ${text(c.instance_id)}  ${text(c.name)} ${text(c.version)}  last poll ${text(c.last_poll_at)}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/** The create/update body from the flags; only what was given. */
function tunnelBody(opts: AdminOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (opts.name !== undefined) body.name = opts.name;
  if (opts.description !== undefined) body.description = opts.description;
  if (opts.organizationId?.length) body.organization_ids = opts.organizationId;
  if (opts.workspaceId?.length) body.workspace_ids = opts.workspaceId;
  if (opts.responseTimeout !== undefined) body.response_timeout = opts.responseTimeout;
  return body;
}

async function perform(action: string, id: string | undefined, opts: AdminOptions): Promise<string> {
  const env = process.env;
  const show = (record: Record<string, unknown>) =>
    opts.json ? `${JSON.stringify(record, null, 2)}\n` : renderTunnel(record);
  switch (action) {
    case 'list': {
      const filter = new URLSearchParams();
      if (opts.organizationId?.[0]) filter.set('organization_id', opts.organizationId[0]);
      if (opts.workspaceId?.[0]) filter.set('workspace_id', opts.workspaceId[0]);
      if (opts.tenantId) filter.set('tenant_id', opts.tenantId);
      const query = filter.size ? `?${filter}` : '';
      const answer = await call(await target(opts, env, false), 'GET', `/v1/tunnels${query}`);
      // This project's service answers {data: [...]}; the hosted one {tunnels: [...]}.
      const records = answer.data ?? answer.tunnels;
      const data = Array.isArray(records) ? (records as Record<string, unknown>[]) : [];
      return opts.json ? `${JSON.stringify(answer, null, 2)}\n` : renderTunnels(data);
    }
    case 'create': {
      if (!opts.name?.trim()) throw new ConfigError('create needs --name NAME');
      return show(await call(await target(opts, env, false), 'POST', '/v1/tunnels', tunnelBody(opts)));
    }
    case 'get': {
      let tunnelId = id;
      if (tunnelId === undefined && opts.profile !== undefined)
        tunnelId = profileConfig(opts, env, true).controlPlane.tunnelId;
      if (tunnelId === undefined)
        throw new ConfigError('get needs TUNNEL_ID (or --profile NAME for its tunnel)');
      return show(await call(await target(opts, env, true), 'GET', tunnelPath(tunnelId)));
    }
    case 'update': {
      const body = tunnelBody(opts);
      if (Object.keys(body).length === 0)
        throw new ConfigError(
          'update needs at least one of --name, --description, --organization-id, --workspace-id, --response-timeout',
        );
      return show(await call(await target(opts, env, false), 'POST', tunnelPath(id!), body));
    }
    case 'delete': {
      const path = tunnelPath(id!);
      if (!opts.confirm)
        fail(
          `delete removes tunnel ${id} for good: clients polling it stop working and MCP callers get errors. Run it again with --confirm to delete it.`,
        );
      return show(await call(await target(opts, env, false), 'DELETE', path));
    }
    default:
      throw new ConfigError(`unknown action ${action}`);
  }
}

const repeatable = (flags: string, help: string) =>
  new Option(flags, `${help} (repeatable)`).argParser((v: string, prev: string[] | undefined) => [
    ...(prev ?? []),
    v,
  ]);

/** Scope flags: the tunnel's attachments on create/update, the filter on list. */
function withScopeOptions(command: Command): Command {
  return command
    .addOption(repeatable('--organization-id <id>', 'organization id'))
    .addOption(repeatable('--workspace-id <id>', 'workspace id (OpenAI-hosted service)'));
}

function withBodyOptions(command: Command): Command {
  return withScopeOptions(command)
    .option('--name <name>', 'tunnel name')
    .option('--description <text>', 'tunnel description')
    .option('--response-timeout <duration>', 'deadline of each command sent to the tunnel, e.g. 60s');
}

export function adminCommand(): Command {
  // Options common to every admin command live on `admin`; commander reads them before or after the
  // subcommand, so both "admin --json tunnels get" and "admin tunnels get --json" work.
  const admin = new Command('admin')
    .description('manage the tunnel service (needs an admin key)')
    .option('--admin-key <ref>', `admin key reference, env:NAME or file:/path (default: $${ADMIN_KEY_ENV})`)
    .option(
      '--control-plane.base-url <url>',
      `tunnel service base URL (default: CONTROL_PLANE_BASE_URL, the profile's, else ${DEFAULT_BASE_URL})`,
    )
    .option('--control-plane.url-path <path>', 'path prefix before /v1/... (default: CONTROL_PLANE_URL_PATH)')
    .option('--base-url <url>', 'the same as --control-plane.base-url')
    .addOption(new Option('--control-plane-base-url <url>').hideHelp())
    .addOption(new Option('--control-plane-url-path <path>').hideHelp())
    .option(
      '--profile <name>',
      'take the base URL (and for get, the tunnel id and runtime key) from a profile',
    )
    .option('--profile-dir <dir>', 'profile directory to look in')
    .option('--json', 'print the JSON answer');
  const tunnels = admin.command('tunnels').description('list, create, get, update and delete tunnels');
  const run = (action: string) =>
    guarded(async (...args: unknown[]) => {
      const id = typeof args[0] === 'string' ? args[0] : undefined;
      const command = args[args.length - 1] as Command;
      const opts = command.optsWithGlobals<AdminOptions>();
      try {
        process.stdout.write(await perform(action, id, opts));
      } catch (error) {
        if (error instanceof ApiError) fail(error.message);
        throw error;
      }
    });
  withScopeOptions(tunnels.command('list').description('list the tunnels of your organization'))
    .option('--tenant-id <id>', 'tenant id filter (OpenAI-hosted service)')
    .action(run('list'));
  withBodyOptions(tunnels.command('create').description('create a tunnel (--name required)')).action(
    run('create'),
  );
  tunnels
    .command('get')
    .description('show a tunnel; an admin key, the runtime key (CONTROL_PLANE_API_KEY) or --profile will do')
    .argument('[tunnel_id]', "tunnel id (default: the profile's)")
    .action(run('get'));
  withBodyOptions(
    tunnels.command('update').description('change a tunnel').argument('<tunnel_id>', 'tunnel id'),
  ).action(run('update'));
  withScopeOptions(
    tunnels
      .command('delete')
      .description('delete a tunnel (requires --confirm)')
      .argument('<tunnel_id>', 'tunnel id')
      .option('--confirm', 'yes, delete it'),
  ).action(run('delete'));
  return admin;
}
