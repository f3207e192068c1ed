import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryCommandBroker } from '../src/broker/memory-command-broker.ts';
import { MemoryTrafficLog } from '../src/broker/memory-traffic-log.ts';
import { TRAFFIC_LOG_SIZE } from '../src/broker/traffic-log.ts';

test('the traffic ring keeps the last calls per tunnel, newest first', { timeout: 10_000 }, async () => {
  const broker = new MemoryTrafficLog();
  {
    for (let i = 0; i < TRAFFIC_LOG_SIZE + 20; i++)
      await broker.record('tunnel_a', {
        at: new Date(1_000_000 + i).toISOString(),
        channel: 'main',
        method: 'tools/call',
        tool: `tool${i}`,
        status: 200,
        duration_ms: i,
      });
    await broker.record('tunnel_b', {
      at: new Date().toISOString(),
      channel: 'main',
      method: 'initialize',
      status: 200,
      duration_ms: 1,
    });
    const recent = await broker.recent('tunnel_a');
    assert.equal(recent.length, TRAFFIC_LOG_SIZE);
    assert.equal(recent[0]!.tool, `tool${TRAFFIC_LOG_SIZE + 19}`);
    assert.equal(recent.at(-1)!.tool, 'tool20');
    assert.deepEqual(
      (await broker.recent('tunnel_b')).map((entry) => entry.method),
      ['initialize'],
    );
    assert.deepEqual(await broker.recent('tunnel_c'), []);
  }
});

test('a client shows while it polls and right after its poll ends', { timeout: 10_000 }, async () => {
  const broker = new MemoryCommandBroker();
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
