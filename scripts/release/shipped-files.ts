// Compiled into the single executables in place of `import.meta.url`. The programs find some files beside
// their code (their package.json, the two web consoles, the browser modules the client's /ui loads from
// its dependencies, the SQL migrations). In a single executable those files are assets of the
// executable: on first use they are unpacked into a private directory (mode 0700) under the temporary
// directory ($TMPDIR, else /tmp), with the layout of the source tree, and the directory is removed at exit.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { getAssetKeys, getRawAsset, isSea } from 'node:sea';
import { pathToFileURL } from 'node:url';

let root: string | undefined;

function unpack(): string {
  if (!isSea()) throw new Error('this bundle runs only as a single executable, which carries its files');
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'mcp-tunnel-executable-'));
  } catch (error) {
    // Said plainly and without a stack: this is the operator's set-up, not a fault in the program.
    console.error(
      `${process.argv0}: cannot unpack its files into ${tmpdir()} (${(error as NodeJS.ErrnoException).code}): set TMPDIR to a writable directory, or mount one at /tmp (a tmpfs or emptyDir on a read-only root file system)`,
    );
    process.exit(1);
  }
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const key of getAssetKeys()) {
    const path = join(dir, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, new Uint8Array(getRawAsset(key)));
  }
  return dir;
}

/** The file URL a module at `sourcePath` (relative to the repository) would have, inside the unpacked tree. */
export function shippedFileUrl(sourcePath: string): string {
  root ??= unpack();
  return pathToFileURL(join(root, sourcePath)).href;
}
