// `tunnel-client profiles ...`: list, show samples, add and edit profiles. Every write is validated first,
// so a profile on disk is always one `run` can read (apart from the variables and files it refers to).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Command, Option } from 'commander';
import { parse } from 'yaml';
import { splitCommandLine } from '../bindings/command-line.ts';
import { ConfigError } from '../config/errors.ts';
import { findProfile, profileSearchDirs } from '../config/profiles.ts';
import { EXIT_ERROR, guarded } from './exit.ts';
import {
  SAMPLES,
  SAMPLE_GUIDES,
  checkProfileText,
  nextSteps,
  renderProfile,
  sampleProfile,
  saveProfile,
  type InitOptions,
  type Sample,
} from './init.ts';

export interface ProfileSummary {
  name: string;
  path: string;
  tunnel_id: string | null;
  base_url: string | null;
  /** Why the file cannot be read as a profile, when it cannot. */
  problem: string | null;
}

function summarize(path: string): ProfileSummary {
  const name = basename(path, '.yaml');
  const summary: ProfileSummary = { name, path, tunnel_id: null, base_url: null, problem: null };
  try {
    const data = parse(readFileSync(path, 'utf8')) as { control_plane?: Record<string, unknown> } | null;
    const cp = data?.control_plane;
    if (typeof cp?.tunnel_id === 'string') summary.tunnel_id = cp.tunnel_id;
    if (typeof cp?.base_url === 'string') summary.base_url = cp.base_url;
  } catch (error) {
    summary.problem = (error as Error).message.split('\n')[0]!;
  }
  return summary;
}

/** Every profile in the directories `run --profile` searches; an earlier directory hides a later one. */
export function listProfiles(profileDir: string | undefined, env: NodeJS.ProcessEnv): ProfileSummary[] {
  const seen = new Set<string>();
  const out: ProfileSummary[] = [];
  for (const dir of profileSearchDirs(profileDir, env)) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.yaml') || seen.has(file)) continue;
      seen.add(file);
      out.push(summarize(join(dir, file)));
    }
  }
  return out;
}

export function renderProfileList(profiles: ProfileSummary[], dirs: string[]): string {
  if (profiles.length === 0)
    return `No profiles in ${dirs.join(' or ')}.\nCreate one: tunnel-client profiles add NAME --sample sample_mcp_stdio_local --tunnel-id ... --mcp-command ...\n`;
  const rows = profiles.map((p) => [
    p.name,
    p.problem ? `(unreadable: ${p.problem})` : (p.tunnel_id ?? '-'),
    p.base_url ?? '-',
    p.path,
  ]);
  return table(['NAME', 'TUNNEL', 'BASE URL', 'PATH'], rows);
}

/** A plain left-aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function renderSampleList(): string {
  return table(
    ['SAMPLE', 'FOR'],
    SAMPLES.map((s) => [s, SAMPLE_GUIDES[s].summary]),
  );
}

/** Placeholders that still validate, so the shown YAML is exactly what `profiles add` writes. */
const EXAMPLE: Omit<InitOptions, 'sample'> & { profile: string } = {
  profile: 'example',
  tunnelId: 'tunnel_0123456789abcdef0123456789abcdef',
  mcpCommand: 'node /path/to/server.js',
  mcpServerUrl: 'https://mcp.internal.example/mcp',
  baseUrl: 'https://api.openai.com',
};

export function renderSample(name: string): string {
  if (!(SAMPLES as readonly string[]).includes(name))
    throw new ConfigError(`unknown sample "${name}": choose one of ${SAMPLES.join(', ')}`);
  const sample = name as Sample;
  const guide = SAMPLE_GUIDES[sample];
  const flags = guide.flags.map((f) => `${f} ...`).join(' ');
  return [
    `${sample}: ${guide.summary}`,
    '',
    `Create it:  tunnel-client profiles add NAME --sample ${sample} ${flags} [--base-url URL]`,
    '',
    'Needs:',
    ...guide.needs.map((n) => `  - ${n}`),
    '',
    'Caveats:',
    ...guide.caveats.map((c) => `  - ${c}`),
    '',
    '--- profile (example values; replace the tunnel id and the server) ---',
    renderProfile({ ...EXAMPLE, sample }).trimEnd(),
    '',
  ].join('\n');
}

export interface AddOptions {
  sample?: string;
  fromFile?: string;
  tunnelId?: string;
  mcpCommand?: string;
  mcpServerUrl?: string;
  baseUrl: string;
  profileDir?: string;
  force?: boolean;
}

