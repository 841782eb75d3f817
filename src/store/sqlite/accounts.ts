import type { Plan } from '../../domain/plans.js';
import { type AccountRow, accountOf, type KeyRow, toKey } from '../rows.js';
import type { AccountStore } from '../store.js';
import type { Account, ApiKeyRecord, ApiKeyWithAccount } from '../types.js';
import { isBusy } from './busy-wait.js';
import type { SqliteConnection } from './connection.js';

/**
 * Accounts and their API keys (store.ts AccountStore). SQLite cannot announce changes to other processes: no
 * watchKeyChanges, keys are looked up at every request.
 */
export class SqliteAccounts implements AccountStore {
  constructor(private readonly conn: SqliteConnection) {}

  async countAccounts(): Promise<number> {
    return this.conn.db.prepare('SELECT count(*) FROM accounts').pluck().get() as number;
  }

  async createAccount(email: string, plan: Plan, now: number): Promise<Account> {
    const info = await this.conn.write(() => this.conn.db.prepare('INSERT INTO accounts (email, plan, created_at) VALUES (?, ?, ?)').run(email, plan, now));
    return { id: Number(info.lastInsertRowid), email, plan, createdAt: now };
  }

  async findAccountByEmail(email: string): Promise<Account | undefined> {
    const r = this.conn.db.prepare('SELECT * FROM accounts WHERE email = ?').get(email) as AccountRow | undefined;
    return r && accountOf(r);
  }

  async setAccountPlan(accountId: number, plan: Plan): Promise<void> {
    await this.conn.write(() => this.conn.db.prepare('UPDATE accounts SET plan = ? WHERE id = ?').run(plan, accountId));
  }

  async listAccounts(): Promise<Account[]> {
    return (this.conn.db.prepare('SELECT * FROM accounts ORDER BY id').all() as AccountRow[]).map(accountOf);
  }

  async insertApiKey(k: Omit<ApiKeyRecord, 'id' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKeyRecord> {
    const info = await this.conn.write(() => this.conn.db
      .prepare('INSERT INTO api_keys (account_id, prefix, hash, name, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(k.accountId, k.prefix, k.hash, k.name, k.createdAt));
    return { ...k, id: Number(info.lastInsertRowid), lastUsedAt: null, revokedAt: null };
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyWithAccount | undefined> {
    const r = this.conn.db
      .prepare('SELECT k.*, a.email, a.plan FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.hash = ?')
      .get(hash) as KeyRow | undefined;
    return r && toKey(r);
  }

  async listApiKeys(): Promise<ApiKeyWithAccount[]> {
    const rows = this.conn.db
      .prepare('SELECT k.*, a.email, a.plan FROM api_keys k JOIN accounts a ON a.id = k.account_id ORDER BY k.id')
      .all() as KeyRow[];
    return rows.map(toKey);
  }

  async revokeApiKey(prefix: string, now: number): Promise<boolean> {
    const info = await this.conn.write(() => this.conn.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE prefix = ? AND revoked_at IS NULL').run(now, prefix));
    return info.changes > 0;
  }

  async touchApiKeys(lastUsed: ReadonlyMap<number, number>, opts: { bestEffort?: boolean } = {}): Promise<boolean> {
    if (lastUsed.size === 0) return true;
    const stmt = this.conn.db.prepare('UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?');
    const touch = this.conn.db.transaction(() => {
      for (const [id, at] of lastUsed) stmt.run(at, id);
    });
    try {
      // Best effort: one try, no wait, when another process holds the lock (the caller keeps the times for later).
      await this.conn.writes.run(() => this.conn.whenFree(() => touch.immediate(), opts.bestEffort ? 0 : undefined));
      return true;
    } catch (err) {
      if (opts.bestEffort && isBusy(err)) return false;
      throw err;
    }
  }
}
