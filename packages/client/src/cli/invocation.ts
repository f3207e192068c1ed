// How the user types `tunnel-client` on this machine, so the commands the CLI prints (init's "Next:"
// lines, `help quickstart`) work literally as shown: in a checkout or a project that installed the
// package, the command is in node_modules/.bin, which is not on PATH; a single executable may be run by
// its path.
import { accessSync, constants } from 'node:fs';
import { basename, delimiter, join } from 'node:path';

const NAME = 'tunnel-client';

function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** `tunnel-client` when PATH finds it; the executable's path for a single executable outside PATH; else `npx tunnel-client`. */
export function invocation(env: NodeJS.ProcessEnv = process.env, execPath = process.execPath): string {
  if (onPath(NAME, env)) return NAME;
  if (basename(execPath).startsWith(NAME)) return execPath;
  return `npx ${NAME}`;
}

/** The tunnel-service command typed the same way as `cli` (beside it, or through npx). */
export function serviceInvocation(cli: string): string {
  return cli.replace(/tunnel-client([^/]*)$/, 'tunnel-service$1');
}
