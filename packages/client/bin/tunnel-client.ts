#!/usr/bin/env node
import { main } from '../src/cli/main.ts';

// No top-level await: the single-executable build bundles this entry point as CommonJS.
void main();
