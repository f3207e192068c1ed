import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import type { JsonRpcMessage } from '@mcp-tunnel/protocol';
import { BindingFailure } from '../src/bindings/binding.ts';
import { HttpBinding } from '../src/bindings/streamable-http.ts';
import { SseParser } from '../src/bindings/sse.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { memoryLogger } from './support/memory-logger.ts';

let server: Server;
let base = '';
const seenHeaders: IncomingMessage['headers'][] = [];
const transports = new Map<string, StreamableHTTPServerTransport>();

function mcpServer(): McpServer {
  const mcp = new McpServer({ name: 'http-test', version: '1.0.0' }, { capabilities: { logging: {} } });
  mcp.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }, extra) => {
    await extra.sendNotification({
      method: 'notifications/message',
      params: { level: 'info', data: 'adding' },
    });
    return { content: [{ type: 'text', text: `${a} + ${b} = ${a + b}` }] };
  });
  return mcp;
}

before(async () => {
  server = createServer(async (req, res) => {
    seenHeaders.push(req.headers);
    if (req.url === '/mcp') {
      const sessionId = req.headers['mcp-session-id'] as string | undefined;
      let transport = sessionId ? transports.get(sessionId) : undefined;
      if (!transport) {
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => void transports.set(id, transport!),
        });
        await mcpServer().connect(transport);
      }
      await transport.handleRequest(req, res);
      return;
    }
    for await (const _chunk of req);
    if (req.url === '/broken-json')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc": ');
    else if (req.url === '/html-500')
      res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>oops</h1>');
    else if (req.url === '/rpc-error-400')
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: 4, error: { code: -32600, message: 'bad session' } }));
    else if (req.url === '/oauth/mcp')
      res
        .writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': `Bearer resource_metadata="${base}/private/metadata.json", scope="mcp"`,
        })
        .end(JSON.stringify({ error: 'invalid_token' }));
    else if (req.url === '/private/metadata.json')
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ resource: `${base}/oauth/mcp`, authorization_servers: [`${base}/as`] }));
    else if (req.url === '/.well-known/oauth-protected-resource/plain/mcp')
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ resource: `${base}/plain/mcp`, authorization_servers: [`${base}/as`] }));
    else if (req.url === '/sse-cut') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(
        'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"x"}}\n\n',
      );
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const t of transports.values()) await t.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const message = (id: number, method: string, params: Record<string, unknown> = {}) =>
  ({ jsonrpc: '2.0', id, method, params }) as JsonRpcMessage;

function send(binding: HttpBinding, msg: JsonRpcMessage, headers: Record<string, string[]> = {}) {
  const notices: JsonRpcMessage[] = [];
  const reply = binding.send({
    message: msg,
    headers,
    sessionId: undefined,
    signal: AbortSignal.timeout(5000),
    onMessage: (m) => notices.push(m),
  });
  return { reply, notices };
}

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BindingFailure, String(error));
    return error.failure;
  }
  assert.fail('expected a failure');
}

test('SSE parser handles split chunks and CRLF', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('data: {"a"'), []);
  assert.deepEqual(parser.push(':1}\r'), []);
  assert.deepEqual(parser.push('\n\r\nid: 2\ndata: x\ndata: y\n\n'), ['{"a":1}', 'x\ny']);
});

