import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$TUNNEL_SERVICE_DATA_DIR`, else `$XDG_DATA_HOME/mcp-tunnel`, else `~/.local/share/mcp-tunnel`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TUNNEL_SERVICE_DATA_DIR) return env.TUNNEL_SERVICE_DATA_DIR;
  const dataHome = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(dataHome, 'mcp-tunnel');
}
