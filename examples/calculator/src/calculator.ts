import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

type Operation = { name: string; title: string; symbol: string; apply: (a: number, b: number) => number };

const OPERATIONS: Operation[] = [
  { name: 'add', title: 'Add two numbers', symbol: '+', apply: (a, b) => a + b },
  { name: 'subtract', title: 'Subtract b from a', symbol: '-', apply: (a, b) => a - b },
  { name: 'multiply', title: 'Multiply two numbers', symbol: '*', apply: (a, b) => a * b },
  { name: 'divide', title: 'Divide a by b', symbol: '/', apply: (a, b) => a / b },
];

/** The seed walkthrough's calculator: four tools, each answering `a op b = result` as text. */
export function createCalculatorServer(): McpServer {
  const server = new McpServer({ name: 'calculator', version: '1.0.0' });
  for (const op of OPERATIONS) {
    server.registerTool(
      op.name,
      {
        title: op.title,
        description: `${op.title}; answers "a ${op.symbol} b = result".`,
        inputSchema: { a: z.number().describe('first operand'), b: z.number().describe('second operand') },
      },
      async ({ a, b }) => {
        if (op.name === 'divide' && b === 0) {
          return { isError: true, content: [{ type: 'text', text: 'Cannot divide by zero' }] };
        }
        return { content: [{ type: 'text', text: `${a} ${op.symbol} ${b} = ${op.apply(a, b)}` }] };
      },
    );
  }
  return server;
}
