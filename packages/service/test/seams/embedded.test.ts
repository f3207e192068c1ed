// The seams' contract suites, run against the embedded implementations (in process, and the SQLite
// store). An implementation for a cluster runs the same suites with a line of its own each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCommandBroker } from '../../src/broker/memory-command-broker.ts';
import { MemoryEventBuffer } from '../../src/broker/memory-event-buffer.ts';
import { MemoryTrafficLog } from '../../src/broker/memory-traffic-log.ts';
import { StoreSignInLimiter } from '../../src/auth/store-sign-in-limiter.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { commandBrokerContract } from './command-broker.contract.ts';
import { eventBufferContract } from './event-buffer.contract.ts';
import { trafficLogContract } from './traffic-log.contract.ts';
import { signInLimiterContract } from './sign-in-limiter.contract.ts';

commandBrokerContract('in process', async (options) => {
  const broker = new MemoryCommandBroker(options);
  return { instance: broker, cleanup: () => broker.close() };
});

eventBufferContract('in process', async (limits) => {
  const buffer = new MemoryEventBuffer(limits);
  return { instance: buffer, cleanup: () => buffer.close() };
});

trafficLogContract('in process', async () => ({ instance: new MemoryTrafficLog(), cleanup: async () => {} }));

signInLimiterContract('SQLite store', async (limits) => {
  const dir = mkdtempSync(join(tmpdir(), 'sign-in-limiter-'));
  const store = await openSqliteStore(join(dir, 'store.db'));
  return {
    instance: new StoreSignInLimiter(store.signInAttempts, limits),
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
