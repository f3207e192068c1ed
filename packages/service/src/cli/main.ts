import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { startService, type ServiceOptions } from '../runtime/service.ts';
import { storeName } from '../runtime/store.ts';
import { flagDefault, SETTINGS, type Setting, type SettingName } from '../config/settings.ts';
import { defaultDataDir } from './data-dir.ts';
import { healthCommand } from './health.ts';
import { createOrganizationCommand, listOrganizationsCommand, type StoreFlags } from './organizations.ts';
import { migrateCommand } from './migrate.ts';
import { operatorCommands } from './operator-commands.ts';
import { writeOwnerKeyFile } from './owner-key.ts';

const SERVICE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The value `tunnel-service start` was given for each setting, in the units `startService` takes. */
type StartFlags = Record<SettingName, unknown> & {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  ownerKeyFile?: string;
};

/** A command-line option made from its row of the settings table. */
function settingOption(setting: Setting & { flag: string }): Option {
  const option = new Option(`${setting.flag} <${setting.value}>`, setting.help);
  if (setting.env) option.env(setting.env);
  if (setting.choices) option.choices(setting.choices);
  if (setting.parse) {
    const parse = setting.parse;
    option.argParser((text: string) => {
      try {
        return parse(text);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    });
  }
  if (setting.repeatable)
    option.argParser((text: string, previous: string[]) => [...previous, text]).default([]);
  if (setting.defaultValue !== undefined) {
    const shown = flagDefault(setting);
    option.default(setting.defaultValue, shown === String(setting.defaultValue) ? undefined : shown);
  }
  return option;
}

async function startFrom(flags: StartFlags): Promise<void> {
  const dataDir = resolve(flags.dataDir);
  const options: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, Setting][])
    if (setting.flag && !setting.commandLineOnly) options[name] = flags[name];
  let service;
  try {
    // The settings table names each flag's value after the startService option it sets.
    service = await startService({ ...(options as Partial<ServiceOptions>), dataDir });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === 'EADDRINUSE'
        ? `${flags.host}:${flags.port} is already in use (EADDRINUSE); stop the other process or choose another --port`
        : error instanceof Error
          ? error.message
          : String(error);
    console.error(`tunnel-service could not start: ${reason}`);
    process.exit(1);
  }

  if (service.ownerKey) {
    console.log(`Owner API key (shown once, store it now): ${service.ownerKey}`);
    if (flags.ownerKeyFile) {
      writeOwnerKeyFile(resolve(flags.ownerKeyFile), service.ownerKey);
      console.log(`The owner API key was also written to ${resolve(flags.ownerKeyFile)} (mode 0600).`);
    }
  }
  console.log(
    `tunnel-service data in ${flags.databaseUrl ? storeName({ dataDir, databaseUrl: flags.databaseUrl }) : dataDir}`,
  );
  if (service.broker) console.log(`tunnel-service cluster node ${service.nodeId}, broker ${service.broker}`);
  console.log(`tunnel-service listening on ${service.url}`);
  if (service.metricsUrl) console.log(`tunnel-service metrics at ${service.metricsUrl}`);

  const stop = (signal: string) => {
    console.error(`tunnel-service stopping (${signal})`);
    void service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** `--data-dir`, shared by every command; its default reads $TUNNEL_SERVICE_DATA_DIR itself. */
function dataDirOption(): Option {
  const { flag, value, help, env, defaultText } = SETTINGS.dataDir;
  return new Option(`${flag} <${value}>`, help).default(defaultDataDir(), `$${env}, else ${defaultText}`);
}

/** `--data-dir` and `--database-url`: where the commands that open the store find it. */
function storeOptions(): Option[] {
  const { flag, value, help, env } = SETTINGS.databaseUrl;
  return [dataDirOption(), new Option(`${flag} <${value}>`, help).env(env)];
}

export function buildProgram(): Command {
  const program = new Command('tunnel-service')
    .description('The tunnel-service of mcp-tunnel: tunnels, keys and the MCP endpoint tunnel-clients serve.')
    .version(SERVICE_VERSION);

  const start = program
    .command('start')
    .description('Run the service (embedded: a SQLite file and an in-process broker; no set-up).');
  // Commander names each option after its flag; StartFlags wants the setting's name.
  const names = new Map<string, SettingName>();
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, Setting][]) {
    if (!setting.flag) continue;
    const option = name === 'dataDir' ? dataDirOption() : settingOption({ ...setting, flag: setting.flag });
    names.set(option.attributeName(), name);
    start.addOption(option);
  }
  start.action((flags: Record<string, unknown>) =>
    startFrom(
      Object.fromEntries([...names].map(([attribute, name]) => [name, flags[attribute]])) as StartFlags,
    ),
  );

  program
    .command('health')
    .description("Check a running service's GET /healthz: exit 0 when it answers 200, 1 otherwise.")
    .addOption(
      new Option('--url <url>', 'the service')
        .env('TUNNEL_SERVICE_URL')
        .default(`http://${SETTINGS.host.defaultValue}:${SETTINGS.port.defaultValue}`),
    )
    .action((flags: { url: string }) => healthCommand(flags.url));

  for (const command of operatorCommands()) program.addCommand(command);

  const organizations = program
    .command('organizations')
    .description("Create and list organizations, on the service's host (the service may be running).");
  const create = organizations
    .command('create <name>')
    .description('Create an organization with its owner, and print its owner API key once.');
  for (const option of storeOptions()) create.addOption(option);
  create
    .option('--owner-key-file <path>', 'also write the owner API key here (mode 0600)')
    .action((name: string, flags: StoreFlags & { ownerKeyFile?: string }) =>
      createOrganizationCommand(name, flags),
    );
  const list = organizations
    .command('list')
    .description('List organizations: id, creation time, name; the first is the operator’s.');
  for (const option of storeOptions()) list.addOption(option);
  list.action((flags: StoreFlags) => listOrganizationsCommand(flags));

  const migrate = program
    .command('migrate')
    .description(
      "Bring the store's schema to this version's, then exit (start does the same; nodes starting at once take turns).",
    );
  for (const option of storeOptions()) migrate.addOption(option);
  migrate.action((flags: StoreFlags) => migrateCommand(flags));
  return program;
}
