import type { PermissionAtom } from '@mcp-tunnel/protocol';
import { nullable, stringList, Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

const API_KEYS = new Table('api_keys', {
  id: text,
  organization_id: text,
  owner_id: text,
  name: text,
  prefix: text,
  /** The SHA-256 of the secret, which is stored nowhere; unique across the service. */
  secret_hash: text,
  /** null = unrestricted: the key may do whatever its owner may do. */
  permissions: nullable(stringList<PermissionAtom>()),
  created_at: text,
  last_used_at: nullable(text),
  revoked_at: nullable(text),
});
export type ApiKeyRow = RowOf<typeof API_KEYS>;

/** API keys of members, found by the hash of their secret. */
export interface ApiKeyRepository {
  create(key: ApiKeyRow): Promise<void>;
  get(id: string): Promise<ApiKeyRow | undefined>;
  findByHash(secretHash: string): Promise<ApiKeyRow | undefined>;
  /** Revoked keys included, oldest first. */
  list(organizationId: string): Promise<ApiKeyRow[]>;
  /** Revokes the key unless it already is; the first revocation's time stays. */
  revoke(id: string, at: string): Promise<void>;
  /** Records when the key was last used. */
  touch(id: string, at: string): Promise<void>;
}

export function sqlApiKeys(sql: SqlRunner): ApiKeyRepository {
  return {
    create: (key) => API_KEYS.insert(sql, key),
    get: (id) => API_KEYS.one(sql, 'WHERE id = ?', [id]),
    findByHash: (secretHash) => API_KEYS.one(sql, 'WHERE secret_hash = ?', [secretHash]),
    list: (organizationId) =>
      API_KEYS.all(sql, 'WHERE organization_id = ? ORDER BY created_at, id', [organizationId]),
    revoke: async (id, at) => {
      await sql.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id]);
    },
    touch: async (id, at) => {
      await sql.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [at, id]);
    },
  };
}
