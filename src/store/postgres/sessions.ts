import { KEY_ACCOUNT_COLUMNS, type KeyRow, toKey } from '../rows.js';
import type { SessionStore } from '../store.js';
import type { ApiKeyWithAccount } from '../types.js';
import type { PgConnection } from './connection.js';

/** Console sessions (store.ts SessionStore), migration 18. */
export class PgSessions implements SessionStore {
  constructor(private readonly conn: PgConnection) {}

  async createSession(s: { tokenHash: string; keyId: number; createdAt: number; expiresAt: number }): Promise<void> {
    await this.conn.rows('INSERT INTO sessions (token_hash, key_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [s.tokenHash, s.keyId, s.createdAt, s.expiresAt]);
  }

  async findSession(tokenHash: string): Promise<{ expiresAt: number; key: ApiKeyWithAccount } | undefined> {
    const r = await this.conn.one<KeyRow & { session_expires_at: number }>(
      `SELECT s.expires_at AS session_expires_at, k.*, ${KEY_ACCOUNT_COLUMNS}
       FROM sessions s JOIN api_keys k ON k.id = s.key_id JOIN accounts a ON a.id = k.account_id WHERE s.token_hash = $1`,
      [tokenHash],
      true,
    );
    return r && { expiresAt: Number(r.session_expires_at), key: toKey(r) };
  }

  async deleteSession(tokenHash: string): Promise<boolean> {
    return (await this.conn.rows<{ n: number }>('DELETE FROM sessions WHERE token_hash = $1 RETURNING 1 AS n', [tokenHash])).length > 0;
  }

  async deleteExpiredSessions(now: number): Promise<number> {
    return (await this.conn.rows<{ n: number }>('DELETE FROM sessions WHERE expires_at <= $1 RETURNING 1 AS n', [now])).length;
  }
}
