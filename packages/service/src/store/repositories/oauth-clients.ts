import { nullable, oneOf, stringList, Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/**
 * An application that asks members for access to a tunnel: registered with Dynamic Client Registration, or
 * known by the URL of its Client ID Metadata Document (the row is then a cache of that document).
 */
const OAUTH_CLIENTS = new Table('oauth_clients', {
  id: text,
  kind: oneOf('registered', 'metadata_document'),
  name: text,
  /** Exact URIs the authorization code may be sent to. */
  redirect_uris: stringList(),
  client_uri: nullable(text),
  created_at: text,
  fetched_at: nullable(text),
});
export type OAuthClientRow = RowOf<typeof OAUTH_CLIENTS>;

export interface OAuthClientRepository {
  create(client: OAuthClientRow): Promise<void>;
  get(id: string): Promise<OAuthClientRow | undefined>;
  /** Creates or replaces the row of a metadata document client (a fresh fetch of its document). */
  put(client: OAuthClientRow): Promise<void>;
}

export function sqlOAuthClients(sql: SqlRunner): OAuthClientRepository {
  return {
    create: (client) => OAUTH_CLIENTS.insert(sql, client),
    get: (id) => OAUTH_CLIENTS.one(sql, 'WHERE id = ?', [id]),
    put: (client) =>
      sql.transaction(async (tx) => {
        await tx.run('DELETE FROM oauth_clients WHERE id = ?', [client.id]);
        await OAUTH_CLIENTS.insert(tx, client);
      }),
  };
}
