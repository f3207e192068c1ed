import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../config/settings.ts';
import type { Migration } from '../store/migrations.ts';
import { migratePostgres, openPostgresStore, postgresName } from '../store/postgres.ts';
import { migrateSqlite, openSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/types.ts';

export const DATABASE_FILE = 'tunnel-service.db';

/** Where the store lives: a PostgreSQL database when a URL is given, else the SQLite file of the data directory. */
export interface StoreLocation {
  dataDir: string;
  databaseUrl?: string;
  databasePoolSize?: number;
}

/** The store's place in words for the operator, without any password: a file or a database URL. */
export function storeName(location: StoreLocation): string {
  return location.databaseUrl
    ? `PostgreSQL ${postgresName(location.databaseUrl)}`
    : join(location.dataDir, DATABASE_FILE);
}

/** Opens the store, migrated to the latest schema; the data directory is created (mode 0700) for SQLite. */
export function openStore(location: StoreLocation): Promise<Store> {
  if (location.databaseUrl) return openPostgresStore(postgresOptions(location.databaseUrl, location));
  mkdirSync(location.dataDir, { recursive: true, mode: 0o700 });
  return openSqliteStore(join(location.dataDir, DATABASE_FILE));
}

/** Brings the store's schema to the latest version, as opening it does; returns the steps this applied. */
export function migrateStore(location: StoreLocation): Promise<Migration[]> {
  if (location.databaseUrl) return migratePostgres(postgresOptions(location.databaseUrl, location));
  mkdirSync(location.dataDir, { recursive: true, mode: 0o700 });
  return migrateSqlite(join(location.dataDir, DATABASE_FILE));
}

function postgresOptions(url: string, location: StoreLocation) {
  return { url, poolSize: location.databasePoolSize ?? SETTINGS.databasePoolSize.defaultValue };
}
