import type { Store } from '../store/store.js';
import type { Plan } from '../store/types.js';
import { hashApiKey, looksLikeApiKey } from './api-keys.js';
import { parseAuthorization } from './credentials.js';

export interface Principal {
  keyId: number;
  keyPrefix: string;
  accountId: number;
  email: string;
  plan: Plan;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/**
 * Verifies API keys. Last-use times are gathered in memory and written in one batch by `flush()`
 * (the server calls it on a timer and at shutdown), never one write per request.
 */
export class Authenticator {
  private pending = new Map<number, number>();

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  async authenticate(authorization: string | undefined): Promise<AuthResult> {
    const parsed = parseAuthorization(authorization);
    if (!parsed.ok) return parsed;
    const c = parsed.credentials;
    if (!looksLikeApiKey(c.key)) return { ok: false, reason: 'invalid API key' };
    const record = await this.store.findApiKeyByHash(hashApiKey(c.key));
    if (!record) return { ok: false, reason: 'invalid API key' };
    if (record.revokedAt !== null) return { ok: false, reason: 'API key revoked' };
    if (c.scheme === 'basic' && c.username.toLowerCase() !== record.email.toLowerCase()) {
      return { ok: false, reason: 'the Basic username must be the email of the key\'s account' };
    }
    this.pending.set(record.id, this.clock());
    return {
      ok: true,
      principal: { keyId: record.id, keyPrefix: record.prefix, accountId: record.accountId, email: record.email, plan: record.plan },
    };
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    await this.store.touchApiKeys(batch);
  }
}
