import { type AllowRow, allowEntryOf } from '../rows.js';
import type { AllowListStore } from '../store.js';
import type { AllowEntry, AllowEntryPage, NewAllowEntry } from '../types.js';
import type { SqliteConnection } from './connection.js';

/** The allow-list (store.ts AllowListStore). */
export class SqliteAllowList implements AllowListStore {
  constructor(private readonly conn: SqliteConnection) {}

  async addAllowEntry(e: NewAllowEntry): Promise<AllowEntry | undefined> {
    const info = await this.conn.write(() => this.conn.db
      .prepare(
        `INSERT INTO allowlist (kind, type, value, reason, author, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (kind, type, value) DO NOTHING`,
      )
      .run(e.kind, e.type, e.value, e.reason, e.author, e.createdAt, e.expiresAt));
    return info.changes === 0 ? undefined : { ...e, id: Number(info.lastInsertRowid) };
  }

  async listAllowEntries(opts: { after?: number; limit: number }): Promise<AllowEntryPage> {
    const rows = this.conn.db
      .prepare('SELECT * FROM allowlist WHERE id > ? ORDER BY id LIMIT ?')
      .all(opts.after ?? 0, opts.limit + 1) as AllowRow[];
    const items = rows.slice(0, opts.limit).map(allowEntryOf);
    return { items, next: rows.length > opts.limit ? items[items.length - 1]!.id : null };
  }

  async getAllowEntry(id: number): Promise<AllowEntry | undefined> {
    const r = this.conn.db.prepare('SELECT * FROM allowlist WHERE id = ?').get(id) as AllowRow | undefined;
    return r && allowEntryOf(r);
  }

  async removeAllowEntry(id: number): Promise<boolean> {
    const info = await this.conn.write(() => this.conn.db.prepare('DELETE FROM allowlist WHERE id = ?').run(id));
    return info.changes > 0;
  }
}
