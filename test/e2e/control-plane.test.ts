// The control plane around a running tunnel: the live view while the real tunnel-client serves the
// calculator, and a revoked runtime key refused on the tunnel-client's next poll.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from '../support/service-process.ts';
import { api, type Runtime } from '../support/management-api.ts';
import { eventually } from '../support/eventually.ts';
import { connectSdk } from '../support/mcp-callers.ts';
import { startSystem, type System } from '../support/system.ts';

interface Live {
  clients: {
    instance_id: string;
    client_name: string;
    client_version: string;
    channels: unknown[];
    last_poll_at: string;
  }[];
  sessions: { id: string; channel: string }[];
  recent_traffic: { method: string; tool?: string; status: number; duration_ms: number; channel: string }[];
}

let system: System;
let service: Service;
let runtime: Runtime;
let connectorUrl: URL;

before(async () => {
  system = await startSystem();
  ({ service, runtime, connectorUrl } = system);
});

after(() => system?.stop());

test(
  'the live view shows the polling tunnel-client, open sessions and the last calls',
  { timeout: 60_000 },
  async () => {
    const { mcp, transport } = await connectSdk(connectorUrl, runtime.runtimeKey);
    const sessionId = transport.sessionId!;
    try {
      const result = await mcp.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
      assert.deepEqual(result.content, [{ type: 'text', text: '2 + 40 = 42' }]);
      const live = await api<Live>(
        service.url,
        service.ownerKey,
        'GET',
        `/v1/tunnels/${runtime.tunnelId}/live`,
      );
      assert.equal(live.clients.length, 1);
      const [polling] = live.clients;
      assert.equal(polling!.client_name, 'mcp-tunnel-client');
      assert.match(polling!.client_version, /^\d+\.\d+\.\d+/);
      assert.deepEqual(polling!.channels, [{ name: 'main', proc_affinity: true }]);
      assert.ok(Date.now() - Date.parse(polling!.last_poll_at) < 60_000);
      assert.ok(live.sessions.some((s) => s.id === sessionId && s.channel === 'main'));
      const call = live.recent_traffic[0]!;
      assert.equal(call.method, 'tools/call');
      assert.equal(call.tool, 'add');
      assert.equal(call.status, 200);
      assert.equal(call.channel, 'main');
      assert.ok(call.duration_ms >= 0);
      assert.ok(live.recent_traffic.some((entry) => entry.method === 'initialize'));
    } finally {
      await transport.terminateSession();
      await mcp.close();
    }
    const afterEnd = await api<Live>(
      service.url,
      service.ownerKey,
      'GET',
      `/v1/tunnels/${runtime.tunnelId}/live`,
    );
    assert.ok(!afterEnd.sessions.some((s) => s.id === sessionId), 'an ended session is no longer open');
  },
);

test('a revoked runtime key is refused on the tunnel-client’s next poll', { timeout: 90_000 }, async () => {
  const me = await api<{ api_key: { id: string } }>(service.url, runtime.runtimeKey, 'GET', '/v1/me');
  const keys = await api<{ data: { id: string; owner_name: string; last_used_at: string | null }[] }>(
    service.url,
    service.ownerKey,
    'GET',
    '/v1/api_keys',
  );
  const listed = keys.data.find((key) => key.id === me.api_key.id)!;
  assert.match(listed.owner_name, /^tunnel-client/);
  assert.ok(listed.last_used_at, 'polling marks the key used');

  const revokedAt = new Date().toISOString();
  await api(service.url, service.ownerKey, 'DELETE', `/v1/api_keys/${me.api_key.id}`);
  // What the client held open is ended at the revocation and refused, audited under the key it was
  // admitted with: its poll, or (our service offers it) its command stream.
  let refused: { action: string; actor: { kind: string }; reason: string; ip: string }[] = [];
  await eventually(
    async () => {
      const audit = await api<{ data: typeof refused }>(
        service.url,
        service.ownerKey,
        'GET',
        `/v1/audit?outcome=refused&since=${encodeURIComponent(revokedAt)}`,
      );
      refused = audit.data.filter((entry) => entry.actor.kind !== 'anonymous');
      return refused.length > 0;
    },
    60_000,
    'the tunnel-client to poll again and be refused',
    250,
  );
  assert.match(refused[0]!.action, /^tunnel\.(poll|stream)$/);
  assert.equal(refused[0]!.reason, 'invalid_api_key');
  assert.equal(refused[0]!.actor.kind, 'service_account');
  assert.equal(refused[0]!.ip, '127.0.0.1');
  const answer = await fetch(new URL(`/v1/tunnels/${runtime.tunnelId}/poll?timeout_ms=1`, service.url), {
    headers: { authorization: `Bearer ${runtime.runtimeKey}` },
  });
  assert.equal(answer.status, 401);
});
