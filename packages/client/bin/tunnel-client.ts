#!/usr/bin/env node
import { CLIENT_VERSION } from '../src/base/version.ts';

// `--version` alone answers before the CLI loads (commander, the settings schema, zod, yaml): scripts and
// package managers ask it often, and it is then about as quick as Node starting.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v'))
  process.stdout.write(`${CLIENT_VERSION}\n`);
// No top-level await: the single-executable build bundles this entry point as CommonJS.
else void import('../src/cli/main.ts').then(({ main }) => main());
