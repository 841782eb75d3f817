import pg from 'pg';
import type { Plan } from '../../domain/plans.js';
import { type AccountRow, accountOf, type KeyRow, toKey } from '../rows.js';
import type { AccountStore } from '../store.js';
import type { Account, ApiKeyRecord, ApiKeyWithAccount } from '../types.js';
import { KEYS_CHANNEL, type PgConnection } from './connection.js';

/** How soon a lost LISTEN connection is tried again. */
const WATCH_RETRY_MS = 5000;

/**
 * Accounts and their API keys (store.ts AccountStore). Revocations and plan changes are announced (NOTIFY) at
 * commit to every process that caches keys (watchKeyChanges).
 */
export class PgAccounts implements AccountStore {
  constructor(private readonly conn: PgConnection) {}

  async countAccounts(): Promise<number> {
    return (await this.conn.one<{ n: number }>('SELECT count(*) AS n FROM accounts'))!.n;
  }

  async createAccount(email: string, plan: Plan, now: number): Promise<Account> {
    const r = await this.conn.one<{ id: number }>('INSERT INTO accounts (email, plan, created_at) VALUES ($1, $2, $3) RETURNING id', [email, plan, now]);
    return { id: r!.id, email, plan, createdAt: now };
  }

  async findAccountByEmail(email: string): Promise<Account | undefined> {
    const r = await this.conn.one<AccountRow>('SELECT * FROM accounts WHERE lower(email) = lower($1)', [email]);
    return r && accountOf(r);
  }

  async setAccountPlan(accountId: number, plan: Plan): Promise<void> {
    // The notification goes out at commit, to every process that caches keys (watchKeyChanges).
    await this.conn.tx(async (c) => {
      await c.query('UPDATE accounts SET plan = $1 WHERE id = $2', [plan, accountId]);
      await c.query(`NOTIFY ${KEYS_CHANNEL}`);
    });
  }

  async listAccounts(): Promise<Account[]> {
    return (await this.conn.rows<AccountRow>('SELECT * FROM accounts ORDER BY id')).map(accountOf);
  }

  async insertApiKey(k: Omit<ApiKeyRecord, 'id' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKeyRecord> {
    const r = await this.conn.one<{ id: number }>(
      'INSERT INTO api_keys (account_id, prefix, hash, name, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [k.accountId, k.prefix, k.hash, k.name, k.createdAt],
    );
    return { ...k, id: r!.id, lastUsedAt: null, revokedAt: null };
  }

  async findApiKeyByHash(hash: string): Promise<ApiKeyWithAccount | undefined> {
    const r = await this.conn.one<KeyRow>('SELECT k.*, a.email, a.plan FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.hash = $1', [hash], true);
    return r && toKey(r);
  }

  async listApiKeys(): Promise<ApiKeyWithAccount[]> {
    const rows = await this.conn.rows<KeyRow>('SELECT k.*, a.email, a.plan FROM api_keys k JOIN accounts a ON a.id = k.account_id ORDER BY k.id');
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
   * LISTEN on a connection of its own for the notifications of revokeApiKey and setAccountPlan, from any process on
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
