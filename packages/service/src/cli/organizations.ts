import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createOrganization } from '../auth/bootstrap.ts';
import { DATABASE_FILE, openStore, storeName, type StoreLocation } from '../runtime/store.ts';
import { newId, nowIso } from '../store/ids.ts';
import type { Store } from '../store/types.ts';
import { writeOwnerKeyFile } from './owner-key.ts';

/** Where the service's store is: its data directory, or the PostgreSQL database every node shares. */
export interface StoreFlags {
  dataDir: string;
  databaseUrl?: string;
}

/**
 * Organizations beyond the operator's are made on the service's own host, against its data directory or
 * database: holding that is what makes someone the operator. SQLite's locking lets this run while the
 * service does; PostgreSQL serves every node and this command at once.
 */
async function openServiceStore(flags: StoreFlags): Promise<Store> {
  const location: StoreLocation = { dataDir: resolve(flags.dataDir), databaseUrl: flags.databaseUrl };
  const missing = () => {
    console.error(
      `${location.databaseUrl ? `No tunnel-service organization in ${storeName(location)}` : `No tunnel-service database in ${location.dataDir}`}. ` +
        `Start the service once (tunnel-service start) so the operator's organization exists, or point ` +
        `${location.databaseUrl ? '--database-url' : '--data-dir'} at the store the service uses.`,
    );
    process.exit(1);
  };
  if (!location.databaseUrl && !existsSync(join(location.dataDir, DATABASE_FILE))) missing();
  let store: Store;
  try {
    store = await openStore(location);
  } catch (error) {
    console.error(`Could not open the store: ${(error as Error).message}`);
    process.exit(1);
  }
  if ((await store.organizations.count()) === 0) {
    await store.close();
    missing();
  }
  return store;
}

export async function createOrganizationCommand(
  name: string,
  flags: StoreFlags & { ownerKeyFile?: string },
): Promise<void> {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200) {
    console.error('Give the organization a name of 1 to 200 characters, e.g. "Platform team".');
    process.exit(2);
  }
  const store = await openServiceStore(flags);
  try {
    const created = await createOrganization(store, trimmed);
    await store.audit.append({
      id: newId('audit'),
      organization_id: created.organizationId,
      at: nowIso(),
      actor_kind: 'operator',
      actor_id: null,
      actor_name: 'tunnel-service organizations create',
      action: 'organization.create',
      target: created.organizationId,
      outcome: 'allowed',
      reason: null,
      ip: null,
    });
    console.log(`Organization ${created.organizationId} (${trimmed}) created.`);
    console.log(`Owner API key (shown once, store it now): ${created.ownerKey}`);
    if (flags.ownerKeyFile) {
      writeOwnerKeyFile(resolve(flags.ownerKeyFile), created.ownerKey);
      console.log(`The owner API key was also written to ${resolve(flags.ownerKeyFile)} (mode 0600).`);
    }
    console.log('Its owner sets up browser sign-in at /console/ with that key.');
  } finally {
    await store.close();
  }
}

export async function listOrganizationsCommand(flags: StoreFlags): Promise<void> {
  const store = await openServiceStore(flags);
  try {
    const organizations = await store.organizations.list();
    for (const [index, organization] of organizations.entries()) {
      const operator = index === 0 ? '  (operator)' : '';
      console.log(`${organization.id}  ${organization.created_at}  ${organization.name}${operator}`);
    }
  } finally {
    await store.close();
  }
}
