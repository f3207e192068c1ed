import { integer, readColumn, Table, text } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';
import { SqlApiKeyRepository, type ApiKeyRow } from './api-keys.ts';
import { SqlMemberRepository, type MemberRow } from './members.ts';
import { SqlRoleRepository, type RoleRow } from './roles.ts';

export interface OrganizationRow {
  id: string;
  name: string;
  created_at: string;
}

/** What a new organization starts with: its Owner role, an owner holding it, and the owner's key. */
export interface OwnerBootstrap {
  organization: OrganizationRow;
  ownerRole: RoleRow;
  owner: MemberRow;
  ownerKey: ApiKeyRow;
}

export interface OrganizationRepository {
  /** Creates the organization, its Owner role, owner member and owner key, all or nothing. */
  create(input: OwnerBootstrap): Promise<void>;
  /** Oldest first: the first is the operator's, made at first start. */
  list(): Promise<OrganizationRow[]>;
  count(): Promise<number>;
  get(id: string): Promise<OrganizationRow | undefined>;
}

const ORGANIZATIONS = new Table<OrganizationRow>('organizations', {
  id: text,
  name: text,
  created_at: text,
});

export class SqlOrganizationRepository implements OrganizationRepository {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async create(input: OwnerBootstrap): Promise<void> {
    await this.#sql.transaction(async (sql) => {
      await ORGANIZATIONS.insert(sql, input.organization);
      await new SqlRoleRepository(sql).create(input.ownerRole);
      await new SqlMemberRepository(sql).create(input.owner);
      await new SqlApiKeyRepository(sql).create(input.ownerKey);
    });
  }

  async list(): Promise<OrganizationRow[]> {
    return ORGANIZATIONS.all(this.#sql, 'ORDER BY created_at, id', []);
  }

  async count(): Promise<number> {
    const row = await this.#sql.one('SELECT COUNT(*) AS n FROM organizations');
    return readColumn(integer, row?.n, 'COUNT(*) of organizations');
  }

  async get(id: string): Promise<OrganizationRow | undefined> {
    return ORGANIZATIONS.one(this.#sql, 'WHERE id = ?', [id]);
  }
}
