import type { SettingStore } from '../store.js';
import type { SqliteConnection } from './connection.js';

/** Values kept in the database (store.ts SettingStore). */
export class SqliteSettings implements SettingStore {
  constructor(private readonly conn: SqliteConnection) {}

  async getOrCreateSetting(name: string, create: () => string): Promise<string> {
    await this.conn.write(() => this.conn.db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, create()));
    return this.conn.db.prepare('SELECT value FROM settings WHERE name = ?').pluck().get(name) as string;
  }

  async setSetting(name: string, value: string): Promise<void> {
    await this.conn.write(() =>
      this.conn.db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(name, value),
    );
  }

  async getSetting(name: string): Promise<string | undefined> {
    return this.conn.db.prepare('SELECT value FROM settings WHERE name = ?').pluck().get(name) as string | undefined;
  }
}
