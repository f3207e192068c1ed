import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LATEST_PROTOCOL_VERSION as SDK_LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { LATEST_PROTOCOL_VERSION } from '../src/bindings/lifecycle.ts';
import { StdioChildTransport } from '../src/bindings/stdio-transport.ts';
import { eventually } from '../../../test/support/eventually.ts';

/** A transport running `script` in a child Node; records what it hears. */
function child(script: string, maxLineBytes = 1024 * 1024) {
  const heard = {
    messages: [] as JSONRPCMessage[],
    errors: [] as Error[],
    stderr: [] as string[],
    closed: 0,
  };
  const transport = new StdioChildTransport({
    command: process.execPath,
    args: ['-e', script],
    env: { ...process.env } as Record<string, string>,
    maxLineBytes,
    onStderrLine: (line) => heard.stderr.push(line),
  });
  transport.onmessage = (message) => heard.messages.push(message);
  transport.onerror = (error) => heard.errors.push(error);
  transport.onclose = () => heard.closed++;
  return { transport, heard };
}

/** A child that echoes each stdin line back, written in pieces of `piece` bytes with pauses between. */
const ECHO_IN_PIECES = (piece: number) => `
  const lines = require('node:readline').createInterface({ input: process.stdin });
  let written = Promise.resolve();
  lines.on('line', (line) => {
    written = written.then(async () => {
      const bytes = Buffer.from(line + '\\n');
      for (let i = 0; i < bytes.length; i += ${piece}) {
        process.stdout.write(bytes.subarray(i, i + ${piece}));
        await new Promise((r) => setImmediate(r));
      }
    });
  });
  process.stderr.write('ready\\n');
`;

test('the session-era protocol version the bindings offer is the MCP SDK one', () => {
  assert.equal(LATEST_PROTOCOL_VERSION, SDK_LATEST_PROTOCOL_VERSION);
});

test(
  'stdio child: messages cut anywhere (inside a multi-byte character too) arrive whole, stderr lines are reported',
  { timeout: 30_000 },
  async () => {
    const { transport, heard } = child(ECHO_IN_PIECES(7));
    await transport.start();
    try {
      assert.ok(transport.pid! > 0);
      await eventually(() => heard.stderr.includes('ready'), 10_000, 'the stderr line');
      const sent: JSONRPCMessage[] = [
        {
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'echo', arguments: { text: 'héllo → 世界 🌍' } },
        },
        { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } },
        { jsonrpc: '2.0', id: 'x', result: { content: [] } },
      ];
      for (const message of sent) await transport.send(message);
      await eventually(() => heard.messages.length === sent.length, 10_000, 'the echoes');
      assert.deepEqual(heard.messages, sent);
      assert.deepEqual(heard.errors, []);
    } finally {
      await transport.close();
    }
    await eventually(() => heard.closed === 1, 10_000, 'onclose');
  },
);

test('stdio child: a 12 MiB message in 64 KiB pieces arrives whole', { timeout: 60_000 }, async () => {
  const { transport, heard } = child(ECHO_IN_PIECES(64 * 1024), 16 * 1024 * 1024);
  await transport.start();
  try {
    const big = 'x'.repeat(12 * 1024 * 1024);
    await transport.send({ jsonrpc: '2.0', id: 1, result: { big } });
    await eventually(() => heard.messages.length === 1, 30_000, 'the big echo');
    assert.equal((heard.messages[0] as unknown as { result: { big: string } }).result.big.length, big.length);
  } finally {
    await transport.close();
  }
});

test(
  'stdio child: a line that is not JSON-RPC is an error naming it, and the lines after it still arrive',
  { timeout: 30_000 },
  async () => {
    const { transport, heard } = child(`
      process.stdout.write('not json\\r\\n[1,2]\\n{"jsonrpc":"2.0","id":7,"result":{}}\\r\\n');
      process.stdin.resume();
    `);
    await transport.start();
    try {
      await eventually(() => heard.messages.length === 1, 10_000, 'the valid line');
      assert.deepEqual(heard.messages, [{ jsonrpc: '2.0', id: 7, result: {} }]);
      assert.equal(heard.errors.length, 2);
      assert.ok(heard.errors.every((error) => error instanceof SyntaxError));
      assert.match(heard.errors[0]!.message, /not JSON .*: not json$/);
      assert.match(heard.errors[1]!.message, /not a JSON-RPC 2.0 message: \[1,2\]/);
    } finally {
      await transport.close();
    }
  },
);

test(
  'stdio child: a line longer than the limit is an error telling how to raise it, and the child is stopped',
  { timeout: 30_000 },
  async () => {
    const { transport, heard } = child(
      `process.stdout.write('{"jsonrpc":"2.0","id":1,"result":"' + 'y'.repeat(5000)); process.stdin.resume();`,
      1024,
    );
    await transport.start();
    await eventually(() => heard.closed === 1, 10_000, 'the child stopped');
    assert.equal(transport.pid, null);
    assert.match(heard.errors[0]!.message, /more than 1024 bytes .*mcp\.max_message_bytes/);
    assert.deepEqual(heard.messages, []);
  },
);

test(
  'stdio child: close() stops a child that ignores the end of its stdin; exits are reported by onclose',
  { timeout: 30_000 },
  async () => {
    const stubborn = child(
      `process.stdin.resume(); process.stdin.on('end', () => {}); setInterval(() => {}, 1000);`,
    );
    await stubborn.transport.start();
    await stubborn.transport.close();
    assert.equal(stubborn.heard.closed, 1);
    await assert.rejects(stubborn.transport.send({ jsonrpc: '2.0', method: 'x' }), /not running/);

    const exiting = child(`process.exit(3)`);
    await exiting.transport.start();
    await eventually(() => exiting.heard.closed === 1, 10_000, 'onclose of a child that exited');
  },
);

test(
  'stdio child: a command that cannot start rejects start() with the reason',
  { timeout: 30_000 },
  async () => {
    const transport = new StdioChildTransport({
      command: '/nonexistent/mcp-server',
      args: [],
      env: {},
      maxLineBytes: 1024,
      onStderrLine: () => {},
    });
    transport.onerror = () => {};
    await assert.rejects(transport.start(), /ENOENT/);
  },
);
