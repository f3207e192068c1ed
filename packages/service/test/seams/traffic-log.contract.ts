// What every TrafficLog must do, wherever it keeps entries: run with a factory for each implementation
// (embedded.test.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TRAFFIC_LOG_SIZE, type TrafficEntry, type TrafficLog } from '../../src/broker/traffic-log.ts';
import { freshTunnelId, using, type Factory } from './factory.ts';

export function trafficLogContract(implementation: string, factory: Factory<TrafficLog, void>): void {
  describe(`TrafficLog: ${implementation}`, { timeout: 30_000 }, () => {
    test('the log keeps the last calls per tunnel, newest first', () =>
      using(factory, undefined, async (log) => {
        const [a, b] = [freshTunnelId(), freshTunnelId()];
        for (let i = 0; i < TRAFFIC_LOG_SIZE + 20; i++)
          await log.record(a, {
            at: new Date(1_000_000 + i).toISOString(),
            channel: 'main',
            method: 'tools/call',
            tool: `tool${i}`,
            status: 200,
            duration_ms: i,
          });
        await log.record(b, {
          at: new Date().toISOString(),
          channel: 'main',
          method: 'initialize',
          status: 200,
          duration_ms: 1,
        });
        const recent = await log.recent(a);
        assert.equal(recent.length, TRAFFIC_LOG_SIZE);
        assert.equal(recent[0]!.tool, `tool${TRAFFIC_LOG_SIZE + 19}`);
        assert.equal(recent.at(-1)!.tool, 'tool20');
        assert.deepEqual(
          (await log.recent(b)).map((entry) => entry.method),
          ['initialize'],
        );
        assert.deepEqual(await log.recent(freshTunnelId()), []);
      }));

    test('an entry comes back as it was recorded', () =>
      using(factory, undefined, async (log) => {
        const tunnelId = freshTunnelId();
        const entries: TrafficEntry[] = [
          {
            at: '2026-01-02T03:04:05.678Z',
            channel: 'docs',
            method: 'session_termination',
            status: 404,
            duration_ms: 0,
          },
          {
            at: '2026-01-02T03:04:06.000Z',
            channel: 'main',
            method: 'tools/call',
            tool: 'add',
            status: 200,
            duration_ms: 12,
          },
        ];
        for (const entry of entries) await log.record(tunnelId, entry);
        assert.deepEqual(await log.recent(tunnelId), [...entries].reverse());
      }));
  });
}
