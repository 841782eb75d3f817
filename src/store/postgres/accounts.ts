import pg from 'pg';
import { type PlanInput, resolvePlan } from '../../domain/plans.js';
import type { Role } from '../../domain/roles.js';
import { type AccountRow, accountOf, KEY_ACCOUNT_COLUMNS, keyRecordOf, type KeyRow, rolesText, toKey } from '../rows.js';
import type { AccountStore } from '../store.js';
import type { Account, AccountChange, AccountPage, AccountWithKeys, ApiKeyRecord, ApiKeyWithAccount } from '../types.js';
import { KEYS_CHANNEL, type PgConnection } from './connection.js';

/** How soon a lost LISTEN connection is tried again. */
const WATCH_RETRY_MS = 5000;

/**
 * Accounts and their API keys (store.ts AccountStore). Revocations and account changes (plan, roles, disabled) are announced (NOTIFY) at
 * commit to every process that caches keys (watchKeyChanges).
 */
export class PgAccounts implements AccountStore {
  constructor(private readonly conn: PgConnection) {}

  async countAccounts(): Promise<number> {
    return (await this.conn.one<{ n: number }>('SELECT count(*) AS n FROM accounts'))!.n;
  }

  async createAccount(email: string, input: PlanInput, now: number, extraRoles: readonly Role[] = []): Promise<Account> {
    const { plan, roles } = resolvePlan(input);
    const r = await this.conn.one<AccountRow>(
      'INSERT INTO accounts (email, plan, roles, created_at) VALUES ($1, $2, $3, $4) RETURNING *',
      [email, plan, rolesText([...roles, ...extraRoles]), now],
    );
    return accountOf(r!);
  }

  async findAccountById(id: number): Promise<Account | undefined> {
    const r = await this.conn.one<AccountRow>('SELECT * FROM accounts WHERE id = $1', [id]);
    return r && accountOf(r);
  }

  async findAccountByEmail(email: string): Promise<Account | undefined> {
    const r = await this.conn.one<AccountRow>('SELECT * FROM accounts WHERE lower(email) = lower($1)', [email]);
    return r && accountOf(r);
  }

  async setAccountPlan(accountId: number, input: PlanInput): Promise<void> {
    const { plan, roles } = resolvePlan(input);
    const account = await this.findAccountById(accountId);
    if (account) await this.updateAccount(accountId, { plan, roles: [...account.roles, ...roles] });
  }

  async updateAccount(accountId: number, change: AccountChange): Promise<Account | undefined> {
    // One statement (absent fields kept); the notification goes out at commit, to every process that caches keys
    // (watchKeyChanges): a disabled account's keys are refused everywhere as soon as it arrives.
    return this.conn.tx(async (c) => {
      const disable = change.disabled === undefined ? 0 : change.disabled === null ? 1 : 2;
      const r = await c.query<AccountRow>(
        `UPDATE accounts SET plan = coalesce($2, plan), roles = coalesce($3, roles),
           disabled_at = CASE $4::int WHEN 0 THEN disabled_at WHEN 1 THEN NULL ELSE coalesce(disabled_at, $5) END,
           disabled_reason = CASE $4::int WHEN 0 THEN disabled_reason WHEN 1 THEN NULL ELSE $6 END
         WHERE id = $1 RETURNING *`,
        [accountId, change.plan ?? null, change.roles ? rolesText(change.roles) : null, disable, change.disabled?.at ?? null, change.disabled?.reason ?? null],
      );
      if (!r.rowCount) return undefined;
      await c.query(`NOTIFY ${KEYS_CHANNEL}`);
      return accountOf(r.rows[0]!);
    });
  }

  async listAccounts(): Promise<Account[]> {
    return (await this.conn.rows<AccountRow>('SELECT * FROM accounts ORDER BY id')).map(accountOf);
  }

