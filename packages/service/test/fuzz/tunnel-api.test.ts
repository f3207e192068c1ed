// Fuzzing the tunnel API as a broken or hostile tunnel-client could: polls with any query and headers, and
// response posts of any shape, both for requests nobody waits on and for a real caller's command. Never a
// 5xx (but 503/504) or a hang; a real caller always gets an answer; the tunnel works afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CLIENT_HEADERS,
  poll,
  waitOnline,
  type WireCommand,
} from '../../../../test/support/scripted-tunnel-client.ts';
import {
  anyValue,
  assertStillAnswering,
  bodyText,
  contentType,
  fuzzedTunnel,
  fuzzParameters,
  headerValue,
  pathSegment,
  probe,
  send,
} from './support.ts';

const fuzzed = fuzzedTunnel();

const query = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('limit', 'timeout_ms', 'channel'), fc.stringMatching(/^[a-z_]{1,10}$/)),
      fc.oneof(fc.integer({ min: -5, max: 400 }).map(String), headerValue),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => new URLSearchParams(pairs).toString());

const wireHeaders = fc.dictionary(
  fc.oneof(
    fc.constantFrom('Content-Type', 'Mcp-Session-Id', 'WWW-Authenticate'),
    fc.string({ maxLength: 20 }),
  ),
  fc.oneof(fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }), anyValue),
  { maxKeys: 4 },
);

const payload = (requestId: fc.Arbitrary<unknown>) =>
  bodyText({
    request_id: requestId,
    channel: fc.oneof(fc.constant('main'), anyValue),
    resp_json: fc.oneof(
      fc.record({ jsonrpc: fc.constant('2.0'), id: anyValue, result: anyValue }, { requiredKeys: [] }),
      anyValue,
    ),
    resp_headers: fc.oneof(wireHeaders, anyValue),
    resp_code: fc.oneof(fc.integer({ min: -1000, max: 1000 }), anyValue),
    resp_type: fc.oneof(
      fc.constantFrom(
        'jsonrpc_response',
        'jsonrpc_notify',
        'notify_ack',
        'session_termination_response',
        'stream_open',
      ),
      anyValue,
    ),
  });

const key = fc.constantFrom('runtime', 'owner', 'none', 'bogus');
const authorization = (which: string) =>
  which === 'runtime'
    ? `Bearer ${fuzzed.runtime.runtimeKey}`
    : which === 'owner'
      ? `Bearer ${fuzzed.service.ownerKey}`
      : which === 'bogus'
        ? 'Bearer mcpt_not_a_key'
        : undefined;

test('polls and response posts of any shape get no 5xx and no hang', { timeout: 600_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        kind: fc.constantFrom('poll', 'respond', 'metadata'),
        tunnel: fc.oneof(fc.constant(fuzzed.runtime.tunnelId), pathSegment),
        query,
        key,
        contentType,
        shardToken: fc.option(headerValue, { nil: undefined }),
        serverInfo: fc.option(fc.oneof(headerValue, fc.json({ maxDepth: 3 })), { nil: undefined }),
        body: payload(fc.oneof(fc.string({ maxLength: 40 }), anyValue)),
      }),
      async (r) => {
        const headers: Record<string, string> = { ...CLIENT_HEADERS };
        const auth = authorization(r.key);
        if (auth) headers.authorization = auth;
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.shardToken !== undefined) headers['x-tunnel-shard-token'] = r.shardToken;
        if (r.serverInfo !== undefined && /^[\x20-\x7e]*$/.test(r.serverInfo))
          headers['x-tunnel-mcp-server-info'] = r.serverInfo;
        const base = `/v1/tunnels/${r.tunnel}`;
        if (r.kind === 'poll')
          await probe(fuzzed.service.url, { method: 'GET', path: `${base}/poll?${r.query}`, headers });
        else if (r.kind === 'metadata')
          await probe(fuzzed.service.url, { method: 'GET', path: base, headers });
        else
          await probe(fuzzed.service.url, {
            method: 'POST',
            path: `${base}/response`,
            headers,
            body: r.body,
          });
      },
    ),
    fuzzParameters(40),
  );
  await assertStillAnswering(fuzzed.service.url, fuzzed.service.ownerKey);
});

test(
  'a real caller gets an answer whatever the tunnel-client posts for its command',
  { timeout: 600_000 },
  async () => {
    const connector = new URL(`/v1/mcp/${fuzzed.runtime.tunnelId}`, fuzzed.service.url);
    let delivered = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(payload(fc.constant('<request_id>')), { minLength: 1, maxLength: 3 }),
        fc.constantFrom('application/json', 'application/json, text/event-stream'),
        async (posts, accept) => {
          const polled = poll(fuzzed.service.url, fuzzed.runtime, 'limit=1&timeout_ms=300');
          await waitOnline(fuzzed.service, fuzzed.runtime);
          const caller = send(fuzzed.service.url, {
            method: 'POST',
            path: connector.pathname,
            headers: {
              authorization: `Bearer ${fuzzed.service.ownerKey}`,
              'content-type': 'application/json',
              accept,
            },
            body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } }),
          });
          // The caller may be answered before any poll hands its command out (e.g. 503 when an earlier
          // case's dropped poll made the tunnel count as offline): then there is nothing to post.
          let answeredEarly = false;
          const settle = () => (answeredEarly = true);
          void caller.then(settle, settle);
          let command: WireCommand | undefined;
          for (
            let answer = await polled;
            !command && !answeredEarly;
            answer = await poll(fuzzed.service.url, fuzzed.runtime, 'limit=1&timeout_ms=300')
          )
            command = answer.status === 200 ? (answer.body.commands[0] as WireCommand) : undefined;
          if (command) {
            delivered++;
            for (const body of posts)
              await probe(fuzzed.service.url, {
                method: 'POST',
                path: `/v1/tunnels/${fuzzed.runtime.tunnelId}/response`,
                headers: {
                  ...CLIENT_HEADERS,
                  authorization: `Bearer ${fuzzed.runtime.runtimeKey}`,
                  'content-type': 'application/json',
                  'x-tunnel-shard-token': command.shard_token,
                },
                body: body.replaceAll('<request_id>', command.request_id),
              });
          }
          // Whatever was posted, the caller is answered: by the client's own answer, a refusal, or the deadline.
          const answered = await caller;
          assert.ok(answered.status >= 200, String(answered.status));
        },
      ),
      fuzzParameters(6),
    );
    // Cases whose caller was answered before a poll took the command post nothing: some must post.
    assert.ok(
      delivered > 0,
      'no case handed a command to the scripted client, so no response post was fuzzed',
    );
    await assertStillAnswering(fuzzed.service.url, fuzzed.service.ownerKey);
  },
);
