import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateApiKey } from '../../src/auth/api-keys.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueKey } from '../../src/auth/key-service.js';
import type { Store } from '../../src/store/store.js';
import { sqliteStore } from '../support/stores.js';
import type { ApiKeyWithAccount, Plan } from '../../src/store/types.js';

/** The part of a store the authenticator uses: keys by hash, counted, and (optionally) announced changes. */
function keyStore(opts: { watch: boolean }) {
  const keys = new Map<string, ApiKeyWithAccount>();
  let announce: ((watching: boolean) => void) | undefined;
  let gate: Promise<void> | undefined;
  const store = {
    lookups: 0,
    stopped: false,
    async findApiKeyByHash(hash: string) {
      store.lookups++;
      const record = keys.get(hash);
      await gate;
      return record && { ...record };
    },
    async touchApiKeys() {
      return true;
    },
    ...(opts.watch
      ? {
          async watchKeyChanges(onChange: (watching: boolean) => void) {
            announce = onChange;
            onChange(true);
            return async () => {
              store.stopped = true;
            };
          },
        }
      : {}),
    add(plan: Plan) {
      const k = generateApiKey();
      keys.set(k.hash, { id: keys.size + 1, accountId: keys.size + 1, prefix: k.prefix, hash: k.hash, name: null, createdAt: 0, lastUsedAt: null, revokedAt: null, email: `${k.prefix}@example.com`, plan, roles: [], disabledAt: null });
      return { key: k.key, record: keys.get(k.hash)! };
    },
    announce: (watching = true) => announce!(watching),
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
  return store;
}

const bearer = (key: string) => `Bearer ${key}`;

describe('Authenticator', () => {
  it('asks the store at every request when the store cannot announce changes', async () => {
    const store = keyStore({ watch: false });
    const auth = new Authenticator(store as unknown as Store);
    assert.equal(await auth.watch(), false);
    const { key, record } = store.add('pro');
    for (let i = 0; i < 3; i++) assert.equal((await auth.authenticate(bearer(key))).ok, true);
    assert.equal(store.lookups, 3);
    record.revokedAt = 1;
    assert.deepEqual(await auth.authenticate(bearer(key)), { ok: false, reason: 'API key revoked' });
  });

  it('remembers verified keys while watching, and forgets them all at an announced change', async () => {
    const store = keyStore({ watch: true });
    const auth = new Authenticator(store as unknown as Store);
    assert.equal(await auth.watch(), true);
    const { key, record } = store.add('free');
    const other = store.add('pro');
    for (let i = 0; i < 3; i++) assert.equal((await auth.authenticate(bearer(key))).ok, true);
    assert.equal((await auth.authenticate(bearer(other.key))).ok, true);
    assert.equal(store.lookups, 2, 'one look-up per key');

    // Revoked elsewhere: the cached answer stands until the store announces it, then the key is refused.
    record.revokedAt = 5;
    assert.equal((await auth.authenticate(bearer(key))).ok, true);
    store.announce();
    assert.deepEqual(await auth.authenticate(bearer(key)), { ok: false, reason: 'API key revoked' });
    // A plan change comes the same way.
    other.record.plan = 'free';
    store.announce();
    const r = await auth.authenticate(bearer(other.key));
    assert.equal(r.ok && r.principal.plan, 'free');
    // A revoked or unknown key is never remembered: each try asks again.
    const before = store.lookups;
    await auth.authenticate(bearer(key));
    await auth.authenticate(bearer(generateApiKey().key));
    await auth.authenticate(bearer(generateApiKey().key));
    assert.equal(store.lookups, before + 3);
    await auth.close();
    assert.equal(store.stopped, true);
  });

  it('remembers nothing while changes cannot be seen, nor a look-up that a change overtook', async () => {
    const store = keyStore({ watch: true });
    const auth = new Authenticator(store as unknown as Store);
    await auth.watch();
    const { key, record } = store.add('pro');

    // A look-up in flight when a change is announced may have read the old row: not remembered.
    const release = store.hold();
    const pending = auth.authenticate(bearer(key));
    store.announce();
    release();
    assert.equal((await pending).ok, true);
    record.revokedAt = 9;
    assert.deepEqual(await auth.authenticate(bearer(key)), { ok: false, reason: 'API key revoked' });

    // The watch is lost: every request asks, until it is back.
    const fresh = store.add('pro');
    store.announce(false);
    await auth.authenticate(bearer(fresh.key));
    await auth.authenticate(bearer(fresh.key));
    const lost = store.lookups;
    store.announce(true);
    await auth.authenticate(bearer(fresh.key));
    await auth.authenticate(bearer(fresh.key));
    assert.equal(store.lookups, lost + 1);
  });

  it('asks again after a minute even if no change was announced', async () => {
    let now = 0;
    const store = keyStore({ watch: true });
    const auth = new Authenticator(store as unknown as Store, () => now);
    await auth.watch();
    const { key } = store.add('pro');
    await auth.authenticate(bearer(key));
    now = 59_999;
    await auth.authenticate(bearer(key));
    assert.equal(store.lookups, 1);
    now = 60_000;
    await auth.authenticate(bearer(key));
    assert.equal(store.lookups, 2);
  });

  it("gives the account's roles to the principal, and refuses every key of a disabled account with a reason", async () => {
    const store = keyStore({ watch: false });
    const auth = new Authenticator(store as unknown as Store);
    const { key, record } = store.add('pro');
    record.roles = ['analyst'];
    const ok = await auth.authenticate(bearer(key));
    assert.deepEqual(ok.ok && [ok.principal.plan, ok.principal.roles], ['pro', ['analyst']]);
    record.disabledAt = 1;
    const refused = await auth.authenticate(bearer(key));
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.reason, /account disabled/);
  });

  it('on SQLite, remembers verified keys until anything is committed elsewhere or an account or key changes here', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'socd-auth-'));
    const path = join(dir, 'socd.db');
    const store = await sqliteStore(path);
    // Another process on the same file (socd keys revoke, socd import…).
    const other = await sqliteStore(path);
    try {
      let lookups = 0;
      const find = store.findApiKeyByHash;
      store.findApiKeyByHash = async (hash) => {
        lookups++;
        return find(hash);
      };
      const auth = new Authenticator(store);
      assert.equal(await auth.watch(), false);
      const a = await issueKey(store, 'a@example.com', 'pro', null);
      const b = await issueKey(store, 'b@example.com', 'pro', null);
      for (let i = 0; i < 3; i++) assert.equal((await auth.authenticate(bearer(a.key))).ok, true);
      assert.equal(lookups, 1, 'remembered while nothing changed');
      // A commit elsewhere that has nothing to do with keys: asked again, still admitted.
      await other.setSetting('unrelated', 'x');
      assert.equal((await auth.authenticate(bearer(a.key))).ok, true);
      assert.equal(lookups, 2);
      // Revoked by another process: refused at the next request.
      assert.equal(await other.revokeApiKey(a.prefix, Date.now()), true);
      assert.deepEqual(await auth.authenticate(bearer(a.key)), { ok: false, reason: 'API key revoked' });
      // Disabled here (through the same connection, which data_version does not count): refused at once.
      assert.equal((await auth.authenticate(bearer(b.key))).ok, true);
      assert.equal((await auth.authenticate(bearer(b.key))).ok, true);
      await store.updateAccount(b.account.id, { disabled: { at: Date.now(), reason: 'test' } });
      const refused = await auth.authenticate(bearer(b.key));
      assert.match(refused.ok ? '' : refused.reason, /account disabled/);
    } finally {
      await other.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
