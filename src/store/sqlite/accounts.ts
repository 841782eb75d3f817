import { type PlanInput, resolvePlan } from '../../domain/plans.js';
import type { Role } from '../../domain/roles.js';
import { type AccountRow, accountOf, KEY_ACCOUNT_COLUMNS, keyRecordOf, type KeyRow, rolesFromText, rolesText, toKey } from '../rows.js';
import type { AccountStore } from '../store.js';
import type { Account, AccountChange, AccountPage, AccountWithKeys, ApiKeyRecord, ApiKeyWithAccount } from '../types.js';
import { isBusy } from './busy-wait.js';
import type { SqliteConnection } from './connection.js';

/**
 * Accounts and their API keys (store.ts AccountStore). SQLite cannot announce changes to other processes (no
 * watchKeyChanges); keyChangeMark tells instead, at each request, whether anything may have changed.
 */
export class SqliteAccounts implements AccountStore {
  /** Changes to accounts and keys made through this connection (data_version does not count them). */
  private writes = 0;

  constructor(private readonly conn: SqliteConnection) {}

  /**
   * Moves when an account or a key may have changed: at every commit by another connection or process (SQLite's
   * data_version, one cheap pragma, no table read) and at each change made here. Keys verified since it last moved
   * may be remembered (auth/authenticator.ts).
   */
  keyChangeMark(): string {
    return `${this.conn.statement('PRAGMA data_version', 'pluck').get() as number}:${this.writes}`;
  }

  async countAccounts(): Promise<number> {
    return this.conn.db.prepare('SELECT count(*) FROM accounts').pluck().get() as number;
  }

  async createAccount(email: string, input: PlanInput, now: number, extraRoles: readonly Role[] = []): Promise<Account> {
    const { plan, roles } = resolvePlan(input);
    const text = rolesText([...roles, ...extraRoles]);
    const info = await this.conn.write(() => this.conn.db.prepare('INSERT INTO accounts (email, plan, roles, created_at) VALUES (?, ?, ?, ?)').run(email, plan, text, now));
    return { id: Number(info.lastInsertRowid), email, plan, roles: rolesFromText(text), createdAt: now, disabledAt: null, disabledReason: null };
  }

  async findAccountById(id: number): Promise<Account | undefined> {
    const r = this.conn.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    return r && accountOf(r);
  }

  async findAccountByEmail(email: string): Promise<Account | undefined> {
    const r = this.conn.db.prepare('SELECT * FROM accounts WHERE email = ?').get(email) as AccountRow | undefined;
    return r && accountOf(r);
  }

  async setAccountPlan(accountId: number, input: PlanInput): Promise<void> {
    const { plan, roles } = resolvePlan(input);
    const account = await this.findAccountById(accountId);
    if (account) await this.updateAccount(accountId, { plan, roles: [...account.roles, ...roles] });
  }

  async updateAccount(accountId: number, change: AccountChange): Promise<Account | undefined> {
    const { db } = this.conn;
    const update = db.transaction(() => {
      const r = db.prepare('SELECT * FROM accounts WHERE id = ?').get(accountId) as AccountRow | undefined;
      if (!r) return undefined;
      const next: AccountRow = { ...r };
      if (change.plan !== undefined) next.plan = change.plan;
      if (change.roles !== undefined) next.roles = rolesText(change.roles);
      if (change.disabled === null) Object.assign(next, { disabled_at: null, disabled_reason: null });
      else if (change.disabled) Object.assign(next, { disabled_at: r.disabled_at ?? change.disabled.at, disabled_reason: change.disabled.reason });
      db.prepare('UPDATE accounts SET plan = ?, roles = ?, disabled_at = ?, disabled_reason = ? WHERE id = ?')
        .run(next.plan, next.roles, next.disabled_at, next.disabled_reason, accountId);
      return accountOf(next);
    });
    try {
      return await this.conn.write(() => update.immediate());
    } finally {
      this.writes++;
    }
  }

  async listAccounts(): Promise<Account[]> {
    return (this.conn.db.prepare('SELECT * FROM accounts ORDER BY id').all() as AccountRow[]).map(accountOf);
  }

  async listAccountsPage(opts: { after?: number; limit: number }): Promise<AccountPage> {
    const rows = this.conn.db.prepare(
      `SELECT a.*, (SELECT count(*) FROM api_keys k WHERE k.account_id = a.id AND k.revoked_at IS NULL) AS active_keys
       FROM accounts a WHERE a.id > ? ORDER BY a.id LIMIT ?`,
    ).all(opts.after ?? 0, opts.limit + 1) as Array<AccountRow & { active_keys: number }>;
    const items: AccountWithKeys[] = rows.slice(0, opts.limit).map((r) => ({ ...accountOf(r), activeKeys: r.active_keys }));
    return { items, next: rows.length > opts.limit ? items[items.length - 1]!.id : null };
  }

  async insertApiKey(k: Omit<ApiKeyRecord, 'id' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKeyRecord> {
    const info = await this.conn.write(() => this.conn.db
      .prepare('INSERT INTO api_keys (account_id, prefix, hash, name, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(k.accountId, k.prefix, k.hash, k.name, k.createdAt));
    return { ...k, id: Number(info.lastInsertRowid), lastUsedAt: null, revokedAt: null };
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyWithAccount | undefined> {
    const r = this.conn
      .statement(`SELECT k.*, ${KEY_ACCOUNT_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.hash = ?`)
      .get(hash) as KeyRow | undefined;
    return r && toKey(r);
  }

  async findApiKeyByPrefix(prefix: string): Promise<ApiKeyWithAccount | undefined> {
    const r = this.conn.db
      .prepare(`SELECT k.*, ${KEY_ACCOUNT_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.prefix = ?`)
      .get(prefix) as KeyRow | undefined;
    return r && toKey(r);
  }

  async listApiKeysOf(accountId: number): Promise<ApiKeyRecord[]> {
    const rows = this.conn.db.prepare('SELECT * FROM api_keys WHERE account_id = ? ORDER BY id').all(accountId) as KeyRow[];
    return rows.map(keyRecordOf);
  }

  async listApiKeys(): Promise<ApiKeyWithAccount[]> {
    const rows = this.conn.db
      .prepare(`SELECT k.*, ${KEY_ACCOUNT_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id ORDER BY k.id`)
      .all() as KeyRow[];
    return rows.map(toKey);
  }

  async revokeApiKey(prefix: string, now: number): Promise<boolean> {
    const info = await this.conn.write(() => this.conn.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE prefix = ? AND revoked_at IS NULL').run(now, prefix));
    this.writes++;
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
