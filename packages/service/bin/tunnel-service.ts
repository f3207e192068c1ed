#!/usr/bin/env node
import { buildProgram } from '../src/cli/main.ts';

await buildProgram().parseAsync(process.argv);
