import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import type { Store } from '../../src/store/store.js';
import { LEGACY_ADMIN, type TestStore } from '../support/stores.js';
import { withStoreOf } from './store.contract.js';

/**
 * Accounts, roles and disabling (store.ts AccountStore), against each implementation; `legacy` makes a store whose
 * database held an admin-plan account before the roles migration (support/stores.ts legacyStore).
 */
export function storeAccountsContract(name: string, makeStore: () => Promise<TestStore>, legacy: () => Promise<TestStore>): void {
  const withStore = withStoreOf(makeStore);
  const now = Date.UTC(2026, 4, 17, 12);
  const keyOf = async (store: Store, accountId: number, name: string | null = null) => {
    const k = generateApiKey();
    await store.insertApiKey({ accountId, prefix: k.prefix, hash: k.hash, name, createdAt: now });
    return k;
  };

  describe(`Store accounts: ${name}`, () => {
    it('creates accounts with roles; they round-trip by id, by email and in listings, roles in one order, each once', withStore(async (store) => {
      const a = await store.createAccount('Analyst@Example.com', 'free', now, ['admin', 'analyst', 'analyst']);
      assert.deepEqual(a, { id: a.id, email: 'Analyst@Example.com', plan: 'free', roles: ['analyst', 'admin'], createdAt: now, disabledAt: null, disabledReason: null });
      assert.deepEqual(await store.findAccountById(a.id), a);
      assert.deepEqual(await store.findAccountByEmail('analyst@example.com'), a, 'emails match whatever the case');
      assert.equal(await store.findAccountById(a.id + 1000), undefined);
      const b = await store.createAccount('b@example.com', 'pro', now);
      assert.deepEqual(b.roles, []);
      assert.deepEqual((await store.listAccounts()).map((x) => [x.email, x.roles]), [['Analyst@Example.com', ['analyst', 'admin']], ['b@example.com', []]]);
    }));

    it("'admin' as a plan is Pro plus the admin role, on creation and on a plan change (other roles kept)", withStore(async (store) => {
      const a = await store.createAccount('root@example.com', 'admin', now);
      assert.equal(a.plan, 'pro');
      assert.deepEqual(a.roles, ['admin']);
      assert.deepEqual(await store.findAccountById(a.id), a);
      const b = await store.createAccount('sub@example.com', 'free', now, ['submitter']);
      await store.setAccountPlan(b.id, 'admin');
      assert.deepEqual(await store.findAccountById(b.id), { ...b, plan: 'pro', roles: ['submitter', 'admin'] });
      await store.setAccountPlan(b.id, 'free');
      assert.deepEqual(await store.findAccountById(b.id), { ...b, plan: 'free', roles: ['submitter', 'admin'] }, 'a plan change alone removes no role');
    }));

    it('updateAccount changes plan, roles and disabled state, keeps what it is not given, and answers the account after', withStore(async (store) => {
      const a = await store.createAccount('a@example.com', 'free', now);
      assert.deepEqual(await store.updateAccount(a.id, { plan: 'pro' }), { ...a, plan: 'pro' });
      assert.deepEqual(await store.updateAccount(a.id, { roles: ['analyst', 'submitter'] }), { ...a, plan: 'pro', roles: ['submitter', 'analyst'] });
      const off = await store.updateAccount(a.id, { disabled: { at: now + 1, reason: 'left the company' } });
      assert.deepEqual(off, { ...a, plan: 'pro', roles: ['submitter', 'analyst'], disabledAt: now + 1, disabledReason: 'left the company' });
      const again = await store.updateAccount(a.id, { disabled: { at: now + 9, reason: null } });
      assert.equal(again?.disabledAt, now + 1, 'disabled since the first time');
      assert.equal(again?.disabledReason, null);
      assert.deepEqual(await store.updateAccount(a.id, { disabled: null, roles: [] }), { ...a, plan: 'pro', roles: [], disabledAt: null, disabledReason: null });
      assert.deepEqual(await store.findAccountById(a.id), { ...a, plan: 'pro' });
      assert.equal(await store.updateAccount(a.id + 1000, { plan: 'free' }), undefined);
    }));

    it("keys carry their account's plan, roles and disabled state, found by hash and by prefix", withStore(async (store) => {
      const a = await store.createAccount('a@example.com', 'pro', now, ['analyst']);
      const k = await keyOf(store, a.id, 'laptop');
      const byHash = await store.findApiKeyByHash(k.hash);
      assert.deepEqual(byHash, {
        id: byHash!.id, accountId: a.id, prefix: k.prefix, hash: k.hash, name: 'laptop', createdAt: now, lastUsedAt: null, revokedAt: null,
        email: 'a@example.com', plan: 'pro', roles: ['analyst'], disabledAt: null,
      });
      assert.deepEqual(await store.findApiKeyByPrefix(k.prefix), byHash);
      assert.equal(await store.findApiKeyByPrefix('sk_live_nothere0'), undefined);
      await store.updateAccount(a.id, { disabled: { at: now, reason: 'x' } });
      assert.equal((await store.findApiKeyByHash(k.hash))?.disabledAt, now, 'disabling reaches every key at once');
      assert.equal((await store.listApiKeys())[0]?.disabledAt, now);
    }));

    it("lists one account's keys only, revoked ones included, and pages accounts with their active key counts", withStore(async (store) => {
      const a = await store.createAccount('a@example.com', 'pro', now);
      const b = await store.createAccount('b@example.com', 'free', now);
      const c = await store.createAccount('c@example.com', 'free', now);
      const a1 = await keyOf(store, a.id, 'one');
      const a2 = await keyOf(store, a.id, 'two');
      await keyOf(store, b.id);
      assert.equal(await store.revokeApiKey(a1.prefix, now + 5), true);
      const mine = await store.listApiKeysOf(a.id);
      assert.deepEqual(mine.map((k) => [k.prefix, k.name, k.revokedAt]), [[a1.prefix, 'one', now + 5], [a2.prefix, 'two', null]]);
      assert.equal('email' in mine[0]!, false, 'the keys of one account, without its columns');
      assert.deepEqual(await store.listApiKeysOf(c.id), []);
      const p1 = await store.listAccountsPage({ limit: 2 });
      assert.deepEqual(p1.items.map((x) => [x.email, x.activeKeys]), [['a@example.com', 1], ['b@example.com', 1]]);
      assert.equal(p1.next, b.id);
      const p2 = await store.listAccountsPage({ after: p1.next!, limit: 2 });
      assert.deepEqual(p2.items.map((x) => [x.email, x.activeKeys, x.roles]), [['c@example.com', 0, []]]);
      assert.equal(p2.next, null);
    }));

    it('the migration makes an admin-plan account Pro with the admin role; its key works unchanged; no admin plan can be written', async () => {
      const store = await legacy();
      try {
        const old = await store.findAccountByEmail(LEGACY_ADMIN.email);
        assert.deepEqual(old, { id: old!.id, email: LEGACY_ADMIN.email, plan: 'pro', roles: ['admin'], createdAt: LEGACY_ADMIN.createdAt, disabledAt: null, disabledReason: null });
        const key = await store.findApiKeyByHash(hashApiKey(LEGACY_ADMIN.key));
        assert.equal(key?.accountId, old!.id);
        assert.deepEqual([key?.plan, key?.roles, key?.revokedAt, key?.disabledAt], ['pro', ['admin'], null, null]);
        const free = await store.findAccountByEmail('free@example.com');
        assert.deepEqual([free?.plan, free?.roles], ['free', []]);
        await assert.rejects(store.updateAccount(free!.id, { plan: 'admin' as never }), 'the database refuses the admin plan');
        assert.equal((await store.findAccountById(free!.id))?.plan, 'free');
      } finally {
        await store.close();
      }
    });
  });
}
