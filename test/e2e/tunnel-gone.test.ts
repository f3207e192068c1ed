// A tunnel-client that is gone fails its callers at once: the real tunnel-service, the real tunnel-client
// (stopped cleanly, or killed with SIGKILL) and the features server, with callers waiting on calls the
// client held. Nothing here waits for the tunnel's 60 s response_timeout: the bounds below separate a
// prompt answer from one at the deadline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { startService, type Service } from '../support/service-process.ts';
import { startTunnel, type Tunnel } from '../support/system.ts';
import { startClient, waitReady } from '../support/client-process.ts';
import { api } from '../support/management-api.ts';
import { FEATURES_SERVER } from '../support/mcp-servers.ts';
import { postJsonRpc } from '../support/mcp-callers.ts';
import { sseMessages } from '../support/sse.ts';
import { eventually } from '../support/eventually.ts';

const FEATURES = `"${process.execPath}" "${FEATURES_SERVER}"`;

interface RpcAnswer {
  id?: unknown;
  result?: { content: { text: string }[] };
  error?: { code: number; message: string };
}

let service: Service;

before(async () => {
  service = await startService();
});

after(() => service?.stop());

/** A tools/call through the tunnel. */
function call(tunnel: Tunnel, id: number, name: string, args: Record<string, unknown> = {}, sse = false) {
  return postJsonRpc(
    tunnel.connectorUrl,
    tunnel.runtime.runtimeKey,
    {
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name, arguments: args, _meta: { progressToken: id } },
    },
    { accept: sse ? 'application/json, text/event-stream' : 'application/json' },
  );
}

/**
 * A call to `block` (held until cancelled) as an SSE caller: `running` resolves once the MCP server runs
 * it (its first progress event), `answer` with the last message of the stream and when it came.
 */
async function blockedCall(tunnel: Tunnel, id: number) {
  const response = await call(tunnel, id, 'block', {}, true);
  assert.equal(response.status, 200);
  let markRunning!: () => void;
  const running = new Promise<void>((resolve) => (markRunning = resolve));
  const answer = (async () => {
    let text = '';
    for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.includes('\n\n')) markRunning();
    }
    return { message: sseMessages(text).at(-1) as RpcAnswer, at: performance.now() };
  })();
  return { running, answer };
}

/** The tunnel as the console sees it. */
const tunnelState = (tunnel: Tunnel) =>
  api<{ online: boolean; clients: unknown[] }>(
    service.url,
    service.ownerKey,
    'GET',
    `/v1/tunnels/${tunnel.runtime.tunnelId}`,
  );

/** One new caller after the client is gone: its answer and how long it took. */
async function lateCaller(tunnel: Tunnel) {
  const started = performance.now();
  const response = await call(tunnel, 99, 'pid');
  return {
    status: response.status,
    body: (await response.json()) as RpcAnswer,
    ms: performance.now() - started,
  };
}

describe('a tunnel-client that is gone', { timeout: 300_000 }, () => {
  test('killed: the call it held fails within 5 s, and a new caller gets 503 within 5 s', async () => {
    await using tunnel = await startTunnel(service, { client: { mcpCommand: FEATURES } });
    const held = await blockedCall(tunnel, 1);
    await held.running;

    const killedAt = performance.now();
    const { child } = tunnel.client.proc;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    // A caller sent before the process is really gone may reach it: that one is the held call's case.
    await exited;
    const late = await lateCaller(tunnel);
    const { message, at } = await held.answer;

    assert.equal(message.id, 1);
    assert.match(
      message.error?.message ?? '',
      /tunnel-client handling this request stopped or was lost/,
      service.proc.output().split('\n').slice(-30).join('\n'),
    );
    assert.ok(at - killedAt < 5000, `the held call failed ${Math.round(at - killedAt)} ms after the kill`);
    assert.equal(late.status, 503, JSON.stringify(late.body));
    assert.match(late.body.error?.message ?? '', /offline/);
    assert.ok(late.ms < 5000, `the new caller waited ${Math.round(late.ms)} ms`);
    const state = await tunnelState(tunnel);
    assert.deepEqual([state.online, state.clients], [false, []]);
  });

  test('stopped: the call it held fails within 1 s, and a new caller after its exit gets 503 within 1 s', async () => {
    await using tunnel = await startTunnel(service, { client: { mcpCommand: FEATURES } });
    const held = await blockedCall(tunnel, 1);
    await held.running;

    const stoppedAt = performance.now();
    await tunnel.client.proc.stop();
    const late = await lateCaller(tunnel);
    const state = await tunnelState(tunnel);
    const { message, at } = await held.answer;

    assert.equal(message.id, 1);
    assert.match(message.error?.message ?? '', /tunnel-client handling this request stopped or was lost/);
    assert.ok(at - stoppedAt < 1000, `the held call failed ${Math.round(at - stoppedAt)} ms after SIGTERM`);
    assert.equal(late.status, 503, JSON.stringify(late.body));
    assert.ok(late.ms < 1000, `the new caller waited ${Math.round(late.ms)} ms`);
    assert.deepEqual([state.online, state.clients], [false, []], 'the console shows it offline at once');
  });

  test('stopped beside a second client: the calls it had not started are answered by the other', async () => {
    await using first = await startTunnel(service, {
      client: { mcpCommand: FEATURES, extraEnv: { MCP_MAX_CONCURRENT_REQUESTS: '1' } },
    });
    const held = await blockedCall(first, 1);
    await held.running;
    // One worker is busy: these wait in the first client's own queue, unstarted.
    const waiting = [2, 3].map((id) => call(first, id, 'slow', { ms: 3, tag: `call ${id}` }));
    await eventually(
      async () => {
        const metrics = await (await fetch(new URL('/metrics', first.client.opsUrl))).text();
        return /^tunnel_client_queued_commands 2$/m.test(metrics);
      },
      15_000,
      'the first client to hold both calls in its queue',
    );
    const second = await startClient(service, first.runtime, { mcpCommand: FEATURES });
    try {
      await waitReady(second.opsUrl);
      await first.client.proc.stop();

      const answers = await Promise.all(
        waiting.map(async (response) => {
          const answered = await response;
          return { status: answered.status, body: (await answered.json()) as RpcAnswer };
        }),
      );
      assert.deepEqual(
        answers.map(({ status, body }) => [status, body.result?.content[0]?.text]),
        [
          [200, 'done call 2'],
          [200, 'done call 3'],
        ],
      );
      const { message } = await held.answer;
      assert.match(message.error?.message ?? '', /stopped or was lost/, 'the started call is not run twice');
      const state = await tunnelState(first);
      assert.equal(state.online, true, 'the second client still serves the tunnel');
      assert.equal(state.clients.length, 1);
    } finally {
      await second.stop();
    }
  });
});
