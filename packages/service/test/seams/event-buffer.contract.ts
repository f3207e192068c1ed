// What every EventBuffer must do, wherever it keeps events: run with a factory for each implementation
// (embedded.test.ts). The buffer behind Last-Event-ID resumption is bounded by count, bytes and age, and
// never hands out a replay with a hole in it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BufferedEvent, EventBuffer, EventBufferLimits } from '../../src/broker/event-buffer.ts';
import { delay, freshTunnelId, using, type Factory } from './factory.ts';

const event = (seq: number, data: string | null = `{"n":${seq}}`, last = false, streamId = 'req_a') => ({
  streamId,
  seq,
  data,
  last,
});

const seqs = (events: BufferedEvent[] | undefined) => events?.map((e) => e.seq);

export function eventBufferContract(
  implementation: string,
  factory: Factory<EventBuffer, EventBufferLimits>,
): void {
  const roomy: EventBufferLimits = { events: 100, bytes: 100_000, ageMs: 60_000 };

  describe(`EventBuffer: ${implementation}`, { timeout: 30_000 }, () => {
    test('the buffer keeps the newest events within its count and byte limits', () =>
      using(factory, { events: 3, bytes: 40, ageMs: 60_000 }, async (buffer) => {
        const t = freshTunnelId();
        for (const seq of [1, 2, 3, 4]) await buffer.record(t, 's', event(seq));
        assert.equal(await buffer.eventsAfter(t, 's', 'req_a', 0), undefined, 'event 1 was pushed out');
        assert.deepEqual(seqs((await buffer.eventsAfter(t, 's', 'req_a', 1))?.events), [2, 3, 4]);

        // 7 bytes each: a 30-byte event pushes out older ones to stay within 40 bytes.
        await buffer.record(t, 's', event(5, `"${'x'.repeat(28)}"`));
        assert.deepEqual(seqs((await buffer.eventsAfter(t, 's', 'req_a', 3))?.events), [4, 5]);
        assert.equal(await buffer.eventsAfter(t, 's', 'req_a', 2), undefined);

        // An event larger than the whole buffer is not kept, and nobody can resume across it.
        await buffer.record(t, 's', event(6, `"${'y'.repeat(60)}"`));
        await buffer.record(t, 's', event(7, null, true));
        assert.equal(await buffer.eventsAfter(t, 's', 'req_a', 5), undefined);
        const end = await buffer.eventsAfter(t, 's', 'req_a', 6);
        assert.deepEqual(end, { events: [event(7, null, true)], ended: true });
      }));

    test('events older than the age limit are forgotten', () =>
      using(factory, { events: 10, bytes: 1000, ageMs: 100 }, async (buffer) => {
        const t = freshTunnelId();
        await buffer.record(t, 's', event(1));
        assert.deepEqual((await buffer.eventsAfter(t, 's', 'req_a', 0))?.events.length, 1);
        await delay(150);
        assert.equal(await buffer.eventsAfter(t, 's', 'req_a', 0), undefined);
      }));

    test('sessions, tunnels and streams are kept apart', () =>
      using(factory, roomy, async (buffer) => {
        const t = freshTunnelId();
        await buffer.record(t, 's', event(1));
        await buffer.record(t, 's', event(1, '"other stream"', false, 'get_b'));
        await buffer.record(t, 's', event(2));
        await buffer.record(t, 'other session', event(1, '"elsewhere"'));
        assert.deepEqual(await buffer.eventsAfter(t, 's', 'req_a', 0), {
          events: [event(1), event(2)],
          ended: false,
        });
        assert.deepEqual(seqs((await buffer.eventsAfter(t, 's', 'get_b', 0))?.events), [1]);
        assert.deepEqual((await buffer.eventsAfter(t, 'other session', 'req_a', 0))?.events, [
          event(1, '"elsewhere"'),
        ]);
        assert.equal(await buffer.eventsAfter(freshTunnelId(), 's', 'req_a', 0), undefined);
        assert.equal(await buffer.eventsAfter(t, '', 'req_a', 0), undefined, "'' is a session of its own");
      }));

    test('a caller who saw everything gets nothing more; one who names an event never sent gets no replay', () =>
      using(factory, roomy, async (buffer) => {
        const t = freshTunnelId();
        for (const seq of [1, 2]) await buffer.record(t, '', event(seq));
        assert.deepEqual(await buffer.eventsAfter(t, '', 'req_a', 2), { events: [], ended: false });
        assert.equal(await buffer.eventsAfter(t, '', 'req_a', 3), undefined);
        assert.equal(await buffer.eventsAfter(t, '', 'req_unknown', 0), undefined);
        await buffer.record(t, '', event(3, null, true));
        assert.deepEqual(await buffer.eventsAfter(t, '', 'req_a', 2), {
          events: [event(3, null, true)],
          ended: true,
        });
      }));

    test('a watcher hears of each event recorded for its session, until it stops watching', () =>
      using(factory, roomy, async (buffer) => {
        const t = freshTunnelId();
        const heard = { s: 0, other: 0 };
        let wake = () => {};
        const until = async (done: () => boolean) => {
          const by = Date.now() + 5000;
          while (!done()) {
            assert.ok(Date.now() < by, `heard ${JSON.stringify(heard)} after 5 s`);
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, 100);
            });
          }
        };
        const stop = await buffer.watch(t, 's', () => (heard.s++, wake()));
        await buffer.watch(t, 'other', () => (heard.other++, wake()));
        await buffer.record(t, 'elsewhere', event(1));
        await buffer.record(t, 's', event(1));
        await until(() => heard.s === 1);
        assert.deepEqual(heard, { s: 1, other: 0 }, 'another session is not heard');

        stop();
        await buffer.record(t, 's', event(2));
        await buffer.record(t, 'other', event(1));
        await until(() => heard.other === 1);
        assert.deepEqual(heard, { s: 1, other: 1 }, 'nothing is heard after stop()');
      }));
  });
}
