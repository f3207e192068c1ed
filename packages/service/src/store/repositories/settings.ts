import { readColumn, text } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/** Service-wide values that must survive restarts and be shared by every node (the shard-token key). */
export interface SettingRepository {
  get(key: string): Promise<string | undefined>;
  /** Sets the value only if none exists yet and returns the value that holds afterwards. */
  init(key: string, value: string): Promise<string>;
}

export function sqlSettings(sql: SqlRunner): SettingRepository {
  const get = async (key: string) => {
    const row = await sql.one('SELECT value FROM service_settings WHERE key = ?', [key]);
    return row && readColumn(text, row.value, 'service_settings.value');
  };
  return {
    get,
    init: async (key, value) => {
      // ON CONFLICT ... DO NOTHING is the same in SQLite and PostgreSQL: the first writer wins.
      await sql.run('INSERT INTO service_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [
        key,
        value,
      ]);
      return (await get(key))!;
    },
  };
}
