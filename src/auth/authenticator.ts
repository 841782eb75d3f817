import type { AccountStore } from '../store/store.js';
import type { Role } from '../domain/roles.js';
import type { ApiKeyWithAccount, Plan } from '../store/types.js';
import { hashApiKey, looksLikeApiKey } from './api-keys.js';
import { type Credentials, parseAuthorization } from './credentials.js';

export interface Principal {
  keyId: number;
  keyPrefix: string;
  accountId: number;
  email: string;
  plan: Plan;
  /** What the account may do (domain/roles.ts), as granted; requireRole applies the nesting. */
  roles: Role[];
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/** How long a verified key is trusted without asking the store again, even if no change is announced. */
const CACHE_MS = 60_000;
/** Keys remembered at most (the cache is emptied when it is full). */
const CACHE_MAX = 10_000;

/**
 * Verifies API keys. Last-use times are gathered in memory and written in one batch by `flush()`
 * (the server calls it on a timer and at shutdown), never one write per request. On the timer the write is best
 * effort: while another process holds the database (SQLite during `socd import`) it is not waited for, and the times
 * are kept for the next flush.
 *
 * After `watch()`, on a store that announces key revocations and account changes (plan, roles, disabled) from every process (PostgreSQL), the
 * keys it verified are remembered: a request then costs no look-up, which on PostgreSQL is a round trip of its own
 * (32 TAXII clients: ~650 → ~1,100 req/s on 2 cores). Any announced change empties the cache, so a key revoked by
 * `socd keys revoke` anywhere (or of an account disabled anywhere) is refused as soon as the notification arrives (milliseconds); while changes cannot be
 * seen, nothing is remembered. On a store with a change mark instead (SQLite: keyChangeMark, one pragma per
 * request), the keys verified are remembered while the mark stays the same: any commit by another process or
 * connection, or a change of accounts or keys made here, empties the cache before the next request is checked.
 */
export class Authenticator {
  private pending = new Map<number, number>();
  private readonly cache = new Map<string, { record: ApiKeyWithAccount; at: number }>();
  private caching = false;
  /** Moves at every announced change: a look-up that started before one is not remembered. */
  private generation = 0;
  private unwatch: (() => Promise<void>) | undefined;
  /** The store's change mark when the cache was last emptied (stores with keyChangeMark). */
  private mark: string | undefined;

  constructor(
    private readonly store: AccountStore,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Remembers verified keys from now on, if the store can announce changes; false if it cannot. */
  async watch(): Promise<boolean> {
    if (!this.store.watchKeyChanges || this.unwatch) return this.caching;
    this.unwatch = await this.store.watchKeyChanges((watching) => {
      this.generation++;
      this.cache.clear();
      this.caching = watching;
    });
    return true;
  }

  /** Stops watching and forgets every key. */
  async close(): Promise<void> {
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    this.caching = false;
    this.cache.clear();
    await unwatch?.();
  }

  private async lookUp(hash: string): Promise<ApiKeyWithAccount | undefined> {
    const now = this.clock();
    const mark = this.store.keyChangeMark?.();
    if (mark !== undefined && mark !== this.mark) {
      this.mark = mark;
      this.generation++;
      this.cache.clear();
    }
    const caching = this.caching || mark !== undefined;
    const hit = caching ? this.cache.get(hash) : undefined;
    if (hit && now - hit.at < CACHE_MS) return hit.record;
    const generation = this.generation;
    const record = await this.store.findApiKeyByHash(hash);
    // Remembered only if nothing moved during the look-up.
    if (record && record.revokedAt === null && caching && generation === this.generation && (mark === undefined || this.store.keyChangeMark?.() === mark)) {
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(hash, { record, at: now });
    }
    return record;
  }

  async authenticate(authorization: string | undefined): Promise<AuthResult> {
    const parsed = parseAuthorization(authorization);
    if (!parsed.ok) return parsed;
    return this.verify(parsed.credentials);
  }

  /** Checks credentials however they came (an Authorization header, the console's sign-in form). */
  async verify(c: Credentials): Promise<AuthResult> {
    if (!looksLikeApiKey(c.key)) return { ok: false, reason: 'invalid API key' };
    const record = await this.lookUp(hashApiKey(c.key));
    if (!record) return { ok: false, reason: 'invalid API key' };
    if (c.scheme === 'basic' && c.username.toLowerCase() !== record.email.toLowerCase()) {
      return { ok: false, reason: 'the Basic username must be the email of the key\'s account' };
    }
    return this.admit(record);
  }

  /** A known key's record → the principal, or why it is refused (revoked key, disabled account). Counts the use. */
  admit(record: ApiKeyWithAccount): AuthResult {
    if (record.revokedAt !== null) return { ok: false, reason: 'API key revoked' };
    if (record.disabledAt !== null) return { ok: false, reason: 'account disabled: every key of this account is refused until an admin enables it' };
    this.pending.set(record.id, this.clock());
    return {
      ok: true,
      principal: { keyId: record.id, keyPrefix: record.prefix, accountId: record.accountId, email: record.email, plan: record.plan, roles: record.roles },
    };
  }

  /** Writes the last-use times gathered so far. `wait`: until the database takes them (at shutdown). */
  async flush(opts: { wait?: boolean } = {}): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    let written = false;
    try {
      written = await this.store.touchApiKeys(batch, { bestEffort: !opts.wait });
    } finally {
      // Not written (busy, or failed): kept for the next flush, merged with the uses seen meanwhile.
      if (!written) for (const [id, at] of batch) if ((this.pending.get(id) ?? 0) < at) this.pending.set(id, at);
    }
  }
}