/** `profiles add NAME`: from a sample or from a file, validated before anything is written. */
export function addProfile(name: string, options: AddOptions, env: NodeJS.ProcessEnv): string {
  if ((options.sample === undefined) === (options.fromFile === undefined))
    throw new ConfigError('give exactly one of --sample NAME or --from-file PATH');
  if (options.fromFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.fromFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `cannot read ${options.fromFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    const path = saveProfile(name, text, { ...options, origin: options.fromFile }, env);
    return nextSteps(name, path, undefined, options.profileDir);
  }
  if (!options.tunnelId) throw new ConfigError(`--sample ${options.sample} needs --tunnel-id tunnel_...`);
  const { sample, profile, text } = sampleProfile({
    ...options,
    sample: options.sample!,
    profile: name,
    tunnelId: options.tunnelId,
  });
  const path = saveProfile(profile, text, options, env);
  return nextSteps(profile, path, sample, options.profileDir);
}

/**
 * `profiles edit NAME`: the editor works on a temporary copy; the profile is replaced only when the edited
 * copy validates. A rejected edit is left in place for the operator to fix, and its path is printed.
 */
export function editProfile(
  name: string,
  profileDir: string | undefined,
  env: NodeJS.ProcessEnv,
): { outcome: 'saved' | 'unchanged' | 'rejected'; message: string } {
  const path = findProfile(name, profileDir, env);
  const editor = env.VISUAL?.trim() || env.EDITOR?.trim();
  if (!editor) throw new ConfigError('set VISUAL or EDITOR to the editor to use, e.g. export EDITOR=nano');
  const [file, ...args] = splitCommandLine(editor);
  const original = readFileSync(path, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'tunnel-client-edit-'));
  const copy = join(dir, basename(path));
  writeFileSync(copy, original, { mode: 0o600 });
  const result = spawnSync(file!, [...args, copy], { stdio: 'inherit', env });
  if (result.error || result.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const why = result.error ? (result.error as NodeJS.ErrnoException).code : `exit status ${result.status}`;
    throw new ConfigError(`the editor "${editor}" failed (${why}); ${path} is unchanged`);
  }
  const edited = readFileSync(copy, 'utf8');
  if (edited === original) {
    rmSync(dir, { recursive: true, force: true });
    return { outcome: 'unchanged', message: `No change; ${path} is unchanged.\n` };
  }
  try {
    checkProfileText(edited, `the edited profile`, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      outcome: 'rejected',
      message: `${error.message}\n${path} is unchanged; your edit is kept in ${copy}: fix it and copy it over, or run "tunnel-client profiles edit ${name}" again.\n`,
    };
  }
  writeFileSync(path, edited);
  rmSync(dir, { recursive: true, force: true });
  return { outcome: 'saved', message: `Saved ${path}.\n` };
}

export function profilesCommand(): Command {
  // --profile-dir belongs to `profiles`, so it may come before or after the subcommand.
  const command = new Command('profiles')
    .description('list, add and edit profiles; show the samples')
    .option(
      '--profile-dir <dir>',
      'profile directory (default: ~/tunnel-client or TUNNEL_CLIENT_PROFILE_DIR; list and edit also search ~/.config/tunnel-client)',
    )
    // Without a subcommand, the help is the answer, not an error.
    .action(() => command.outputHelp());
  command
    .command('list')
    .description('list the profiles run --profile can find')
    .option('--json', 'print JSON')
    .action(
      guarded((_opts: unknown, self: Command) => {
        const opts = self.optsWithGlobals<{ profileDir?: string; json?: boolean }>();
        const profiles = listProfiles(opts.profileDir, process.env);
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(profiles, null, 2)}\n`
            : renderProfileList(profiles, profileSearchDirs(opts.profileDir, process.env)),
        );
      }),
    );
  const samples = command.command('samples').description('the samples a profile can start from');
  samples
    .command('list')
    .description('list the samples')
    .action(() => void process.stdout.write(renderSampleList()));
  samples
    .command('show')
    .description('print a sample profile, what it needs and its caveats')
    .argument('<sample>', SAMPLES.join(' | '))
    .action(guarded((name: string) => process.stdout.write(renderSample(name))));
  command
    .command('add')
    .description('write a validated profile from a sample or a file')
    .argument('<name>', 'profile name (file <profile dir>/<name>.yaml)')
    .addOption(new Option('--sample <sample>', 'sample to start from').choices(SAMPLES))
    .option('--from-file <path>', 'copy this profile file (validated first)')
    .option('--tunnel-id <id>', 'tunnel id (tunnel_ followed by 32 lowercase hex characters)')
    .option('--mcp-command <command>', 'stdio MCP server command (sample_mcp_stdio_local)')
    .option('--mcp-server-url <url>', 'Streamable HTTP MCP server URL (the remote and enterprise samples)')
    .option('--base-url <url>', 'tunnel service base URL', 'https://api.openai.com')
    .option('--force', 'overwrite an existing profile')
    .action(
      guarded((name: string, _opts: unknown, self: Command) => {
        process.stdout.write(addProfile(name, self.optsWithGlobals<AddOptions>(), process.env));
      }),
    );
  command
    .command('edit')
    .description('edit a profile in $VISUAL or $EDITOR; saved only if the result validates')
    .argument('<name>', 'profile name')
    .action(
      guarded((name: string, _opts: unknown, self: Command) => {
        const { profileDir } = self.optsWithGlobals<{ profileDir?: string }>();
        const { outcome, message } = editProfile(name, profileDir, process.env);
        (outcome === 'rejected' ? process.stderr : process.stdout).write(message);
        if (outcome === 'rejected') process.exitCode = EXIT_ERROR;
      }),
    );
  return command;
}
