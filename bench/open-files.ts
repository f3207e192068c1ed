// The open-file limit a benchmark holding thousands of connections needs. Node cannot raise its own
// limit, so a run whose soft limit is too low starts itself again under a shell that raises it to the
// hard limit (the processes it starts inherit it); a hard limit too low for the run is said plainly.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The soft and hard open-file limits of this process (Linux: /proc/self/limits). */
function openFileLimits(): { soft: number; hard: number } | undefined {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  if (!line) return undefined;
  const value = (text: string) => (text === 'unlimited' ? Infinity : Number(text));
  return { soft: value(line[1]!), hard: value(line[2]!) };
}

/**
 * Makes sure this process and its children may open `needed` files: returns when they may, runs this
 * benchmark again under a raised soft limit and exits with its status when only the soft limit is too
 * low, and exits with an explanation when the hard limit is.
 */
export function ensureOpenFiles(needed: number, what: string): void {
  const limits = process.platform === 'linux' ? openFileLimits() : undefined;
  if (!limits || limits.soft >= needed) return;
  if (limits.hard < needed) {
    console.error(
      `${what} needs about ${needed} open files in one process, but this machine allows at most ${limits.hard} (ulimit -Hn). Ask for fewer, or raise the hard limit (limits.conf, or systemd's LimitNOFILE) and run it again.`,
    );
    process.exit(2);
  }
  console.log(`raising the open-file limit from ${limits.soft} to ${limits.hard} (ulimit -Hn) for ${what}`);
  const run = spawnSync(
    '/bin/sh',
    [
      '-c',
      'ulimit -n "$0" && exec "$@"',
      String(limits.hard),
      process.execPath,
      ...process.execArgv,
      ...process.argv.slice(1),
    ],
    { stdio: 'inherit' },
  );
  process.exit(run.status ?? 1);
}
