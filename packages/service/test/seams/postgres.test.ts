// The seams' contract suites against what the cluster keeps in PostgreSQL: sign-in failures are rows of the
// PostgreSQL store, counted by the same limiter as the embedded one.
import { after, before, describe } from 'node:test';
import { StoreSignInLimiter } from '../../src/auth/store-sign-in-limiter.ts';
import { openPostgresStore } from '../../src/store/postgres.ts';
import { createTestDatabase, postgresSkip, type TestDatabase } from '../../../../test/support/postgres.ts';
import { signInLimiterContract } from './sign-in-limiter.contract.ts';

const skip = await postgresSkip();

describe('PostgreSQL', { skip }, () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(() => database?.drop());

  signInLimiterContract('PostgreSQL store', async (limits) => {
    const store = await openPostgresStore({ url: database.url, poolSize: 2 });
    return {
      instance: new StoreSignInLimiter(store.signInAttempts, limits),
      cleanup: () => store.close(),
    };
  });
});
