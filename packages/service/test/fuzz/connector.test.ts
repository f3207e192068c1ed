// Fuzzing the connector endpoint (/v1/mcp/{tunnel}[/{channel}]) as any MCP caller could: whatever the
// method, headers and body, the answer is a 4xx, a documented 503/504 or the MCP server's own, never a
// hang, and the tunnel still works afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { echoHandler, withScriptedClient } from '../../../../test/support/scripted-tunnel-client.ts';
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

const rpcMessage = bodyText({
  jsonrpc: fc.oneof(fc.constant('2.0'), anyValue),
  id: fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), anyValue),
  method: fc.oneof(
    fc.constantFrom('initialize', 'tools/list', 'tools/call', 'ping', 'notifications/initialized'),
    fc.string({ maxLength: 30 }),
  ),
  params: anyValue,
  result: anyValue,
  error: anyValue,
});

const callerRequest = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'DELETE', 'PUT', 'PATCH'),
  channel: fc.option(fc.oneof(fc.constantFrom('main', 'other'), pathSegment), { nil: undefined }),
  body: rpcMessage,
  contentType,
  accept: fc.option(
    fc.constantFrom('application/json, text/event-stream', 'application/json', 'text/event-stream', '*/*'),
    { nil: undefined },
  ),
  sessionId: fc.option(headerValue, { nil: undefined }),
  lastEventId: fc.option(fc.oneof(headerValue, fc.stringMatching(/^[a-z0-9_-]{1,20}:\d{1,5}$/)), {
    nil: undefined,
  }),
  protocolVersion: fc.option(headerValue, { nil: undefined }),
  origin: fc.option(fc.oneof(fc.constant(''), headerValue), { nil: undefined }),
  key: fc.constantFrom('owner', 'none', 'bogus'),
});

test(
  'the connector endpoint answers any caller request without a 5xx or a hang',
  { timeout: 600_000 },
  async () => {
    await withScriptedClient(fuzzed.service, fuzzed.runtime, echoHandler, async () => {
      await fc.assert(
        fc.asyncProperty(callerRequest, async (r) => {
          const headers: Record<string, string> = {};
          if (r.contentType) headers['content-type'] = r.contentType;
          if (r.accept) headers.accept = r.accept;
          if (r.sessionId !== undefined) headers['mcp-session-id'] = r.sessionId;
          if (r.lastEventId !== undefined) headers['last-event-id'] = r.lastEventId;
          if (r.protocolVersion !== undefined) headers['mcp-protocol-version'] = r.protocolVersion;
          if (r.origin !== undefined) headers.origin = r.origin;
          if (r.key === 'owner') headers.authorization = `Bearer ${fuzzed.service.ownerKey}`;
          if (r.key === 'bogus') headers.authorization = 'Bearer mcpt_not_a_key';
          const path = `/v1/mcp/${fuzzed.runtime.tunnelId}${r.channel === undefined ? '' : `/${r.channel}`}`;
          await probe(fuzzed.service.url, { method: r.method, path, headers, body: r.body });
        }),
        fuzzParameters(40),
      );
      const ping = await send(fuzzed.service.url, {
        method: 'POST',
        path: `/v1/mcp/${fuzzed.runtime.tunnelId}`,
        headers: {
          authorization: `Bearer ${fuzzed.service.ownerKey}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
      assert.equal(ping.status, 200, ping.text);
    });
    await assertStillAnswering(fuzzed.service.url, fuzzed.service.ownerKey);
  },
);
