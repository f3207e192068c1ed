import { Command, Option } from 'commander';
import { IGNORED_SETTINGS } from '../config/go-only.ts';
import { parseSecretReference } from '../config/secrets.ts';
import { API_KEY_ENV, SETTINGS } from '../config/schema.ts';
import { CLIENT_VERSION } from '../base/version.ts';
import { adminCommand } from './admin.ts';
import { EXIT_NOT_OK, fail, guarded } from './exit.ts';
import { GUIDES, GUIDE_TOPICS } from './guides.ts';
import { invocation, serviceInvocation } from './invocation.ts';
import { healthCommand } from './health.ts';
import { DEFAULT_HEALTH_LISTEN_ADDR, DEFAULT_SAMPLE, SAMPLES, initProfile } from './init.ts';
import { devCommand } from './dev.ts';
import { profilesCommand } from './profiles.ts';
import type { RunSource } from './run.ts';

/** Flags that name the runtime key; they take only a reference to it. `--api-key` never existed in Go. */
const API_KEY_FLAGS = ['--control-plane.api-key', '--control-plane-api-key', '--api-key'];

/** Refuses a key written on the command line (every user of the machine can read argv) before it is used. */
export function refuseKeyInArgv(argv: string[]): void {
  argv.forEach((arg, i) => {
    const flag = API_KEY_FLAGS.find((f) => arg === f || arg.startsWith(`${f}=`));
    if (!flag) return;
    const value = arg === flag ? argv[i + 1] : arg.slice(flag.length + 1);
    if (flag !== '--api-key' && value !== undefined && parseSecretReference(value)) return;
    fail(
      `the API key is never taken from the command line (it would be visible to every user of this machine): pass --control-plane.api-key env:NAME or file:/path, export ${API_KEY_ENV}=<key>, or set control_plane.api_key: "env:NAME" or "file:/path" in the profile`,
    );
  });
}

/** One commander option for a flag name; aliases are hidden from help. */
function settingOption(
  flag: string,
  kind: 'boolean' | 'value',
  repeatable: boolean,
  help: string,
  hidden: boolean,
): Option {
  // A boolean flag given alone means true (--allow-remote-ui); it also takes true or false.
  const option = new Option(`${flag} ${kind === 'boolean' ? '[value]' : '<value>'}`, help);
  if (repeatable) option.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  if (hidden) option.hideHelp();
  return option;
}

/**
 * The configuration options `run` and `doctor` share: where the profile is, and one flag per setting.
 * Returns a function that picks the set flags out of the parsed options, keyed by setting.
 */
function addConfigOptions(command: Command): (opts: Record<string, unknown>) => {
  source: RunSource;
  flags: Record<string, unknown>;
} {
  command
    .option('--profile <name>', 'named profile (looked up in the profile directories)')
    .option('--profile-file <path>', 'profile file path')
    .option('--config <path>', 'configuration file path (same format as a profile)')
    .option('--profile-dir <dir>', 'profile directory to look in');
  // Attribute names of each setting's flags, the main name first: it wins over an alias given too.
  const attributesByKey = new Map<string, { attributes: string[]; repeatable: boolean }>();
  const add = (key: string, option: Option, repeatable: boolean) => {
    const entry = attributesByKey.get(key) ?? { attributes: [], repeatable };
    entry.attributes.push(option.attributeName());
    attributesByKey.set(key, entry);
    command.addOption(option);
  };
  for (const setting of SETTINGS) {
    if (!setting.flag) continue;
    const repeat = setting.repeatable ? ', repeatable' : '';
    const kind = setting.type === 'boolean' ? 'boolean' : 'value';
    const repeatable = setting.repeatable === true;
    const main = settingOption(
      setting.flag,
      kind,
      repeatable,
      `${setting.help} [env ${setting.env}${repeat}]`,
      false,
    );
    main.helpGroup('Settings:');
    // Shown in help only: leaving the value unset lets the environment and the profile apply.
    if (setting.defaultValue !== undefined) main.default(undefined, String(setting.defaultValue));
    add(setting.key, main, repeatable);
    for (const alias of setting.flagAliases ?? [])
      add(setting.key, settingOption(alias, kind, repeatable, setting.help, true), repeatable);
  }
  // Go's flags for features this client lacks: accepted, and reported as ignored at start.
  for (const setting of IGNORED_SETTINGS)
    if (setting.flag)
      add(
        setting.key,
        settingOption(
          setting.flag,
          setting.type === 'boolean' ? 'boolean' : 'value',
          setting.type === 'list',
          `ignored: ${setting.reason}`,
          true,
        ),
        setting.type === 'list',
      );
  command.addHelpText(
    'after',
    `\nThe API key is read from ${API_KEY_ENV}, control_plane.api_key or OPENAI_API_KEY; on the command line only as --control-plane.api-key env:NAME or file:/path.`,
  );
  return (opts) => {
    const flags: Record<string, unknown> = {};
    for (const [key, { attributes, repeatable }] of attributesByKey) {
      const given = attributes.map((a) => opts[a]).filter((v) => v !== undefined);
      if (given.length === 0) continue;
      flags[key] = repeatable ? given.flat() : given[0];
    }
    return {
      source: {
        profile: opts.profile as string | undefined,
        profileFile: opts.profileFile as string | undefined,
        config: opts.config as string | undefined,
        profileDir: opts.profileDir as string | undefined,
      },
      flags,
    };
  };
}

