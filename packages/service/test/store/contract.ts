// The harness of the store's contract suites: each suite takes a way to open a fresh, empty, migrated store,
// so the same tests run against every implementation (sqlite.test.ts runs them against the embedded one).
import { test } from 'node:test';
import type { Store } from '../../src/store/types.ts';

export interface OpenedStore {
  store: Store;
  /** Closes the store and removes what opening it made. */
  cleanup(): Promise<void>;
}

/** Opens a fresh store with no organization in it. */
export type OpenStore = () => Promise<OpenedStore>;

/** A test that gets a fresh store of its own, cleaned up however the test ends. */
export type StoreTest = (name: string, body: (store: Store) => Promise<void>) => void;

export function storeTest(open: OpenStore): StoreTest {
  return (name, body) =>
    test(name, async () => {
      const { store, cleanup } = await open();
      try {
        await body(store);
      } finally {
        await cleanup();
      }
    });
}
