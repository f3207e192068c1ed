import { Command, Option } from 'commander';
import { API_KEY_ENV, SETTINGS } from '../config/schema.ts';
import { CLIENT_VERSION } from '../base/version.ts';
import { adminCommand } from './admin.ts';
import { EXIT_FAILED, EXIT_USAGE, fail, guarded } from './exit.ts';
import { GUIDES, GUIDE_TOPICS } from './guides.ts';
import { invocation, serviceInvocation } from './invocation.ts';
import { healthCommand } from './health.ts';
import { SAMPLES, initProfile } from './init.ts';
import { devCommand } from './dev.ts';
import { profilesCommand } from './profiles.ts';
import type { RunSource } from './run.ts';

const API_KEY_FLAGS = ['--control-plane.api-key', '--api-key'];

function refuseKeyInArgv(argv: string[]): void {
  for (const arg of argv)
    if (API_KEY_FLAGS.some((flag) => arg === flag || arg.startsWith(`${flag}=`)))
      fail(
        `the API key is never taken from the command line (it would be visible to every user of this machine): export ${API_KEY_ENV}=<key>, or set control_plane.api_key: "env:NAME" or "file:/path" in the profile`,
      );
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
  const settingByAttribute = new Map<string, string>();
  for (const setting of SETTINGS) {
    if (!setting.flag) continue;
    const repeat = setting.repeatable ? ', repeatable' : '';
    // A boolean flag given alone means true (--allow-remote-ui); it also takes true or false.
    const value = setting.type === 'boolean' ? '[value]' : '<value>';
    const option = new Option(`${setting.flag} ${value}`, `${setting.help} [env ${setting.env}${repeat}]`);
    option.helpGroup('Settings:');
    // Shown in help only: leaving the value unset lets the environment and the profile apply.
    if (setting.defaultValue !== undefined) option.default(undefined, String(setting.defaultValue));
    if (setting.repeatable) option.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    settingByAttribute.set(option.attributeName(), setting.key);
    command.addOption(option);
  }
  command.addHelpText(
    'after',
    `\nThe API key is read from ${API_KEY_ENV} or from control_plane.api_key ("env:NAME" or "file:/path"); never from a flag.`,
  );
  return (opts) => {
    const flags: Record<string, unknown> = {};
    for (const [attribute, key] of settingByAttribute)
      if (opts[attribute] !== undefined) flags[key] = opts[attribute];
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
      fail(`unknown help topic "${topic}": the topics are ${topics} (or a command name)`, EXIT_USAGE);
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
    .description('write a profile from a sample')
    .addOption(new Option('--sample <name>', 'sample to start from').choices(SAMPLES).makeOptionMandatory())
    .requiredOption('--profile <name>', 'profile name (file <profile dir>/<name>.yaml)')
    .requiredOption('--tunnel-id <id>', 'tunnel id (tunnel_ followed by 32 lowercase hex characters)')
    .option('--mcp-command <command>', 'stdio MCP server command (sample_mcp_stdio_local)')
    .option('--mcp-server-url <url>', 'Streamable HTTP MCP server URL (the remote and enterprise samples)')
    .option('--base-url <url>', 'tunnel service base URL', 'https://api.openai.com')
    .option(
      '--profile-dir <dir>',
      'profile directory (default ~/tunnel-client, or TUNNEL_CLIENT_PROFILE_DIR)',
    )
    .option('--force', 'overwrite an existing profile')
    .action(
      guarded((opts: Record<string, string | boolean | undefined>) => {
        const { message } = initProfile({
          sample: opts.sample as string,
          profile: opts.profile as string,
          tunnelId: opts.tunnelId as string,
          mcpCommand: opts.mcpCommand as string | undefined,
          mcpServerUrl: opts.mcpServerUrl as string | undefined,
          baseUrl: opts.baseUrl as string,
          profileDir: opts.profileDir as string | undefined,
          force: opts.force === true,
        });
        process.stdout.write(message);
      }),
    );

  const runCommand = program
    .command('run')
    .description('connect to the tunnel service and serve MCP requests');
  const runConfig = addConfigOptions(runCommand);
  runCommand.action(
    guarded(async (opts: Record<string, unknown>) => {
      const { source, flags } = runConfig(opts);
      // The client (and the ops server, bindings, SDK) load only for the commands that use them.
      const { run } = await import('./run.ts');
      await run(source, flags);
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
      process.exitCode = report.ok ? 0 : EXIT_FAILED;
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
