import { KEY_ACCOUNT_COLUMNS, type KeyRow, toKey } from '../rows.js';
import type { SessionStore } from '../store.js';
import type { ApiKeyWithAccount } from '../types.js';
import type { SqliteConnection } from './connection.js';

/** Console sessions (store.ts SessionStore), migration 15. */
export class SqliteSessions implements SessionStore {
  constructor(private readonly conn: SqliteConnection) {}

  async createSession(s: { tokenHash: string; keyId: number; createdAt: number; expiresAt: number }): Promise<void> {
    await this.conn.write(() =>
      this.conn.db.prepare('INSERT INTO sessions (token_hash, key_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(s.tokenHash, s.keyId, s.createdAt, s.expiresAt));
  }

  async findSession(tokenHash: string): Promise<{ expiresAt: number; key: ApiKeyWithAccount } | undefined> {
    const r = this.conn
      .statement(
        `SELECT s.expires_at AS session_expires_at, k.*, ${KEY_ACCOUNT_COLUMNS}
         FROM sessions s JOIN api_keys k ON k.id = s.key_id JOIN accounts a ON a.id = k.account_id WHERE s.token_hash = ?`,
      )
      .get(tokenHash) as (KeyRow & { session_expires_at: number }) | undefined;
    return r && { expiresAt: r.session_expires_at, key: toKey(r) };
  }

  async deleteSession(tokenHash: string): Promise<boolean> {
    return (await this.conn.write(() => this.conn.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash))).changes > 0;
  }

  async deleteExpiredSessions(now: number): Promise<number> {
    return (await this.conn.write(() => this.conn.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now))).changes;
  }
}
