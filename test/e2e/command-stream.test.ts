// Protocol extension `command-stream` end to end: the real tunnel-service, the real tunnel-client, the
// calculator over stdio and the official MCP SDK as the caller. The client's metrics tell which carrier
// took the calls (the stream's messages, the polls): calls go over the stream once the service offered
// it; when the stream breaks the client polls at once and opens the stream again later; when the upgrade
// is refused on the way (a proxy that does not pass WebSockets), it keeps polling.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { startService, type Service } from '../support/service-process.ts';
import { startTunnel } from '../support/system.ts';
import { connectSdk } from '../support/mcp-callers.ts';
import { startTcpLink } from '../support/tcp-link.ts';
import { eventually } from '../support/eventually.ts';

let service: Service;

before(async () => {
  service = await startService();
});
after(() => service?.stop());

/** One sample of the client's Prometheus metrics, by series (name with labels). */
async function metrics(opsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(new URL('/metrics', opsUrl))).text();
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(tunnel_client_[\w]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) found.set(match[1]!, Number(match[2]));
  }
  return found;
}

const polls = (sample: Map<string, number>) =>
  [...sample]
    .filter(([series]) => series.startsWith('tunnel_client_polls_total'))
    .reduce((n, [, v]) => n + v, 0);
const streamed = (sample: Map<string, number>, kind: 'command' | 'response') =>
  sample.get(`tunnel_client_command_stream_messages_total{kind="${kind}"}`) ?? 0;
const streamOpen = async (opsUrl: string) =>
  (await metrics(opsUrl)).get('tunnel_client_command_stream_open') === 1;

/** Five `add` calls through the tunnel with the SDK; each must be answered right. */
async function fiveCalls(connectorUrl: URL, key: string): Promise<void> {
  const session = await connectSdk(connectorUrl, key);
  try {
    for (let a = 1; a <= 5; a++) {
      const result = (await session.mcp.callTool({ name: 'add', arguments: { a, b: 10 } })) as {
        content: { text: string }[];
      };
      assert.match(result.content[0]!.text, new RegExp(`\\b${a + 10}\\b`));
    }
  } finally {
    await session.end();
  }
}

/**
 * A TCP proxy to the service that does not pass WebSocket upgrades: a connection that sends one is
 * answered 502 and closed, as by a proxy configured without the Upgrade headers.
 */
async function upgradeRefusingProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let refused = 0;
  const server = createServer((inbound) => {
    const outbound = connect(target.port, target.host);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    inbound.on('data', (chunk: Buffer) => {
      if (/^upgrade: websocket/im.test(chunk.toString('latin1'))) {
        refused++;
        outbound.destroy();
        inbound.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      outbound.write(chunk);
    });
    outbound.pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refused: () => refused,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const serviceTarget = () => {
  const url = new URL(service.url);
  return { host: url.hostname, port: Number(url.port) };
};

describe('command stream between our tunnel-client and tunnel-service', { timeout: 120_000 }, () => {
  test('calls go over the stream: no poll and no response POST per call', async () => {
    await using tunnel = await startTunnel(service);
    await eventually(() => streamOpen(tunnel.client.opsUrl), 15_000, 'the command stream to open');
    const before = await metrics(tunnel.client.opsUrl);
    await fiveCalls(tunnel.connectorUrl, tunnel.runtime.runtimeKey);
    const after = await metrics(tunnel.client.opsUrl);
    // initialize, notifications/initialized, five calls, the session's end: at least seven each way.
    assert.ok(streamed(after, 'command') - streamed(before, 'command') >= 7, JSON.stringify([...after]));
    assert.ok(streamed(after, 'response') - streamed(before, 'response') >= 7);
    assert.equal(polls(after), polls(before), 'no poll while the stream is open');
    const state = (await (
      await fetch(new URL(`/v1/tunnels/${tunnel.runtime.tunnelId}`, service.url), {
        headers: { authorization: `Bearer ${service.ownerKey}` },
      })
    ).json()) as { online: boolean; clients: { name: string }[] };
    assert.equal(state.online, true);
    assert.equal(state.clients[0]?.name, 'mcp-tunnel-client');
  });

  test('a broken stream: the client polls at once, calls keep working, and the stream comes back', async () => {
    await using link = await startTcpLink(serviceTarget());
    const viaLink = { ...service, url: `http://127.0.0.1:${link.port}` };
    await using tunnel = await startTunnel(viaLink);
    await eventually(() => streamOpen(tunnel.client.opsUrl), 15_000, 'the command stream to open');
    const before = await metrics(tunnel.client.opsUrl);
    await link.cut();
    await link.restore();
    await eventually(async () => !(await streamOpen(tunnel.client.opsUrl)), 15_000, 'the stream to end');
    await fiveCalls(new URL(tunnel.connectorUrl.pathname, service.url), tunnel.runtime.runtimeKey);
    assert.ok(polls(await metrics(tunnel.client.opsUrl)) > polls(before), 'polled while the stream was down');
    await eventually(() => streamOpen(tunnel.client.opsUrl), 30_000, 'the command stream to open again');
    const reopened = await metrics(tunnel.client.opsUrl);
    await fiveCalls(new URL(tunnel.connectorUrl.pathname, service.url), tunnel.runtime.runtimeKey);
    assert.ok(streamed(await metrics(tunnel.client.opsUrl), 'command') - streamed(reopened, 'command') >= 7);
  });

  test('an upgrade refused on the way: the client keeps polling and calls work', async () => {
    const proxy = await upgradeRefusingProxy(serviceTarget());
    try {
      await using tunnel = await startTunnel({ ...service, url: proxy.url });
      await eventually(async () => proxy.refused() > 0, 15_000, 'the client to try the stream');
      const before = await metrics(tunnel.client.opsUrl);
      await fiveCalls(new URL(tunnel.connectorUrl.pathname, service.url), tunnel.runtime.runtimeKey);
      const after = await metrics(tunnel.client.opsUrl);
      assert.equal(streamed(after, 'command'), 0);
      assert.equal(after.get('tunnel_client_command_stream_open'), 0);
      assert.ok(polls(after) > polls(before));
      assert.ok(
        (after.get('tunnel_client_commands_total{outcome="answered",channel="main"}') ?? 0) >= 5,
        JSON.stringify([...after]),
      );
    } finally {
      await proxy.close();
    }
  });
});
