import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker, TRAFFIC_RING_SIZE } from '../src/broker/memory.ts';

test('the traffic ring keeps the last calls per tunnel, newest first', { timeout: 10_000 }, async () => {
  const broker = new MemoryBroker();
  try {
    for (let i = 0; i < TRAFFIC_RING_SIZE + 20; i++)
      await broker.recordTraffic('tunnel_a', {
        at: new Date(1_000_000 + i).toISOString(),
        channel: 'main',
        method: 'tools/call',
        tool: `tool${i}`,
        status: 200,
        duration_ms: i,
      });
    await broker.recordTraffic('tunnel_b', {
      at: new Date().toISOString(),
      channel: 'main',
      method: 'initialize',
      status: 200,
      duration_ms: 1,
    });
    const recent = await broker.recentTraffic('tunnel_a');
    assert.equal(recent.length, TRAFFIC_RING_SIZE);
    assert.equal(recent[0]!.tool, `tool${TRAFFIC_RING_SIZE + 19}`);
    assert.equal(recent.at(-1)!.tool, 'tool20');
    assert.deepEqual(
      (await broker.recentTraffic('tunnel_b')).map((entry) => entry.method),
      ['initialize'],
    );
    assert.deepEqual(await broker.recentTraffic('tunnel_c'), []);
  } finally {
    await broker.close();
  }
});

test('a client shows while it polls and right after its poll ends', { timeout: 10_000 }, async () => {
  const broker = new MemoryBroker();
  try {
    const client = { instanceId: 'i-1', name: 'c', version: '1', serverInfo: null, extensions: [] };
    await broker.pollStarted('tunnel_a', client);
    assert.deepEqual(
      (await broker.clients('tunnel_a')).map((c) => c.instanceId),
      ['i-1'],
    );
    await broker.pollEnded('tunnel_a', client);
    assert.equal((await broker.clients('tunnel_a')).length, 1, 'just ended: still present');
    assert.deepEqual(await broker.clients('tunnel_b'), []);
  } finally {
    await broker.close();
  }
});
