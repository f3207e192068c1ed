// `tunnel-service roles|service-accounts|api-keys|tunnels create|list`: an operator's set-up steps, run
// against a running service's management API with a key from the environment or a file. Each `create`
// prints on stdout exactly what the next step needs (an id, or a key's secret, once) and says what it did
// on stderr, so `ROLE=$(tunnel-service roles create ...)` works; `--json` prints the service's answer.
import { Command, Option } from 'commander';
import {
  PERMISSION_ATOMS,
  PERMISSION_LABELS,
  isPermissionAtom,
  type ApiKeyRecord,
  type ListResponse,
  type PermissionAtom,
  type RoleRecord,
  type TunnelRecord,
} from '@mcp-tunnel/protocol';
import { SETTINGS } from '../config/settings.ts';
import {
  API_KEY_ENV,
  URL_ENV,
  ServiceError,
  UsageError,
  managementCall,
  resolveApiKey,
  serviceBaseUrl,
  type ManagementTarget,
} from './management-client.ts';

export const DEFAULT_SERVICE_URL = `http://${SETTINGS.host.defaultValue}:${SETTINGS.port.defaultValue}`;

interface TargetFlags {
  url: string;
  apiKey?: string;
  json?: boolean;
}

interface ServiceAccount {
  id: string;
  name: string;
  kind: 'user' | 'service_account';
  role_ids: string[];
  created_at: string;
}

type ListedKey = ApiKeyRecord & { owner_name: string | null; effective_permissions: PermissionAtom[] };

/** What a command did, for the person reading: stderr, so that stdout holds only the value to keep. */
function say(text: string): void {
  process.stderr.write(`${text}\n`);
}
function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
const printJson = (value: unknown) => print(JSON.stringify(value, null, 2));

function target(flags: TargetFlags): ManagementTarget {
  const url = serviceBaseUrl(flags.url);
  if (!url) throw new UsageError(`--url "${flags.url}" is not a service URL like ${DEFAULT_SERVICE_URL}.`);
  return { url, key: resolveApiKey(flags.apiKey, process.env) };
}

/** `--permission` values: each may list several, comma-separated. */
function permissions(values: string[]): PermissionAtom[] {
  const atoms = values.flatMap((value) => value.split(',').map((atom) => atom.trim()));
  const unknown = atoms.filter((atom) => !isPermissionAtom(atom));
  if (unknown.length)
    throw new UsageError(
      `Unknown permission ${unknown.join(', ')}; the permissions are ${PERMISSION_ATOMS.map((a) => `${a} (${PERMISSION_LABELS[a]})`).join(', ')}.`,
    );
  return [...new Set(atoms as PermissionAtom[])];
}

const labels = (atoms: readonly string[]) =>
  atoms.map((atom) => (isPermissionAtom(atom) ? PERMISSION_LABELS[atom] : atom)).join(', ') || 'none';

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows]
    .map((cells) =>
      cells
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Runs one command; a usage mistake exits 2, a refusal or an unreachable service 1, each with its reason. */
function action<A extends unknown[]>(run: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (error) {
      if (!(error instanceof UsageError || error instanceof ServiceError)) throw error;
      say(error.message);
      process.exit(error instanceof UsageError ? 2 : 1);
    }
  };
}

/** What every operator command takes: where the service is, the key to act with, and --json. */
function operatorCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .addOption(
      new Option('--url <url>', 'the running tunnel-service').env(URL_ENV).default(DEFAULT_SERVICE_URL),
    )
    .option('--api-key <ref>', `the key to act with, env:NAME or file:PATH (default: $${API_KEY_ENV})`)
    .option('--json', "print the service's JSON answer");
}

const repeatable = (value: string, previous: string[] = []) => [...previous, value];

function rolesCommand(): Command {
  const roles = new Command('roles').description('Create and list roles (named sets of permissions).');
  operatorCommand(
    roles,
    'create',
    "Create a role; prints its id. Needs Roles Manage and the role's permissions.",
  )
    .argument('<name>', 'the role name, e.g. "tunnel runtime"')
    .requiredOption(
      '--permission <atoms>',
      `permissions, comma-separated or repeated: ${PERMISSION_ATOMS.join(', ')}`,
      repeatable,
    )
    .action(
      action(async (name: string, flags: TargetFlags & { permission: string[] }) => {
        const body = { name, permissions: permissions(flags.permission) };
        const role = await managementCall<RoleRecord>(target(flags), 'POST', '/v1/roles', body);
        if (flags.json) return printJson(role);
        say(`Role "${role.name}" (${role.id}) created with ${labels(role.permissions)}.`);
        print(role.id);
      }),
    );
  operatorCommand(roles, 'list', 'List roles: id, name, permissions.').action(
    action(async (flags: TargetFlags) => {
      const list = await managementCall<ListResponse<RoleRecord>>(target(flags), 'GET', '/v1/roles');
      if (flags.json) return printJson(list);
      print(
        table(
          ['ID', 'NAME', 'PERMISSIONS'],
          list.data.map((role) => [role.id, role.name, labels(role.permissions)]),
        ),
      );
    }),
  );
  return roles;
}