  async listAccountsPage(opts: { after?: number; limit: number }): Promise<AccountPage> {
    const rows = await this.conn.rows<AccountRow & { active_keys: number }>(
      `SELECT a.*, (SELECT count(*)::int FROM api_keys k WHERE k.account_id = a.id AND k.revoked_at IS NULL) AS active_keys
       FROM accounts a WHERE a.id > $1 ORDER BY a.id LIMIT $2`,
      [opts.after ?? 0, opts.limit + 1],
    );
    const items: AccountWithKeys[] = rows.slice(0, opts.limit).map((r) => ({ ...accountOf(r), activeKeys: r.active_keys }));
    return { items, next: rows.length > opts.limit ? items[items.length - 1]!.id : null };
  }

  async insertApiKey(k: Omit<ApiKeyRecord, 'id' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKeyRecord> {
    const r = await this.conn.one<{ id: number }>(
      'INSERT INTO api_keys (account_id, prefix, hash, name, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [k.accountId, k.prefix, k.hash, k.name, k.createdAt],
    );
    return { ...k, id: r!.id, lastUsedAt: null, revokedAt: null };
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyWithAccount | undefined> {
    const r = await this.conn.one<KeyRow>(`SELECT k.*, ${KEY_ACCOUNT_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.hash = $1`, [hash], true);
    return r && toKey(r);
  }

  async findApiKeyByPrefix(prefix: string): Promise<ApiKeyWithAccount | undefined> {
    const r = await this.conn.one<KeyRow>(`SELECT k.*, ${KEY_ACCOUNT_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.prefix = $1`, [prefix]);
    return r && toKey(r);
  }

  async listApiKeysOf(accountId: number): Promise<ApiKeyRecord[]> {
    const rows = await this.conn.rows<KeyRow>('SELECT * FROM api_keys WHERE account_id = $1 ORDER BY id', [accountId]);
    return rows.map(keyRecordOf);
  }

  async listApiKeys(): Promise<ApiKeyWithAccount[]> {
    const rows = await this.conn.rows<KeyRow>(`SELECT k.*, ${KEY_ACCOUNT_COLUMNS} FROM api_keys k JOIN accounts a ON a.id = k.account_id ORDER BY k.id`);
    return rows.map(toKey);
  }

  async revokeApiKey(prefix: string, now: number): Promise<boolean> {
    return this.conn.tx(async (c) => {
      const r = await c.query('UPDATE api_keys SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL', [now, prefix]);
      if (!r.rowCount) return false;
      await c.query(`NOTIFY ${KEYS_CHANNEL}`);
      return true;
    });
  }

  /**
   * LISTEN on a connection of its own for the notifications of revokeApiKey and updateAccount, from any process on
   * this database: `onChange(true)` once listening and after each change; `onChange(false)` when the connection is
   * lost, then a new one every few seconds until it listens again. Fails when it cannot listen at first.
   */
  async watchKeyChanges(onChange: (watching: boolean) => void): Promise<() => Promise<void>> {
    let stopped = false;
    let client: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    const listen = async () => {
      const c = new pg.Client(this.conn.config);
      c.on('error', () => {}); // 'end' follows
      c.on('notification', () => onChange(true));
      c.on('end', () => {
        if (stopped || client !== c) return;
        client = undefined;
        onChange(false);
        again();
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${KEYS_CHANNEL}`);
      } catch (err) {
        await c.end().catch(() => {});
        throw err;
      }
      if (stopped) return void (await c.end().catch(() => {}));
      client = c;
      onChange(true);
    };
    const again = () => {
      retry = setTimeout(() => void listen().catch(again), WATCH_RETRY_MS);
      retry.unref();
    };
    await listen();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
      client = undefined;
    };
  }

  async touchApiKeys(lastUsed: ReadonlyMap<number, number>): Promise<boolean> {
    if (lastUsed.size === 0) return true;
    // One statement; greatest() keeps the latest use when nodes report out of order.
    await this.conn.pool.query(
      `UPDATE api_keys k SET last_used_at = greatest(coalesce(k.last_used_at, 0), t.at)
       FROM unnest($1::bigint[], $2::bigint[]) AS t(id, at) WHERE k.id = t.id`,
      [[...lastUsed.keys()], [...lastUsed.values()]],
    );
    return true;
  }
}
