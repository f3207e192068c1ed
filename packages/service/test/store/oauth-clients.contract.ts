import { describe } from 'node:test';
import assert from 'node:assert/strict';
import { storeTest, type OpenStore } from './contract.ts';
import { at, oauthClient } from './rows.ts';

export function oauthClientsContract(open: OpenStore): void {
  describe('oauthClients', () => {
    const it = storeTest(open);

    it('create and get; an id is registered once', async (store) => {
      const client = oauthClient({ client_uri: 'https://claude.example' });
      await store.oauthClients.create(client);
      assert.deepEqual(await store.oauthClients.get(client.id), client);
      assert.equal(await store.oauthClients.get('oauthc_unknown'), undefined);
      await assert.rejects(store.oauthClients.create({ ...oauthClient(), id: client.id }));
    });

    it('put replaces the cached metadata document of a client', async (store) => {
      const url = 'https://app.example/oauth/client.json';
      const first = oauthClient({ id: url, kind: 'metadata_document', fetched_at: at(1) });
      await store.oauthClients.put(first);
      const refreshed = {
        ...first,
        name: 'Renamed',
        redirect_uris: ['https://app.example/cb2'],
        fetched_at: at(9),
      };
      await store.oauthClients.put(refreshed);
      assert.deepEqual(await store.oauthClients.get(url), refreshed);
    });
  });
}