function serviceAccountsCommand(): Command {
  const accounts = new Command('service-accounts').description(
    'Create and list service accounts: members for programs, such as a tunnel-client, with a key of their own.',
  );
  operatorCommand(
    accounts,
    'create',
    'Create a service account holding roles; prints its API key once. Needs Members Manage and API keys Manage.',
  )
    .argument('<name>', 'the account name, e.g. "laptop"')
    .requiredOption(
      '--role <role_id>',
      'a role it holds (repeatable); tunnel-service roles list shows them',
      repeatable,
    )
    .action(
      action(async (name: string, flags: TargetFlags & { role: string[] }) => {
        const account = await managementCall<ServiceAccount & { api_key: ApiKeyRecord & { secret: string } }>(
          target(flags),
          'POST',
          '/v1/service_accounts',
          { name, role_ids: flags.role },
        );
        if (flags.json) return printJson(account);
        say(
          `Service account "${account.name}" (${account.id}) created, holding ${account.role_ids.join(', ')}. ` +
            `Its API key (${account.api_key.prefix}…) is on standard output, shown this once: store it now ` +
            '(a tunnel-client reads its runtime key from CONTROL_PLANE_API_KEY).',
        );
        print(account.api_key.secret);
      }),
    );
  operatorCommand(accounts, 'list', 'List service accounts: id, name, roles, creation time.').action(
    action(async (flags: TargetFlags) => {
      const to = target(flags);
      const members = await managementCall<ListResponse<ServiceAccount>>(to, 'GET', '/v1/members');
      const list = { ...members, data: members.data.filter((m) => m.kind === 'service_account') };
      if (flags.json) return printJson(list);
      const roles = await managementCall<ListResponse<RoleRecord>>(to, 'GET', '/v1/roles');
      const roleName = new Map(roles.data.map((role) => [role.id, role.name]));
      print(
        table(
          ['ID', 'NAME', 'ROLES', 'CREATED'],
          list.data.map((account) => [
            account.id,
            account.name,
            account.role_ids.map((id) => roleName.get(id) ?? id).join(', ') || '-',
            account.created_at,
          ]),
        ),
      );
    }),
  );
  return accounts;
}

function apiKeysCommand(): Command {
  const keys = new Command('api-keys').description("Create and list API keys of the key's own member.");
  operatorCommand(
    keys,
    'create',
    'Create an API key for the member whose key you act with; prints its secret once. Needs API keys Manage.',
  )
    .argument('<name>', 'the key name, e.g. "connector caller"')
    .option(
      '--permission <atoms>',
      'restrict the key to these permissions, comma-separated or repeated (default: all of yours)',
      repeatable,
    )
    .action(
      action(async (name: string, flags: TargetFlags & { permission?: string[] }) => {
        const body = { name, ...(flags.permission ? { permissions: permissions(flags.permission) } : {}) };
        const key = await managementCall<ApiKeyRecord & { secret: string }>(
          target(flags),
          'POST',
          '/v1/api_keys',
          body,
        );
        if (flags.json) return printJson(key);
        const reach = key.permissions
          ? `restricted to ${labels(key.permissions)}`
          : 'with all of your permissions';
        say(
          `API key "${key.name}" (${key.id}) created, ${reach}. Its secret is on standard output, shown this once: store it now.`,
        );
        print(key.secret);
      }),
    );
  operatorCommand(
    keys,
    'list',
    'List API keys: id, name, prefix, owner, what each may do now, last use.',
  ).action(
    action(async (flags: TargetFlags) => {
      const list = await managementCall<ListResponse<ListedKey>>(target(flags), 'GET', '/v1/api_keys');
      if (flags.json) return printJson(list);
      print(
        table(
          ['ID', 'NAME', 'PREFIX', 'OWNER', 'MAY DO', 'LAST USED'],
          list.data.map((key) => [
            key.id,
            key.name,
            key.prefix,
            key.owner_name ?? key.owner_id,
            key.revoked_at ? `revoked ${key.revoked_at}` : labels(key.effective_permissions),
            key.last_used_at ?? 'never',
          ]),
        ),
      );
    }),
  );
  return keys;
}

function tunnelsCommand(): Command {
  const tunnels = new Command('tunnels').description('Create and list tunnels.');
  operatorCommand(tunnels, 'create', 'Create a tunnel; prints its id. Needs Tunnels Manage.')
    .argument('<name>', 'the tunnel name, e.g. "calculator"')
    .option('--description <text>', 'what the tunnel is for')
    .option(
      '--response-timeout <duration>',
      'deadline of each command sent to the tunnel, e.g. 30s (default 60s)',
    )
    .action(
      action(
        async (name: string, flags: TargetFlags & { description?: string; responseTimeout?: string }) => {
          const to = target(flags);
          const tunnel = await managementCall<TunnelRecord>(to, 'POST', '/v1/tunnels', {
            name,
            ...(flags.description === undefined ? {} : { description: flags.description }),
            ...(flags.responseTimeout === undefined ? {} : { response_timeout: flags.responseTimeout }),
          });
          if (flags.json) return printJson(tunnel);
          say(
            `Tunnel "${tunnel.name}" (${tunnel.id}) created. MCP clients call it at ${to.url}/v1/mcp/${tunnel.id} ` +
              'with a key holding Tunnels Use, once a tunnel-client serves it.',
          );
          print(tunnel.id);
        },
      ),
    );
  operatorCommand(
    tunnels,
    'list',
    'List tunnels: id, name, response timeout, who may call, creation time.',
  ).action(
    action(async (flags: TargetFlags) => {
      const list = await managementCall<ListResponse<TunnelRecord>>(target(flags), 'GET', '/v1/tunnels');
      if (flags.json) return printJson(list);
      print(
        table(
          ['ID', 'NAME', 'RESPONSE TIMEOUT', 'CALLERS', 'CREATED'],
          list.data.map((tunnel) => [
            tunnel.id,
            tunnel.name,
            tunnel.response_timeout,
            tunnel.connector_access === 'public' ? 'anyone' : 'Tunnels Use key',
            tunnel.created_at,
          ]),
        ),
      );
    }),
  );
  return tunnels;
}

/** The operator commands, in the order a set-up uses them. */
export function operatorCommands(): Command[] {
  return [rolesCommand(), serviceAccountsCommand(), apiKeysCommand(), tunnelsCommand()];
}
