import { readColumn, text } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/** Service-wide values that must survive restarts and be shared by every node (the shard-token key). */
export interface SettingRepository {
  get(key: string): Promise<string | undefined>;
  /** Sets the value only if none exists yet and returns the value that holds afterwards. */
  init(key: string, value: string): Promise<string>;
}

export class SqlSettingRepository implements SettingRepository {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async get(key: string): Promise<string | undefined> {
    const row = await this.#sql.one('SELECT value FROM service_settings WHERE key = ?', [key]);
    return row && readColumn(text, row.value, 'service_settings.value');
  }

  async init(key: string, value: string): Promise<string> {
    // ON CONFLICT ... DO NOTHING is the same in SQLite and PostgreSQL: the first node to write wins.
    await this.#sql.run(
      'INSERT INTO service_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
      [key, value],
    );
    return (await this.get(key))!;
  }
}
