// The broker's per-session event buffer behind Last-Event-ID resumption: bounded by count, bytes and
// age, and never hands out a replay with a hole in it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEventBuffer } from '../src/broker/memory-event-buffer.ts';

const event = (seq: number, data: string | null = `{"n":${seq}}`, last = false) => ({
  streamId: 'req_a',
  seq,
  data,
  last,
});

test('the buffer keeps the newest events within its count and byte limits', { timeout: 5000 }, async () => {
  const broker = new MemoryEventBuffer({ events: 3, bytes: 40, ageMs: 60_000 });
  try {
    for (const seq of [1, 2, 3, 4]) await broker.record('t', 's', event(seq));
    assert.equal(await broker.eventsAfter('t', 's', 'req_a', 0), undefined, 'event 1 was pushed out');
    assert.deepEqual(
      (await broker.eventsAfter('t', 's', 'req_a', 1))?.events.map((e) => e.seq),
      [2, 3, 4],
    );
    assert.equal(await broker.eventsAfter('t', 'other session', 'req_a', 1), undefined);

    // 7 bytes each: a 30-byte event pushes out older ones to stay within 40 bytes.
    await broker.record('t', 's', event(5, `"${'x'.repeat(28)}"`));
    assert.deepEqual(
      (await broker.eventsAfter('t', 's', 'req_a', 3))?.events.map((e) => e.seq),
      [4, 5],
    );
    assert.equal(await broker.eventsAfter('t', 's', 'req_a', 2), undefined);

    // An event larger than the whole buffer is not kept, and nobody can resume across it.
    await broker.record('t', 's', event(6, `"${'y'.repeat(60)}"`));
    await broker.record('t', 's', event(7, null, true));
    assert.equal(await broker.eventsAfter('t', 's', 'req_a', 5), undefined);
    const end = await broker.eventsAfter('t', 's', 'req_a', 6);
    assert.deepEqual(end, { events: [event(7, null, true)], ended: true });
  } finally {
    await broker.close();
  }
});

test('events older than the age limit are forgotten', { timeout: 5000 }, async () => {
  const broker = new MemoryEventBuffer({ events: 10, bytes: 1000, ageMs: 100 });
  try {
    await broker.record('t', 's', event(1));
    assert.deepEqual((await broker.eventsAfter('t', 's', 'req_a', 0))?.events.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(await broker.eventsAfter('t', 's', 'req_a', 0), undefined);
  } finally {
    await broker.close();
  }
});
