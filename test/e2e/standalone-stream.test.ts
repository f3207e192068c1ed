// Extension standalone-stream end to end: the real tunnel-service and tunnel-client (their CLIs), an MCP
// server that changes its tools and resources (stdio child, then Streamable HTTP), and the official MCP
// SDK client, which opens the GET stream itself after initialize and must hear the server's
// notifications/tools/list_changed and notifications/resources/updated through the tunnel.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { CHANGING_SERVER } from '../support/mcp-servers.ts';
import { startProcess } from '../support/processes.ts';
import { startService, type Service } from '../support/service-process.ts';
import { startTunnel, type Tunnel } from '../support/system.ts';

/** Resolves with the first value `subscribe` hands over, or rejects after `ms`. */
function nextEvent<T>(
  what: string,
  ms: number,
  subscribe: (deliver: (value: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    subscribe((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/**
 * An SDK client on the tunnel's connector endpoint; `streamRequested` settles when it sends its GET for the
 * standalone stream, `streamOpen` when that GET is answered.
 */
async function connect(tunnel: Tunnel) {
  let requested!: () => void;
  const streamRequested = new Promise<void>((resolve) => (requested = resolve));
  let opened!: (status: number) => void;
  const streamOpen = new Promise<number>((resolve) => (opened = resolve));
  const transport = new StreamableHTTPClientTransport(tunnel.connectorUrl, {
    requestInit: { headers: { Authorization: `Bearer ${tunnel.runtime.runtimeKey}` } },
    fetch: async (url, init) => {
      if (init?.method === 'GET') requested();
      const response = await fetch(url, init);
      if (init?.method === 'GET') opened(response.status);
      return response;
    },
  });
  const mcp = new McpClient({ name: 'stream-e2e', version: '1.0.0' });
  await mcp.connect(transport);
  return { mcp, transport, streamRequested, streamOpen };
}

async function expectNotifications(tunnel: Tunnel) {
  const { mcp, streamOpen } = await connect(tunnel);
  try {
    assert.equal(await streamOpen, 200, 'the connector endpoint opened the standalone stream');
    const listChanged = nextEvent('tools/list_changed', 10_000, (deliver) =>
      mcp.setNotificationHandler(ToolListChangedNotificationSchema, () => deliver(true)),
    );
    const result = await mcp.callTool({ name: 'add_tool', arguments: {} });
    assert.deepEqual(result.content, [{ type: 'text', text: 'adding extra_1' }]);
    await listChanged;
    const { tools } = await mcp.listTools();
    assert.ok(
      tools.some((tool) => tool.name === 'extra_1'),
      'the new tool is listed',
    );

    await mcp.subscribeResource({ uri: 'note://1' });
    const updated = nextEvent<string>('resources/updated', 10_000, (deliver) =>
      mcp.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => deliver(n.params.uri)),
    );
    await mcp.callTool({ name: 'touch_note', arguments: {} });
    assert.equal(await updated, 'note://1');
    const read = await mcp.readResource({ uri: 'note://1' });
    assert.deepEqual(read.contents, [{ uri: 'note://1', text: 'note version 2' }]);
  } finally {
    await mcp.close();
  }
}

describe('standalone stream through the tunnel', { timeout: 90_000 }, () => {
  let service: Service;

  before(async () => {
    service = await startService();
  });
  after(async () => {
    await service?.stop();
  });

  test('stdio server: the SDK client hears list_changed and resources/updated on its GET stream', async () => {
    await using tunnel = await startTunnel(service, {
      tunnelName: 'changing stdio',
      client: { mcpCommand: `"${process.execPath}" "${CHANGING_SERVER}"` },
    });
    await expectNotifications(tunnel);
  });

  test('Streamable HTTP server: the same from its own GET stream; an answer stream it ends early is resumed', async () => {
    await using upstream = startProcess([CHANGING_SERVER, '--http']);
    const [, url] = await upstream.waitFor(/listening on (http:\S+)/);
    await using tunnel = await startTunnel(service, {
      tunnelName: 'changing http',
      client: { mcpServerUrl: url },
    });
    await expectNotifications(tunnel);

    // The server ends its answer's stream early (SEP-1699): the tunnel-client resumes it upstream.
    const { mcp } = await connect(tunnel);
    try {
      const progress: number[] = [];
      const result = await mcp.callTool({ name: 'interrupted_count', arguments: {} }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      assert.deepEqual(result.content, [{ type: 'text', text: 'counted to 3 across a closed stream' }]);
      assert.deepEqual(progress, [1, 2, 3]);
    } finally {
      await mcp.close();
    }
  });

  test('a request sent after the GET waits for the server to open the stream, so a message sent at once is heard', async () => {
    // The server takes 800 ms to open a GET stream, and `announce` notifies outside any request at once:
    // unless the tunnel-client forwards the call only after the stream is open, the server drops it.
    await using upstream = startProcess([CHANGING_SERVER, '--http', '--slow-get', '800']);
    const [, url] = await upstream.waitFor(/listening on (http:\S+)/);
    await using tunnel = await startTunnel(service, {
      tunnelName: 'slow stream http',
      client: { mcpServerUrl: url },
    });
    const { mcp, streamRequested } = await connect(tunnel);
    try {
      const heard = nextEvent('tools/list_changed', 10_000, (deliver) =>
        mcp.setNotificationHandler(ToolListChangedNotificationSchema, () => deliver(true)),
      );
      // The SDK client opens its GET right after initialize; give it time to reach the service first,
      // as it would reach a server directly, then call at once without waiting for the stream.
      await streamRequested;
      await new Promise((resolve) => setTimeout(resolve, 200));
      const result = await mcp.callTool({ name: 'announce', arguments: {} });
      assert.deepEqual(result.content, [{ type: 'text', text: 'announced' }]);
      await heard;
    } finally {
      await mcp.close();
    }
  });
});
