import { PERMISSION_ATOMS } from '@mcp-tunnel/protocol';
import type { OwnerBootstrap } from '../store/repositories/organizations.ts';
import type { Store } from '../store/types.ts';
import { newId, nowIso } from '../store/ids.ts';
import { generateApiKey } from './api-keys.ts';

export interface NewOrganization {
  organizationId: string;
  ownerId: string;
  /** The owner key's secret, which exists nowhere else: it is shown once and stored hashed. */
  ownerKey: string;
}

/**
 * Creates an organization with its Owner role, an owner member and an owner key with every permission.
 * The first start creates the operator's organization this way; further organizations (tests, hosting
 * for several teams) go through the same call.
 */
export async function createOrganization(store: Store, name: string): Promise<NewOrganization> {
  const { rows, created } = newOrganization(name);
  await store.organizations.create(rows);
  return created;
}

/** The rows of a new organization, and what its creator is told. */
function newOrganization(name: string): { rows: OwnerBootstrap; created: NewOrganization } {
  const at = nowIso();
  const organizationId = newId('org');
  const roleId = newId('role');
  const ownerId = newId('member');
  const key = generateApiKey();
  const rows: OwnerBootstrap = {
    organization: { id: organizationId, name, created_at: at },
    ownerRole: {
      id: roleId,
      organization_id: organizationId,
      name: 'Owner',
      permissions: [...PERMISSION_ATOMS],
      builtin: 'owner',
      created_at: at,
      updated_at: at,
    },
    owner: {
      id: ownerId,
      organization_id: organizationId,
      kind: 'user',
      name: 'Owner',
      role_ids: [roleId],
      created_at: at,
      email: null,
      password_hash: null,
      deleted_at: null,
    },
    ownerKey: {
      id: newId('key'),
      organization_id: organizationId,
      owner_id: ownerId,
      name: 'Owner key',
      prefix: key.prefix,
      secret_hash: key.hash,
      permissions: null,
      created_at: at,
      last_used_at: null,
      revoked_at: null,
    },
  };
  return { rows, created: { organizationId, ownerId, ownerKey: key.secret } };
}

/**
 * On an empty store, creates the operator's organization; returns its owner key (shown once). Of several
 * nodes starting on one empty store at once, one creates it and shows the key.
 */
export async function bootstrapOwner(store: Store): Promise<string | undefined> {
  if ((await store.organizations.count()) > 0) return undefined;
  const { rows, created } = newOrganization('Default organization');
  return (await store.organizations.createFirst(rows)) ? created.ownerKey : undefined;
}
