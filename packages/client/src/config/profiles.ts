import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from './errors.ts';

export const PROFILE_DIR_ENV = 'TUNNEL_CLIENT_PROFILE_DIR';
const PROFILE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME?.trim() || homedir();
}

function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  if (path === '~') return home(env);
  if (path.startsWith('~/')) return join(home(env), path.slice(2));
  return resolve(path);
}

export function checkProfileName(name: string): string {
  const trimmed = name.trim();
  if (!PROFILE_NAME_PATTERN.test(trimmed))
    throw new ConfigError(
      `profile name "${name}" is not valid: use letters, digits, '.', '_' or '-' (no path separators)`,
    );
  return trimmed;
}

/** Where `init` writes a profile: the explicit directory, else TUNNEL_CLIENT_PROFILE_DIR, else ~/tunnel-client. */
export function profileWriteDir(explicitDir: string | undefined, env: NodeJS.ProcessEnv): string {
  const chosen = explicitDir?.trim() || env[PROFILE_DIR_ENV]?.trim();
  return chosen ? expandHome(chosen, env) : join(home(env), 'tunnel-client');
}

/** Directories searched for a named profile, in order. An explicit directory is the only one searched. */
export function profileSearchDirs(explicitDir: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const chosen = explicitDir?.trim() || env[PROFILE_DIR_ENV]?.trim();
  if (chosen) return [expandHome(chosen, env)];
  const xdg = env.XDG_CONFIG_HOME?.trim();
  return [
    join(home(env), 'tunnel-client'),
    xdg ? join(expandHome(xdg, env), 'tunnel-client') : join(home(env), '.config', 'tunnel-client'),
  ];
}

export function findProfile(name: string, explicitDir: string | undefined, env: NodeJS.ProcessEnv): string {
  const profile = checkProfileName(name);
  const dirs = profileSearchDirs(explicitDir, env);
  for (const dir of dirs) {
    const path = join(dir, `${profile}.yaml`);
    if (existsSync(path)) return path;
  }
  throw new ConfigError(
    `profile "${profile}" not found (looked for ${dirs.map((d) => join(d, `${profile}.yaml`)).join(', ')}): create it with "tunnel-client init --profile ${profile} ..." or pass --profile-dir`,
  );
}

/** Reads and parses a profile, reporting YAML syntax errors with their position. */
export function readProfile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): { data: unknown; path: string } {
  const full = expandHome(path, env);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read profile ${full} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    return { data: parse(text), path: full };
  } catch (error) {
    throw new ConfigError(`profile ${full} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}
