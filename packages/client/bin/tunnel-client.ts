#!/usr/bin/env node
import { enableCompileCache } from 'node:module';
import { isSea } from 'node:sea';
import { CLIENT_VERSION } from '../src/base/version.ts';

// `--version` alone answers before the CLI loads (commander, the settings schema, zod, yaml): scripts and
// package managers ask it often, and it is then about as quick as Node starting.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v'))
  process.stdout.write(`${CLIENT_VERSION}\n`);
else {
  // Node keeps the code it compiles for the modules loaded from here (in the temporary directory, or where
  // NODE_COMPILE_CACHE says), so later starts skip compiling them. A single executable carries its own
  // code cache, and leaves nothing behind in the temporary directory.
  if (!isSea()) enableCompileCache();
  // No top-level await: the single-executable build bundles this entry point as CommonJS.
  void import('../src/cli/main.ts').then(({ main }) => main());
}
