#!/usr/bin/env -S node --max-semi-space-size=4
import { buildProgram } from '../src/cli/main.ts';

// The flag above caps V8's young generation at 3 × 4 MB: left to itself it grows to 128 MB under a steady
// stream of long-polls, most of a service's memory when it holds thousands of idle tunnels, for no gain in
// speed measured (docs/performance.md). The single executable takes the same flags (scripts/release).

// No top-level await: the single-executable build bundles this entry point as CommonJS.
void buildProgram().parseAsync(process.argv);
