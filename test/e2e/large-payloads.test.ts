// Large MCP payloads through the real tunnel-service and tunnel-client: a 10 MiB tool result and a
// 10 MiB argument pass intact when the service's --max-body-bytes allows them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Runtime } from '../support/management-api.ts';
import { startSystem, type System } from '../support/system.ts';
import { FEATURES_SERVER } from '../support/mcp-servers.ts';
import { connectSdk } from '../support/mcp-callers.ts';

const TEN_MIB = 10 * 1024 * 1024;
let system: System;
let runtime: Runtime;
let connectorUrl: URL;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

before(async () => {
  system = await startSystem({
    service: { extraArgs: ['--max-body-bytes', String(24 * 1024 * 1024)] },
    client: { mcpCommand: `"${process.execPath}" "${FEATURES_SERVER}"` },
  });
  ({ runtime, connectorUrl } = system);
});

after(() => system?.stop());

test('a 10 MiB tool result and a 10 MiB argument pass intact', { timeout: 90_000 }, async () => {
  const caller = await connectSdk(connectorUrl, runtime.runtimeKey);
  try {
    const result = await caller.mcp.callTool({ name: 'big', arguments: { bytes: TEN_MIB } });
    const text = (result.content as { text: string }[])[0]!.text;
    assert.equal(text.length, TEN_MIB);
    assert.equal(sha256(text), sha256('x'.repeat(TEN_MIB)));

    const data = Array.from({ length: TEN_MIB / 64 }, (_, i) => `${i}`.padStart(64, '.')).join('');
    const digest = await caller.mcp.callTool({ name: 'digest', arguments: { data } });
    assert.equal((digest.content as { text: string }[])[0]!.text, `${data.length} ${sha256(data)}`);
  } finally {
    await caller.end();
  }
});

test(
  'fifty sessions, each making four calls at once, all get their own answers',
  { timeout: 90_000 },
  async () => {
    const sessions = await Promise.all(
      Array.from({ length: 50 }, () => connectSdk(connectorUrl, runtime.runtimeKey)),
    );
    try {
      const answers = await Promise.all(
        sessions.flatMap((session, s) =>
          Array.from({ length: 4 }, async (_, c) => {
            const tag = `s${s}c${c}`;
            const result = await session.mcp.callTool({ name: 'slow', arguments: { ms: 30, tag } });
            return [tag, (result.content as { text: string }[])[0]!.text];
          }),
        ),
      );
      assert.equal(answers.length, 200);
      for (const [tag, text] of answers) assert.equal(text, `done ${tag}`);
    } finally {
      await Promise.all(sessions.map((session) => session.end()));
    }
  },
);
