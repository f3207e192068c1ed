import { startTunnelClient, type TunnelClientHandle } from '../runtime/client.ts';
import { ConfigError } from '../config/errors.ts';
import { findProfile, readProfile } from '../config/profiles.ts';
import { resolveConfig } from '../config/schema.ts';

export interface RunSource {
  profile?: string;
  profileFile?: string;
  config?: string;
  profileDir?: string;
}

/** Which file, if any, holds the configuration: flags first, then TUNNEL_CLIENT_PROFILE/_FILE/CONFIG. */
export function chooseConfigFile(source: RunSource, env: NodeJS.ProcessEnv): string | undefined {
  const given = [
    ['--profile', source.profile],
    ['--profile-file', source.profileFile],
    ['--config', source.config],
  ].filter(([, v]) => v !== undefined);
  if (given.length > 1)
    throw new ConfigError(`${given.map(([f]) => f).join(' and ')} cannot be used together: choose one`);
  if (source.profile !== undefined) return findProfile(source.profile, source.profileDir, env);
  if (source.profileFile ?? source.config) return source.profileFile ?? source.config;
  const fromEnv = ['TUNNEL_CLIENT_PROFILE', 'TUNNEL_CLIENT_PROFILE_FILE', 'TUNNEL_CLIENT_CONFIG'].filter(
    (name) => env[name]?.trim(),
  );
  if (fromEnv.length > 1)
    throw new ConfigError(`${fromEnv.join(' and ')} cannot be used together: unset all but one`);
  if (env.TUNNEL_CLIENT_PROFILE?.trim())
    return findProfile(env.TUNNEL_CLIENT_PROFILE, source.profileDir, env);
  return env.TUNNEL_CLIENT_PROFILE_FILE?.trim() || env.TUNNEL_CLIENT_CONFIG?.trim() || undefined;
}

/** `tunnel-client run`: resolves the configuration, starts, and stops cleanly on SIGINT/SIGTERM. */
export async function run(
  source: RunSource,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  options: { embeddedMcpStub?: boolean } = {},
): Promise<TunnelClientHandle> {
  const path = chooseConfigFile(source, env);
  const file = path ? readProfile(path, env) : undefined;
  const config = resolveConfig({ flags, env, file });
  // --embedded-mcp-stub, as Go's: the stub serves channel main from inside this process.
  const servers = options.embeddedMcpStub
    ? { main: (await import('./mcp-stub.ts')).createStubServer() }
    : undefined;
  const handle = await startTunnelClient(config, { servers });
  let signalled = false;
  const shutdown = () => {
    if (signalled) return;
    signalled = true;
    void handle.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return handle;
}
