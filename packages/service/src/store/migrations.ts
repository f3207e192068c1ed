import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { integer, readColumn } from './columns.ts';
import type { SqlRunner } from './runner.ts';

/**
 * One versioned schema step: `NNNN_name.sql` in a dialect's folder (./migrations/sqlite/), applied in
 * order, each exactly once. Each dialect has its own folder; versions and names mean the same step in all.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function loadMigrations(dir: string): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = FILE_PATTERN.exec(file);
    if (!match) continue;
    migrations.push({
      version: Number(match[1]),
      name: match[2]!,
      sql: readFileSync(join(dir, file), 'utf8'),
    });
  }
  return migrations;
}

/**
 * The bookkeeping table, in SQL that both SQLite and PostgreSQL accept. Its shape is what every data
 * directory already holds: keep it, or existing stores stop opening.
 */
const MIGRATIONS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/**
 * Applies each migration not yet recorded in schema_migrations, in order, inside one transaction per step,
 * and returns the ones it applied.
 * It assumes no one else migrates the same database meanwhile. A store that several nodes open at once
 * (PostgreSQL) calls this while holding a lock of its own for the whole call (pg_advisory_lock on one
 * connection), so that one node migrates and the others then find every step recorded.
 */
export async function migrate(sql: SqlRunner, migrations: Migration[]): Promise<Migration[]> {
  await sql.exec(MIGRATIONS_TABLE_SQL);
  const applied = new Set(
    (await sql.all('SELECT version FROM schema_migrations')).map((row) =>
      readColumn(integer, row.version, 'schema_migrations.version'),
    ),
  );
  const now: Migration[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    await sql.transaction(async (step) => {
      await step.exec(migration.sql);
      await step.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
    });
    now.push(migration);
  }
  return now;
}
