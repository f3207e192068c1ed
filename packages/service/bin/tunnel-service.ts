#!/usr/bin/env node
import { buildProgram } from '../src/cli/main.ts';

// No top-level await: the single-executable build bundles this entry point as CommonJS.
void buildProgram().parseAsync(process.argv);
