import { resolve } from 'node:path';
import { migrateStore, storeName, type StoreLocation } from '../runtime/store.ts';
import type { StoreFlags } from './organizations.ts';

/**
 * `tunnel-service migrate`: applies the schema steps a store lacks, before new nodes start on it (start
 * migrates too, so this is for operators who upgrade the schema as a step of its own).
 */
export async function migrateCommand(flags: StoreFlags): Promise<void> {
  const location: StoreLocation = { dataDir: resolve(flags.dataDir), databaseUrl: flags.databaseUrl };
  let applied;
  try {
    applied = await migrateStore(location);
  } catch (error) {
    console.error(`Could not migrate the store: ${(error as Error).message}`);
    process.exit(1);
  }
  const name = storeName(location);
  if (applied.length === 0) console.log(`${name} is already at the latest schema.`);
  for (const step of applied)
    console.log(`Applied ${String(step.version).padStart(4, '0')}_${step.name} to ${name}.`);
}
