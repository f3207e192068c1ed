// Past the size limits a caller gets a clear JSON-RPC error, never a truncated answer or a hang: an
// argument over the service's --max-body-bytes is refused at once (413), and an answer over it is
// replaced by the tunnel-client with a response_body_too_large failure. The tunnel keeps working.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Runtime } from '../support/management-api.ts';
import { startSystem, type System } from '../support/system.ts';
import { FEATURES_SERVER } from '../support/mcp-servers.ts';
import { connectSdk } from '../support/mcp-callers.ts';

const LIMIT = 2 * 1024 * 1024;
let system: System;
let runtime: Runtime;
let connectorUrl: URL;

before(async () => {
  system = await startSystem({
    service: { extraArgs: ['--max-body-bytes', String(LIMIT)] },
    responseTimeout: '60s',
    client: { mcpCommand: `"${process.execPath}" "${FEATURES_SERVER}"` },
  });
  ({ runtime, connectorUrl } = system);
});

after(() => system?.stop());

test(
  'past the size limits the caller gets a clear error, and the tunnel keeps working',
  { timeout: 60_000 },
  async () => {
    const caller = await connectSdk(connectorUrl, runtime.runtimeKey);
    try {
      const started = performance.now();
      const argument = caller.mcp.callTool({ name: 'digest', arguments: { data: 'y'.repeat(2 * LIMIT) } });
      await assert.rejects(argument, /larger than the service accepts \(2097152 bytes\)/);

      const result = await caller.mcp.callTool({ name: 'big', arguments: { bytes: 2 * LIMIT } }).then(
        () => assert.fail('an answer over the limit must not arrive'),
        (error: Error) => error,
      );
      assert.match(result.message, /-32603/);
      assert.match(JSON.stringify(result), /response_body_too_large/);
      assert.ok(performance.now() - started < 30_000, 'refused promptly, not at the 60 s deadline');

      const small = await caller.mcp.callTool({ name: 'big', arguments: { bytes: 1000 } });
      assert.equal((small.content as { text: string }[])[0]!.text.length, 1000);
    } finally {
      await caller.end();
    }
  },
);
