import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const serverPath = fileURLToPath(new URL('../src/server.ts', import.meta.url));

test('the calculator answers the seed walkthrough over stdio', { timeout: 20_000 }, async () => {
  const client = new Client({ name: 'calculator-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [serverPath] }));
  try {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['add', 'divide', 'multiply', 'subtract']);
    const add = await client.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
    assert.deepEqual(add.content, [{ type: 'text', text: '5 + 3 = 8' }]);
    const divide = await client.callTool({ name: 'divide', arguments: { a: 1, b: 0 } });
    assert.equal(divide.isError, true);
  } finally {
    await client.close();
  }
});
