import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { at } from './rows.ts';

export function signInAttemptsContract(open: OpenStore): void {
  describe('signInAttempts', () => {
    const it = storeTest(open);

    it('failuresSince: the failures from this ip since a time, oldest first', async (store) => {
      const failures = [
        { email: 'ada@example.com', ip: '10.0.0.2', at: at(30) },
        { email: 'grace@example.com', ip: '10.0.0.1', at: at(20) },
        { email: null, ip: '10.0.0.1', at: at(25) },
        { email: 'ada@example.com', ip: '10.0.0.3', at: at(5) },
        { email: 'other@example.com', ip: '10.0.0.9', at: at(40) },
      ];
      for (const failure of failures) await store.signInAttempts.recordFailure(failure);
      assert.deepEqual(await store.signInAttempts.failuresSince('10.0.0.1', at(10)), [
        failures[1],
        failures[2],
      ]);
      assert.deepEqual(await store.signInAttempts.failuresSince('10.0.0.9', at(10)), [failures[4]]);
      assert.deepEqual(await store.signInAttempts.failuresSince('10.0.0.3', at(10)), [], 'older than asked');
    });

    it('failures older than the window asked for are dropped', async (store) => {
      const old = { email: 'ada@example.com', ip: '10.0.0.1', at: at(5) };
      const recent = { email: 'ada@example.com', ip: '10.0.0.1', at: at(15) };
      await store.signInAttempts.recordFailure(old);
      await store.signInAttempts.recordFailure(recent);
      assert.deepEqual(await store.signInAttempts.failuresSince('10.0.0.1', at(10)), [recent]);
      assert.deepEqual(await store.signInAttempts.failuresSince('10.0.0.1', at(0)), [recent]);
    });
  });
}
