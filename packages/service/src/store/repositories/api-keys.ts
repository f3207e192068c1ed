import type { PermissionAtom } from '@mcp-tunnel/protocol';
import { nullable, stringList, Table, text } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

export interface ApiKeyRow {
  id: string;
  organization_id: string;
  owner_id: string;
  name: string;
  prefix: string;
  /** The SHA-256 of the secret, which is stored nowhere; unique across the service. */
  secret_hash: string;
  /** null = unrestricted: the key may do whatever its owner may do. */
  permissions: PermissionAtom[] | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

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

const API_KEYS = new Table<ApiKeyRow>('api_keys', {
  id: text,
  organization_id: text,
  owner_id: text,
  name: text,
  prefix: text,
  secret_hash: text,
  permissions: nullable(stringList<PermissionAtom>()),
  created_at: text,
  last_used_at: nullable(text),
  revoked_at: nullable(text),
});

export class SqlApiKeyRepository implements ApiKeyRepository {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async create(key: ApiKeyRow): Promise<void> {
    await API_KEYS.insert(this.#sql, key);
  }

  async get(id: string): Promise<ApiKeyRow | undefined> {
    return API_KEYS.one(this.#sql, 'WHERE id = ?', [id]);
  }

  async findByHash(secretHash: string): Promise<ApiKeyRow | undefined> {
    return API_KEYS.one(this.#sql, 'WHERE secret_hash = ?', [secretHash]);
  }

  async list(organizationId: string): Promise<ApiKeyRow[]> {
    return API_KEYS.all(this.#sql, 'WHERE organization_id = ? ORDER BY created_at, id', [organizationId]);
  }

  async revoke(id: string, at: string): Promise<void> {
    await this.#sql.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id]);
  }

  async touch(id: string, at: string): Promise<void> {
    await this.#sql.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [at, id]);
  }
}
