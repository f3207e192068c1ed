import { integer, readColumn, Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';
import { sqlApiKeys, type ApiKeyRow } from './api-keys.ts';
import { sqlMembers, type MemberRow } from './members.ts';
import { sqlRoles, type RoleRow } from './roles.ts';

const ORGANIZATIONS = new Table('organizations', { id: text, name: text, created_at: text });
export type OrganizationRow = RowOf<typeof ORGANIZATIONS>;

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
  /**
   * Creates the organization as `create` does, unless a first organization was created this way before:
   * however many nodes start on an empty store at once, one makes the operator's. True if this one did.
   */
  createFirst(input: OwnerBootstrap): Promise<boolean>;
  /** Oldest first: the first is the operator's, made at first start. */
  list(): Promise<OrganizationRow[]>;
  count(): Promise<number>;
  get(id: string): Promise<OrganizationRow | undefined>;
}

/** The setting that records the first organization; its key's uniqueness makes the claim. */
const FIRST_ORGANIZATION_SETTING = 'first_organization';

export function sqlOrganizations(sql: SqlRunner): OrganizationRepository {
  const insert = async (tx: SqlRunner, input: OwnerBootstrap) => {
    await ORGANIZATIONS.insert(tx, input.organization);
    await sqlRoles(tx).create(input.ownerRole);
    await sqlMembers(tx).create(input.owner);
    await sqlApiKeys(tx).create(input.ownerKey);
  };
  return {
    create: (input) => sql.transaction((tx) => insert(tx, input)),
    createFirst: (input) =>
      sql.transaction(async (tx) => {
        // A second claim waits on the first one's row until that transaction ends, then inserts nothing.
        const claimed = await tx.run(
          'INSERT INTO service_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
          [FIRST_ORGANIZATION_SETTING, input.organization.id],
        );
        if (claimed !== 1) return false;
        await insert(tx, input);
        return true;
      }),
    list: () => ORGANIZATIONS.all(sql, 'ORDER BY created_at, id', []),
    count: async () => {
      const row = await sql.one('SELECT COUNT(*) AS n FROM organizations');
      return readColumn(integer, row?.n, 'COUNT(*) of organizations');
    },
    get: (id) => ORGANIZATIONS.one(sql, 'WHERE id = ?', [id]),
  };
}
