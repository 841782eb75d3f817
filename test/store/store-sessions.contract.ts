import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { issueKey } from '../../src/auth/key-service.js';
import type { TestStore } from '../support/stores.js';

/** Console sessions (store.ts SessionStore) against each implementation. */
export function storeSessionsContract(name: string, makeStore: () => Promise<TestStore>): void {
  const withStore = (fn: (s: TestStore) => Promise<void>) => async () => {
    const store = await makeStore();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };
  const hash = (c: string) => c.repeat(64);

  describe(`Store sessions: ${name}`, () => {
    it('finds a session by its token hash with its key and account; a key revoked or an account disabled shows on the key', withStore(async (store) => {
      await store.createAccount('a@example.com', 'pro', 1, ['analyst']);
      const { prefix } = await issueKey(store, 'a@example.com', undefined, null);
      const key = (await store.findApiKeyByPrefix(prefix))!;
      await store.createSession({ tokenHash: hash('a'), keyId: key.id, createdAt: 1000, expiresAt: 5000 });
      const found = await store.findSession(hash('a'));
      assert.equal(found?.expiresAt, 5000);
      assert.equal(found?.key.prefix, prefix);
      assert.equal(found?.key.email, 'a@example.com');
      assert.deepEqual(found?.key.roles, ['analyst']);
      assert.equal(found?.key.revokedAt, null);
      assert.equal(await store.findSession(hash('b')), undefined);
      await store.revokeApiKey(prefix, 2000);
      assert.equal((await store.findSession(hash('a')))?.key.revokedAt, 2000, 'the session sees its key revoked');
    }));

    it('deletes one session (sign-out) and the sessions that ended', withStore(async (store) => {
      await store.createAccount('b@example.com', 'free', 1);
      const { prefix } = await issueKey(store, 'b@example.com', undefined, null);
      const keyId = (await store.findApiKeyByPrefix(prefix))!.id;
      await store.createSession({ tokenHash: hash('1'), keyId, createdAt: 0, expiresAt: 100 });
      await store.createSession({ tokenHash: hash('2'), keyId, createdAt: 0, expiresAt: 200 });
      await store.createSession({ tokenHash: hash('3'), keyId, createdAt: 0, expiresAt: 300 });
      assert.equal(await store.deleteSession(hash('3')), true);
      assert.equal(await store.deleteSession(hash('3')), false);
      assert.equal(await store.deleteExpiredSessions(200), 2, 'ended at or before 200');
      assert.equal(await store.findSession(hash('1')), undefined);
      assert.equal(await store.findSession(hash('2')), undefined);
    }));

    it('refuses a session of a key that does not exist', withStore(async (store) => {
      await assert.rejects(store.createSession({ tokenHash: hash('x'), keyId: 987654, createdAt: 0, expiresAt: 1 }));
    }));
  });
}
