// A Streamable HTTP upstream that answers with an SSE stream is read as it arrives: a notification the
// upstream sends reaches the tunnel caller while the upstream still holds its response open.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from '../support/management-api.ts';
import { postJsonRpc } from '../support/mcp-callers.ts';
import { startSystem, type System } from '../support/system.ts';

let system: System;
let runtime: Runtime;
let connectorUrl: URL;
let upstream: Server;
/** Resolves the upstream's held tools/call: only then does it send the final answer. */
let release: () => void = () => {};
let upstreamFinished = false;

before(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const message = JSON.parse(body || '{}') as { id?: number; method?: string };
      if (message.method === 'initialize') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: message.id,
            result: {
              protocolVersion: '2025-11-25',
              capabilities: {},
              serverInfo: { name: 'sse', version: '1' },
            },
          }),
        );
        return;
      }
      if (message.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const notice = {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'info', data: 'early' },
      };
      res.write(`event: message\ndata: ${JSON.stringify(notice)}\n\n`);
      release = () => {
        upstreamFinished = true;
        const answer = {
          jsonrpc: '2.0',
          id: message.id,
          result: { content: [{ type: 'text', text: 'late' }] },
        };
        res.end(`event: message\ndata: ${JSON.stringify(answer)}\n\n`);
      };
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  system = await startSystem({ client: { mcpServerUrl: `http://127.0.0.1:${port}/mcp` } });
  ({ runtime, connectorUrl } = system);
});

after(async () => {
  release();
  await system?.stop();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

test(
  'a notification reaches the caller before the upstream finishes its SSE answer',
  { timeout: 30_000 },
  async () => {
    const response = await postJsonRpc(connectorUrl, runtime.runtimeKey, {
      jsonrpc: '2.0',
      id: 5,
      method: 'tools/call',
      params: { name: 'x' },
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('"early"')) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream ended before the notification');
      text += value;
    }
    assert.equal(
      upstreamFinished,
      false,
      'the notification arrived while the upstream still held its answer',
    );
    release();
    while (!text.includes('"late"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    assert.match(text, /"id":5,"result":\{"content":\[\{"type":"text","text":"late"\}\]\}/);
  },
);
