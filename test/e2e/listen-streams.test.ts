// 2026-07-28 `subscriptions/listen` streams through the real tunnel (extension listen-stream): a listen
// outlives the tunnel's response_timeout, holds no worker (one worker still serves calls while it is
// open), carries every event, and ends with the server's empty result when the server closes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client as V2Client } from '@modelcontextprotocol/client';
import { eventually } from '../support/eventually.ts';
import { connectSdk, connectV2 } from '../support/mcp-callers.ts';
import { FEATURES_SERVER, NOTES, NOTES_HTTP } from '../support/mcp-servers.ts';
import { startProcess, type Proc } from '../support/processes.ts';
import { startSystem, type System } from '../support/system.ts';

const PIN = { pin: '2026-07-28' };
const node = process.execPath;
let system: System;
let notesHttp: Proc;

before(async () => {
  notesHttp = startProcess([NOTES_HTTP, '0']);
  const url = (await notesHttp.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!;
  system = await startSystem({
    responseTimeout: '2s',
    client: {
      readyTimeoutMs: 60_000,
      extraEnv: {
        MCP_MAX_CONCURRENT_REQUESTS: '1',
        MCP_COMMAND: [
          `channel=main,command="${node}" "${NOTES}"`,
          `channel=slow,command="${node}" "${FEATURES_SERVER}"`,
        ].join('\n'),
        MCP_SERVER_URL: `channel=http,url=${url}`,
      },
    },
  });
});

after(async () => {
  await system?.stop();
  await notesHttp?.stop();
});

const urlOf = (channel: string) =>
  new URL(channel === 'main' ? system.connectorUrl.href : `${system.connectorUrl.href}/${channel}`);

/** Opens a listen for notes://all on `client`; returns the URIs it hears and the subscription. */
async function listenForNotes(client: V2Client) {
  const heard: string[] = [];
  client.setNotificationHandler('notifications/resources/updated', (n) => void heard.push(n.params.uri));
  const subscription = await client.listen({ resourceSubscriptions: ['notes://all'] });
  return { heard, subscription };
}

for (const channel of ['main', 'http'])
  test(
    `a listen on ${channel} outlives response_timeout, holds no worker and carries every event`,
    { timeout: 120_000 },
    async () => {
      const key = system.runtime.runtimeKey;
      const listener = await connectV2(urlOf(channel), key, PIN);
      const caller = await connectV2(urlOf(channel), key, PIN);
      const legacy = await connectSdk(urlOf('slow'), key);
      try {
        const { heard, subscription } = await listenForNotes(listener);
        // A call longer than response_timeout (2 s) ends at its deadline: the listen, opened before, has lived
        // past it. With one worker, the call also shows the listen holds none.
        await assert.rejects(legacy.mcp.callTool({ name: 'slow', arguments: { ms: 4000, tag: 'x' } }));
        for (const text of ['one', 'two', 'three'])
          await caller.callTool({ name: 'add-note', arguments: { text } });
        await eventually(() => heard.length === 3, 10_000, 'three updates on the listen stream');
        assert.deepEqual(heard, ['notes://all', 'notes://all', 'notes://all']);
        await subscription.close();
        assert.equal(await subscription.closed, 'local');
      } finally {
        await Promise.all([listener.close(), caller.close(), legacy.end()]);
      }
    },
  );

test(
  'when the server closes a listen, the caller gets the empty result (a graceful end)',
  { timeout: 60_000 },
  async () => {
    const listener = await connectV2(urlOf('http'), system.runtime.runtimeKey, PIN);
    try {
      const { subscription } = await listenForNotes(listener);
      await notesHttp.stop(); // closes its listen streams with the empty result, then exits
      assert.equal(await subscription.closed, 'graceful');
    } finally {
      await listener.close();
    }
  },
);
