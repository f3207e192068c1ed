// The store's contract suites against the PostgreSQL store: a fresh database for the run on the machine's
// server, migrated by the first test's store and emptied after each test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadMigrations } from '../../src/store/migrations.ts';
import { openPostgresStore } from '../../src/store/postgres.ts';
import { createTestDatabase, postgresSkip, type TestDatabase } from '../../../../test/support/postgres.ts';
import type { OpenStore } from './contract.ts';
import { storeContracts } from './contracts.ts';

const skip = await postgresSkip();

describe('PostgreSQL store', { skip }, () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(() => database?.drop());

  const openPostgres: OpenStore = async () => {
    const store = await openPostgresStore({ url: database.url, poolSize: 4 });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await database.empty();
      },
    };
  };

  storeContracts(openPostgres);
});

test('every migration step exists for both dialects, with the same version and name', () => {
  const steps = (dialect: string) =>
    loadMigrations(fileURLToPath(new URL(`../../src/store/migrations/${dialect}/`, import.meta.url))).map(
      (step) => `${step.version} ${step.name}`,
    );
  assert.deepEqual(steps('postgres'), steps('sqlite'));
});
