#!/usr/bin/env node
// The calculator over stdio, as the seed walkthrough runs it: `node examples/calculator/src/server.ts`.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createCalculatorServer } from './calculator.ts';

await createCalculatorServer().connect(new StdioServerTransport());