/** The profile source and setting flags `run` takes from these arguments (after the command name). */
export function runArguments(args: string[]): { source: RunSource; flags: Record<string, unknown> } {
  const command = new Command('run').exitOverride();
  const pick = addConfigOptions(command);
  command.parse(args, { from: 'user' });
  return pick(command.opts());
}

function helpCommand(program: Command): Command {
  const topics = GUIDE_TOPICS.join(', ');
  return new Command('help')
    .description(`show a guide (${topics}) or a command's help`)
    .argument('[topic]', `${topics}, or a command name`)
    .action((topic: string | undefined) => {
      if (topic === undefined) return program.outputHelp();
      const guide = GUIDES[topic];
      if (guide) {
        const cli = invocation();
        return void process.stdout.write(guide(cli, serviceInvocation(cli)));
      }
      const command = program.commands.find((c) => c.name() === topic);
      if (command) return command.outputHelp();
      fail(`unknown help topic "${topic}": the topics are ${topics} (or a command name)`);
    });
}

export function buildProgram(): Command {
  const program = new Command('tunnel-client')
    .description(
      'Secure MCP Tunnel client: long-polls the tunnel service and forwards MCP requests to your server',
    )
    .version(CLIENT_VERSION, '-v, --version')
    .helpCommand(false)
    .showHelpAfterError()
    .addHelpText('after', `\nGuides: tunnel-client help ${GUIDE_TOPICS.join('|')}`);

  program
    .command('init')
    .description(
      'write a profile from a sample (inferred from --mcp-command or --mcp-server-url when not named)',
    )
    .addOption(
      new Option(
        '--sample <name>',
        `sample to start from (default: sample_mcp_stdio_local for --mcp-command alone, else ${DEFAULT_SAMPLE})`,
      ).choices(SAMPLES),
    )
    .option('--profile <name>', 'profile name (file <profile dir>/<name>.yaml)', DEFAULT_SAMPLE)
    .option('--tunnel-id <id>', 'tunnel id (tunnel_ followed by 32 lowercase letters or digits)')
    .option('--mcp-command <command>', 'stdio MCP server command')
    .option('--mcp-server-url <url>', 'Streamable HTTP MCP server URL')
    .option('--control-plane-base-url <url>', 'tunnel service base URL', 'https://api.openai.com')
    .addOption(new Option('--base-url <url>').hideHelp())
    .option('--control-plane-url-path <path>', 'path prefix before /v1/... (a service behind a gateway)')
    .option(
      '--control-plane-api-key-ref <ref>',
      'where run reads the runtime key: env:NAME or file:/path',
      `env:${API_KEY_ENV}`,
    )
    .option(
      '--health-listen-addr <addr>',
      'ops server address written to the profile (port 0: a free port)',
      DEFAULT_HEALTH_LISTEN_ADDR,
    )
    .option('--open-web-ui', 'write admin_ui.open_browser: true')
    .option(
      '--profile-dir <dir>',
      'profile directory (default ~/tunnel-client, or TUNNEL_CLIENT_PROFILE_DIR)',
    )
    .option('--force', 'overwrite an existing profile')
    .action(
      guarded((opts: Record<string, string | boolean | undefined>) => {
        const text = (name: string) => opts[name] as string | undefined;
        const { message } = initProfile({
          sample: text('sample'),
          profile: text('profile'),
          tunnelId: text('tunnelId') ?? '',
          mcpCommand: text('mcpCommand'),
          mcpServerUrl: text('mcpServerUrl'),
          // Our earlier --base-url wins when given: the default of Go's name is always set.
          baseUrl: text('baseUrl') ?? text('controlPlaneBaseUrl')!,
          urlPath: text('controlPlaneUrlPath'),
          apiKeyRef: text('controlPlaneApiKeyRef'),
          healthListenAddr: text('healthListenAddr'),
          openBrowser: opts.openWebUi === true,
          profileDir: text('profileDir'),
          force: opts.force === true,
        });
        process.stdout.write(message);
      }),
    );

  const runCommand = program
    .command('run')
    .description('connect to the tunnel service and serve MCP requests')
    .option(
      '--embedded-mcp-stub',
      'serve the built-in MCP stub (tools echo, add, time) on channel main from inside this process',
    );
  const runConfig = addConfigOptions(runCommand);
  runCommand.action(
    guarded(async (opts: Record<string, unknown>) => {
      const { source, flags } = runConfig(opts);
      // The client (and the ops server, bindings, SDK) load only for the commands that use them.
      const { run } = await import('./run.ts');
      await run(source, flags, process.env, { embeddedMcpStub: opts.embeddedMcpStub === true });
    }),
  );

  const doctorCommand = program
    .command('doctor')
    .description('check the configuration, key, tunnel, MCP server and ops port before running')
    .option('--explain', 'say what each check means')
    .option('--json', 'print the result as JSON');
  const doctorConfig = addConfigOptions(doctorCommand);
  doctorCommand.action(
    guarded(async (opts: Record<string, unknown>) => {
      const { source, flags } = doctorConfig(opts);
      const { renderDoctor, runDoctor } = await import('./doctor.ts');
      const report = await runDoctor(source, flags);
      process.stdout.write(
        opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderDoctor(report, opts.explain === true),
      );
      process.exitCode = report.ok ? 0 : EXIT_NOT_OK;
    }),
  );

  program.addCommand(profilesCommand());
  program.addCommand(healthCommand());
  program.addCommand(adminCommand());
  program.addCommand(devCommand());
  program.addCommand(helpCommand(program));
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  refuseKeyInArgv(argv.slice(2));
  await buildProgram().parseAsync(argv);
}
