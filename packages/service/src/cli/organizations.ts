import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createOrganization } from '../auth/bootstrap.ts';
import { DATABASE_FILE } from '../runtime/service.ts';
import { newId, nowIso } from '../store/ids.ts';
import { openSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/types.ts';
import { writeOwnerKeyFile } from './owner-key.ts';

/**
 * Organizations beyond the operator's are made on the service's own host, against its data directory:
 * holding that directory is what makes someone the operator. SQLite's locking lets this run while the
 * service does.
 */
function openStore(dataDir: string): Promise<Store> {
  const file = join(resolve(dataDir), DATABASE_FILE);
  if (!existsSync(file)) {
    console.error(
      `No tunnel-service database in ${resolve(dataDir)}. Start the service once (tunnel-service start) so the ` +
        `operator's organization exists, or point --data-dir at the directory the service uses.`,
    );
    process.exit(1);
  }
  return openSqliteStore(file);
}

export async function createOrganizationCommand(
  name: string,
  flags: { dataDir: string; ownerKeyFile?: string },
): Promise<void> {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200) {
    console.error('Give the organization a name of 1 to 200 characters, e.g. "Platform team".');
    process.exit(2);
  }
  const store = await openStore(flags.dataDir);
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

export async function listOrganizationsCommand(flags: { dataDir: string }): Promise<void> {
  const store = await openStore(flags.dataDir);
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
