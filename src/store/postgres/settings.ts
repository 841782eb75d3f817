import type { SettingStore } from '../store.js';
import type { PgConnection } from './connection.js';

/** Values kept in the database (store.ts SettingStore). */
export class PgSettings implements SettingStore {
  constructor(private readonly conn: PgConnection) {}

  async getOrCreateSetting(name: string, create: () => string): Promise<string> {
    await this.conn.pool.query('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, create()]);
    // A statement of its own: it sees the row of a concurrent first writer that committed meanwhile.
    return (await this.conn.one<{ value: string }>('SELECT value FROM settings WHERE name = $1', [name]))!.value;
  }

  async setSetting(name: string, value: string): Promise<void> {
    await this.conn.pool.query('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [name, value]);
  }

  async getSetting(name: string): Promise<string | undefined> {
    return (await this.conn.one<{ value: string }>('SELECT value FROM settings WHERE name = $1', [name]))?.value;
  }
}
