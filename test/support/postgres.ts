// The machine's PostgreSQL for tests of the cluster store: a fresh database per run (mcpt_test_<random>),
// dropped at the end. Tests that each want an empty store share the run's database and empty it between
// them: migrating a fresh schema per test costs seconds on a loaded machine.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where tests look for PostgreSQL: this machine's server, user postgres with trust authentication. */
export const POSTGRES_SERVER = 'postgres://postgres@127.0.0.1:5432';
const NEEDS = `PostgreSQL at ${POSTGRES_SERVER.replace('postgres://', '')} (user postgres, trust authentication)`;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: `${POSTGRES_SERVER}/postgres`,
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A reason to skip PostgreSQL tests, or false. Under CI=true an unreachable server fails instead. */
export async function postgresSkip(): Promise<string | false> {
  try {
    await admin((client) => client.query('SELECT 1'));
    return false;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (process.env.CI === 'true')
      throw new Error(`${NEEDS} is unreachable (${reason}) and CI=true makes these tests mandatory`, {
        cause: error,
      });
    return `skipped: needs ${NEEDS}; it is unreachable (${reason})`;
  }
}

export interface TestDatabase extends AsyncDisposable {
  /** postgres://postgres@127.0.0.1:5432/mcpt_test_<random> */
  url: string;
  /** Deletes every row but the schema's version, so the next test opens an empty, migrated store. */
  empty(): Promise<void>;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

const random = () => randomBytes(6).toString('hex');

/** Creates mcpt_test_<random> on the machine's server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `mcpt_test_${random()}`;
  await admin(async (client) => {
    await client.query(`CREATE DATABASE ${name}`);
    // Tests need no durability across a crash of the server: commits then skip the wait for the disk.
    await client.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
  });
  const url = `${POSTGRES_SERVER}/${name}`;
  let dropped: Promise<void> | undefined;
  const drop = () =>
    (dropped ??= admin(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }));
  const inDatabase = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    url,
    empty: () =>
      inDatabase(async (client) => {
        const { rows } = await client.query<{ tablename: string }>(
          "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'",
        );
        // DELETE, not TRUNCATE (which makes new files per table: seconds); foreign keys are not checked
        // meanwhile, so the order of the tables does not matter.
        await client.query(
          [
            'SET session_replication_role = replica',
            ...rows.map((row) => `DELETE FROM ${row.tablename}`),
          ].join(';'),
        );
      }),
    drop,
    [Symbol.asyncDispose]: drop,
  };
}
