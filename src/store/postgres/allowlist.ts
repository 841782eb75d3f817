import { type AllowRow, allowEntryOf } from '../rows.js';
import type { AllowListStore } from '../store.js';
import type { AllowEntry, AllowEntryPage, NewAllowEntry } from '../types.js';
import type { PgConnection } from './connection.js';

/** The allow-list (store.ts AllowListStore). */
export class PgAllowList implements AllowListStore {
  constructor(private readonly conn: PgConnection) {}

  async addAllowEntry(e: NewAllowEntry): Promise<AllowEntry | undefined> {
    const r = await this.conn.one<{ id: string | number }>(
      `INSERT INTO allowlist (kind, type, value, reason, author, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (kind, type, md5(value)) DO NOTHING RETURNING id`,
      [e.kind, e.type, e.value, e.reason, e.author, e.createdAt, e.expiresAt],
    );
    return r && { ...e, id: Number(r.id) };
  }

  async listAllowEntries(opts: { after?: number; limit: number }): Promise<AllowEntryPage> {
    const rows = await this.conn.rows<AllowRow>('SELECT * FROM allowlist WHERE id > $1 ORDER BY id LIMIT $2', [opts.after ?? 0, opts.limit + 1]);
    const items = rows.slice(0, opts.limit).map(allowEntryOf);
    return { items, next: rows.length > opts.limit ? items[items.length - 1]!.id : null };
  }

  async getAllowEntry(id: number): Promise<AllowEntry | undefined> {
    const r = await this.conn.one<AllowRow>('SELECT * FROM allowlist WHERE id = $1', [id]);
    return r && allowEntryOf(r);
  }

  async removeAllowEntry(id: number): Promise<boolean> {
    const r = await this.conn.pool.query('DELETE FROM allowlist WHERE id = $1', [id]);
    return (r.rowCount ?? 0) > 0;
  }
}
