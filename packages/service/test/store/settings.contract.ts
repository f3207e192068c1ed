import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';

export function settingsContract(open: OpenStore): void {
  describe('settings', () => {
    const it = storeTest(open);

    it('init sets a value once; the first one holds; get reads it', async (store) => {
      assert.equal(await store.settings.get('shard_secret'), undefined);
      assert.equal(await store.settings.init('shard_secret', 'first'), 'first');
      assert.equal(await store.settings.init('shard_secret', 'second'), 'first');
      assert.equal(await store.settings.get('shard_secret'), 'first');
      assert.equal(await store.settings.init('other', 'value'), 'value');
      assert.equal(await store.settings.get('shard_secret'), 'first');
    });

    it('callers initialising at once all get the one value that holds', async (store) => {
      const values = await Promise.all(['a', 'b', 'c'].map((value) => store.settings.init('shared', value)));
      assert.equal(new Set(values).size, 1);
      assert.equal(await store.settings.get('shared'), values[0]);
    });
  });
}