test(
  'Streamable HTTP: probe, session headers, SSE notifications forwarded in order, real status back',
  { timeout: 20_000 },
  async () => {
    const { log } = memoryLogger();
    const binding = new HttpBinding('main', `${base}/mcp`, log);
    await binding.start();
    try {
      await eventually(() => binding.status().initialized, 10_000, 'the probe');
      const init = await send(
        binding,
        message(1, 'initialize', {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        }),
        { 'X-Custom': ['yes'], Connection: ['close'] },
      ).reply;
      assert.equal(init.status, 200);
      assert.equal(init.message?.id, 1);
      const session = init.headers['Mcp-Session-Id']?.[0];
      assert.ok(session, 'the server session id comes back');
      // The start-up probe ends its own session in the background, so its DELETE may land after
      // the initialize; look for the forwarded request rather than the last one seen.
      const forwarded = seenHeaders.find((h) => h['x-custom'] !== undefined);
      assert.equal(forwarded?.['x-custom'], 'yes');
      assert.match(String(forwarded.accept), /application\/json, text\/event-stream/);

      const sessionHeaders = { 'Mcp-Session-Id': [session], 'Mcp-Protocol-Version': ['2025-06-18'] };
      const ack = await send(
        binding,
        { jsonrpc: '2.0', method: 'notifications/initialized' } as JsonRpcMessage,
        sessionHeaders,
      ).reply;
      assert.equal(ack.status, 202);
      const call = send(
        binding,
        message(2, 'tools/call', { name: 'add', arguments: { a: 5, b: 3 } }),
        sessionHeaders,
      );
      const answer = await call.reply;
      assert.deepEqual(answer.message, {
        jsonrpc: '2.0',
        id: 2,
        result: { content: [{ type: 'text', text: '5 + 3 = 8' }] },
      });
      assert.deepEqual(answer.headers['Content-Type'], ['application/json']);
      assert.equal((call.notices[0]?.params as { data: string }).data, 'adding');

      const ended = await binding.terminateSession(session, sessionHeaders, AbortSignal.timeout(5000));
      assert.equal(ended.status, 204);
    } finally {
      await binding.close();
    }
  },
);

test(
  'Streamable HTTP failures map to the contract sources, with no raw text',
  { timeout: 20_000 },
  async () => {
    const { log } = memoryLogger();
    const at = (path: string) => new HttpBinding('main', `${base}${path}`, log);
    const bindings = ['/html-500', '/broken-json', '/rpc-error-400', '/sse-cut'].map(at);
    const refused = new HttpBinding('main', 'http://127.0.0.1:1/mcp', log);
    const dns = new HttpBinding('main', 'http://no-such-host.invalid/mcp', log);
    try {
      assert.deepEqual(await failure(send(bindings[0]!, message(1, 'ping')).reply), {
        source: 'target_http',
        upstreamStatus: 500,
      });
      assert.deepEqual(await failure(send(bindings[1]!, message(1, 'ping')).reply), {
        source: 'protocol',
        kind: 'malformed_json',
        responseReceived: true,
      });
      const rpcError = await send(bindings[2]!, message(4, 'ping')).reply;
      assert.equal(rpcError.status, 400, 'a real JSON-RPC error keeps its real status');
      assert.deepEqual(rpcError.message?.error, { code: -32600, message: 'bad session' });
      const cut = send(bindings[3]!, message(1, 'ping'));
      assert.equal((await failure(cut.reply)).kind, 'unexpected_eof');
      assert.equal(cut.notices.length, 1);
      assert.deepEqual(await failure(send(refused, message(1, 'ping')).reply), {
        source: 'connect',
        kind: 'connection_refused',
      });
      assert.deepEqual(await failure(send(dns, message(1, 'ping')).reply), { source: 'dns', kind: 'dns' });
    } finally {
      for (const b of [...bindings, refused, dns]) await b.close();
    }
  },
);

test(
  'an OAuth challenge reaches the caller with its status, without the server’s own metadata address, which the binding fetches when asked',
  { timeout: 20_000 },
  async () => {
    const { log } = memoryLogger();
    const binding = new HttpBinding('main', `${base}/oauth/mcp`, log);
    const plain = new HttpBinding('main', `${base}/plain/mcp`, log);
    const none = new HttpBinding('main', `${base}/nothing/mcp`, log);
    try {
      const refused = await send(binding, message(1, 'tools/list')).reply.then(
        () => assert.fail('expected the challenge as a failure'),
        (error: unknown) => error as BindingFailure,
      );
      assert.deepEqual(refused.failure, { source: 'target_http', upstreamStatus: 401 });
      assert.equal(refused.answer?.status, 401);
      assert.deepEqual(refused.answer?.headers['WWW-Authenticate'], ['Bearer scope="mcp"']);

      const signal = AbortSignal.timeout(5000);
      assert.deepEqual(await binding.resourceMetadata(signal), {
        status: 200,
        document: { resource: `${base}/oauth/mcp`, authorization_servers: [`${base}/as`] },
      });
      // Without a challenge seen, the well-known URL with the server's path inserted.
      assert.equal((await plain.resourceMetadata(signal)).document?.resource, `${base}/plain/mcp`);
      assert.deepEqual(await none.resourceMetadata(signal), { status: 404 });
    } finally {
      for (const b of [binding, plain, none]) await b.close();
    }
  },
);
