import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createRuntime, keyWith, type Runtime } from '../../../test/support/management-api.ts';
import {
  echoHandler,
  poll,
  respond,
  withScriptedClient,
  waitOnline,
  type WireCommand,
} from '../../../test/support/scripted-tunnel-client.ts';
import { postJsonRpc } from '../../../test/support/mcp-callers.ts';
import { sseMessages } from '../../../test/support/sse.ts';
import { startServiceWithTunnel, type TestService } from './support/service.ts';

let t: TestService;
let runtime: Runtime;
let connector: URL;

before(async () => {
  ({ t, runtime } = await startServiceWithTunnel());
  connector = new URL(`/v1/mcp/${runtime.tunnelId}`, t.url);
});
after(() => t?.stop());

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18' } };

const post = (body: unknown, headers: Record<string, string> = {}, url = connector, key = t.ownerKey) =>
  postJsonRpc(url, key, body, headers);

describe('connector endpoint', { timeout: 30_000 }, () => {
  test('a request round-trips as JSON, with the session id the service minted at initialize', async () => {
    await withScriptedClient(t, runtime, echoHandler, async () => {
      const init = await post(INIT, { accept: 'application/json' });
      assert.equal(init.status, 200);
      assert.match(init.headers.get('content-type') ?? '', /application\/json/);
      const session = init.headers.get('mcp-session-id');
      assert.match(session ?? '', /^[0-9a-f]{48}$/);
      assert.deepEqual(await init.json(), { jsonrpc: '2.0', id: 1, result: { echoed: 'initialize' } });
      const call = await post(
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        { accept: 'application/json', 'mcp-session-id': session! },
      );
      assert.equal(call.status, 200);
      assert.deepEqual(await call.json(), { jsonrpc: '2.0', id: 2, result: { echoed: 'tools/list' } });
      const unknown = await post(
        { jsonrpc: '2.0', id: 3, method: 'tools/list' },
        { 'mcp-session-id': 'made-up' },
      );
      assert.equal(unknown.status, 404);
      const body = (await unknown.json()) as { error: { message: string } };
      assert.match(body.error.message, /initialize/);
    });
  });

  test('the caller session headers travel in the command; Authorization never does', async () => {
    await withScriptedClient(t, runtime, echoHandler, async (client) => {
      const init = await post(INIT, { accept: 'application/json', cookie: 'a=b' });
      const session = init.headers.get('mcp-session-id')!;
      await post(
        { jsonrpc: '2.0', id: 2, method: 'ping' },
        { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
      );
      const command = client.seen.find((c) => c.jsonrpc?.id === 2)!;
      assert.deepEqual(command.headers['Mcp-Session-Id'], [session]);
      assert.deepEqual(command.headers['Mcp-Protocol-Version'], ['2025-06-18']);
      assert.ok(command.headers['Content-Type']);
      for (const seen of client.seen)
        for (const name of Object.keys(seen.headers))
          assert.ok(!/^(authorization|cookie|host|connection)$/i.test(name), name);
    });
  });

  test('an SSE caller gets every notification in order, then the final response', async () => {
    const handler = async (command: WireCommand) => {
      const id = command.jsonrpc!.id;
      const progress = (n: number) => ({
        resp_type: 'jsonrpc_notify',
        resp_code: 200,
        resp_json: { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: n } },
      });
      return [
        progress(1),
        progress(2),
        {
          resp_type: 'jsonrpc_response',
          resp_code: 200,
          resp_json: { jsonrpc: '2.0', id, result: { done: true } },
        },
      ];
    };
    await withScriptedClient(t, runtime, handler, async () => {
      const response = await post({ jsonrpc: '2.0', id: 'sse', method: 'tools/call' });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
      const text = await response.text();
      // Event ids name the stream and the place in it, for resumption with Last-Event-ID.
      assert.match(text, /^event: message\nid: req_[0-9a-f]+:1\ndata: /);
      assert.deepEqual(sseMessages(text), [
        { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } },
        { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 2 } },
        { jsonrpc: '2.0', id: 'sse', result: { done: true } },
      ]);
    });
  });

  test('an SSE answer to a caller that sent Connection: close ends with the connection', async () => {
    await withScriptedClient(t, runtime, echoHandler, async () => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list' });
      const { headers, text, socketClosed } = await new Promise<{
        headers: IncomingHttpHeaders;
        text: string;
        socketClosed: Promise<void>;
      }>((resolve, reject) => {
        const request = httpRequest(connector, {
          method: 'POST',
          agent: false,
          headers: {
            authorization: `Bearer ${t.ownerKey}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            connection: 'close',
          },
        });
        request.on('error', reject);
        request.on('socket', (socket) => {
          const socketClosed = new Promise<void>((closed) => socket.once('close', () => closed()));
          request.on('response', (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve({ headers: response.headers, text, socketClosed }));
          });
        });
        request.end(body);
      });
      assert.match(headers['content-type'] ?? '', /text\/event-stream/);
      assert.deepEqual(sseMessages(text), [{ jsonrpc: '2.0', id: 5, result: { echoed: 'tools/list' } }]);
      assert.equal(headers.connection, 'close');
      await socketClosed;
    });
  });

  test('a notification is answered 202 once the client acknowledges it', async () => {
    await withScriptedClient(t, runtime, echoHandler, async () => {
      const response = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
      assert.equal(response.status, 202);
      assert.equal(await response.text(), '');
      const reply = await post({ jsonrpc: '2.0', id: 'srv-1', result: {} });
      assert.equal(reply.status, 202);
    });
  });

  test('DELETE becomes session_termination and ends the session', async () => {
    await withScriptedClient(t, runtime, echoHandler, async (client) => {
      const init = await post(INIT, { accept: 'application/json' });
      const session = init.headers.get('mcp-session-id')!;
      const end = await fetch(connector, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${t.ownerKey}`, 'mcp-session-id': session },
      });
      assert.equal(end.status, 204);
      const termination = client.seen.find((c) => c.command_type === 'session_termination')!;
      assert.deepEqual(termination.headers['Mcp-Session-Id'], [session]);
      assert.equal(termination.jsonrpc, undefined);
      const again = await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, { 'mcp-session-id': session });
      assert.equal(again.status, 404);
      const missing = await fetch(connector, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${t.ownerKey}` },
      });
      assert.equal(missing.status, 400);
      const body = (await missing.json()) as { jsonrpc: string; error: { message: string } };
      assert.equal(body.jsonrpc, '2.0');
      assert.match(body.error.message, /Mcp-Session-Id/);
    });
  });

  test('an offline tunnel answers 503 at once, not at its response deadline', async () => {
    const offline = await t.ok<{ id: string }>('POST', '/v1/tunnels', t.ownerKey, { name: 'offline' });
    const started = performance.now();
    const response = await post(INIT, {}, new URL(`/v1/mcp/${offline.id}`, t.url));
    const elapsed = performance.now() - started;
    assert.equal(response.status, 503);
    const body = (await response.json()) as { id: number; error: { code: number; message: string } };
    assert.match(body.error.message, /offline/);
    assert.match(body.error.message, /tunnel-client/);
    assert.equal(body.id, 1);
    // The deadline is the default 60 s: 5 s proves nobody waited for a client, and leaves room for load.
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
  });

  test('past the deadline the caller gets 504 and a late response gets 404', async () => {
    const slow = await createRuntime(t, { responseTimeout: '500ms' });
    const slowUrl = new URL(`/v1/mcp/${slow.tunnelId}`, t.url);
    const polled = poll(t.url, slow, 'timeout_ms=3000');
    await waitOnline(t, slow);
    const started = performance.now();
    const caller = post(
      { jsonrpc: '2.0', id: 42, method: 'tools/call' },
      { accept: 'application/json' },
      slowUrl,
    );
    const command = (await polled).body.commands[0] as WireCommand;
    assert.ok(Number(command.response_timeout.replace('ms', '')) <= 500);
    const response = await caller;
    assert.equal(response.status, 504);
    assert.ok(performance.now() - started >= 450);
    const body = (await response.json()) as { id: number; error: { message: string } };
    assert.equal(body.id, 42);
    assert.match(body.error.message, /did not answer/);
    const late = await respond(t.url, slow, command, {
      resp_code: 200,
      resp_json: { jsonrpc: '2.0', id: 42, result: {} },
    });
    assert.equal(late.status, 404);
  });

  test('a caller that hangs up abandons its command', async () => {
    const polled = poll(t.url, runtime, 'timeout_ms=3000');
    await waitOnline(t, runtime);
    const hangUp = new AbortController();
    const caller = fetch(connector, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.ownerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'gone', method: 'ping' }),
      signal: hangUp.signal,
    }).catch(() => undefined);
    const command = (await polled).body.commands[0] as WireCommand;
    hangUp.abort();
    await caller;
    await new Promise((r) => setTimeout(r, 100));
    const late = await respond(t.url, runtime, command, {
      resp_code: 200,
      resp_json: { jsonrpc: '2.0', id: 'gone', result: {} },
    });
    assert.equal(late.status, 404);
  });

  test('refusals are HTTP statuses with JSON-RPC error bodies', async () => {
    await withScriptedClient(t, runtime, echoHandler, async () => {
      const cases: [string, Promise<Response>, number, number | undefined][] = [
        ['malformed JSON', post('{"jsonrpc": '), 400, -32700],
        ['batch', post([{ jsonrpc: '2.0', id: 1, method: 'ping' }]), 400, -32600],
        ['not JSON-RPC', post({ hello: 'world' }), 400, -32600],
        [
          'no key',
          fetch(connector, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
          401,
          undefined,
        ],
        ['foreign origin', post(INIT, { origin: 'http://evil.example' }), 403, undefined],
        [
          'GET',
          fetch(connector, {
            headers: { authorization: `Bearer ${t.ownerKey}`, accept: 'text/event-stream' },
          }),
          405,
          undefined,
        ],
        ['bad channel', post(INIT, {}, new URL(`/v1/mcp/${runtime.tunnelId}/Bad!`, t.url)), 400, undefined],
        ['malformed tunnel id', post(INIT, {}, new URL('/v1/mcp/tunnel_1', t.url)), 400, undefined],
        ['text body', post('x', { 'content-type': 'text/plain' }), 415, undefined],
      ];
      for (const [name, pending, status, code] of cases) {
        const response = await pending;
        assert.equal(response.status, status, name);
        const body = (await response.json()) as {
          jsonrpc: string;
          id: unknown;
          error: { code: number; message: string };
        };
        assert.equal(body.jsonrpc, '2.0', name);
        assert.ok(body.error.message.length > 15, `${name}: ${body.error.message}`);
        if (code !== undefined) assert.equal(body.error.code, code, name);
        if (status === 405) assert.equal(response.headers.get('allow'), 'POST, DELETE');
      }
      const own = await post(INIT, { origin: new URL(t.url).origin, accept: 'application/json' });
      assert.equal(own.status, 200);
    });
  });

  test("a GET under another name than the service's is refused: DNS rebinding sends no Origin", async () => {
    const get = (url: URL, host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(
          url,
          { headers: { host, authorization: `Bearer ${t.ownerKey}`, accept: 'text/event-stream' } },
          (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (body += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
          },
        );
        request.on('error', reject);
        request.end();
      });
    const port = new URL(t.url).port;
    const rebound = await get(connector, `rebound.attacker.example:${port}`);
    assert.equal(rebound.status, 403);
    const error = (JSON.parse(rebound.body) as { error: { message: string } }).error;
    assert.match(error.message, /rebound\.attacker\.example/);
    assert.match(error.message, /--oauth-issuer|--allowed-origin/, 'the refusal says how to add a name');
    // The service's own names and any address get past the check (this tunnel has no standalone stream: 405).
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, '10.9.8.7:1234', `[::1]:${port}`])
      assert.equal((await get(connector, host)).status, 405, host);

    const named = await startServiceWithTunnel({ oauthIssuer: 'https://tunnels.example.com' });
    try {
      const url = new URL(`/v1/mcp/${named.runtime.tunnelId}`, named.t.url);
      const key = named.t.ownerKey;
      const status = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const request = httpRequest(
            url,
            { headers: { host, authorization: `Bearer ${key}` } },
            (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            },
          );
          request.on('error', reject);
          request.end();
        });
      assert.equal(await status('tunnels.example.com'), 405, 'the public name the issuer gives');
      assert.equal(await status('other.example.com'), 403);
    } finally {
      await named.t.stop();
    }
  });

  test('a key without Tunnels Use is refused with 403', async () => {
    const readOnly = await keyWith(t, ['tunnel.read']);
    const response = await post(INIT, {}, connector, readOnly);
    assert.equal(response.status, 403);
    const body = (await response.json()) as { error: { message: string } };
    assert.match(body.error.message, /Tunnels Use/);
  });

  test('an oversized body is refused with 413 and a JSON-RPC error', async () => {
    const { t: small, runtime: smallRuntime } = await startServiceWithTunnel({ maxBodyBytes: 2048 });
    try {
      const response = await fetch(new URL(`/v1/mcp/${smallRuntime.tunnelId}`, small.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${small.ownerKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'x', params: { big: 'x'.repeat(4096) } }),
      });
      assert.equal(response.status, 413);
      const body = (await response.json()) as { jsonrpc: string; error: { message: string } };
      assert.equal(body.jsonrpc, '2.0');
      assert.match(body.error.message, /larger/);
    } finally {
      await small.stop();
    }
  });

  test('an upstream session id is passed through and not replaced', async () => {
    const handler = async (command: WireCommand) => {
      if (command.command_type === 'session_termination')
        return [{ resp_type: 'session_termination_response', resp_code: 204 }];
      return [
        {
          resp_type: 'jsonrpc_response',
          resp_code: 200,
          resp_headers: {
            'Mcp-Session-Id': ['upstream-1'],
            'Mcp-Protocol-Version': ['2025-06-18'],
            'Set-Cookie': ['x=y'],
          },
          resp_json: { jsonrpc: '2.0', id: command.jsonrpc!.id, result: {} },
        },
      ];
    };
    const other = await createRuntime(t);
    await withScriptedClient(t, other, handler, async () => {
      const response = await post(
        INIT,
        { accept: 'application/json' },
        new URL(`/v1/mcp/${other.tunnelId}`, t.url),
      );
      assert.equal(response.headers.get('mcp-session-id'), 'upstream-1');
      assert.equal(response.headers.get('mcp-protocol-version'), '2025-06-18');
      assert.equal(response.headers.get('set-cookie'), null);
    });
  });
});
