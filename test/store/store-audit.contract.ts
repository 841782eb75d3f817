import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { NewAuditRecord } from '../../src/store/types.js';
import type { TestStore } from '../support/stores.js';
import { withStoreOf } from './store.contract.js';

/** Runs SQL on the store's own connection, around the application: what a bug or an intruder with the database could try. */
async function rawSql(store: TestStore, sql: string): Promise<void> {
  if (store instanceof SqliteStore) store.conn.db.exec(sql);
  else if (store instanceof PostgresStore) await store.conn.pool.query(sql);
  else throw new Error('unknown store');
}

/** The audit log role (store.ts AuditLog), against each implementation. */
export function storeAuditContract(name: string, makeStore: () => Promise<TestStore>): void {
  const withStore = withStoreOf(makeStore);
  const t0 = Date.UTC(2026, 4, 17, 12);
  const rec = (over: Partial<NewAuditRecord> = {}): NewAuditRecord => ({
    at: t0, accountId: 7, email: 'Admin@Example.com', keyPrefix: 'sk_live_AbCd1234', via: 'api', origin: '127.0.0.1',
    action: 'allowlist.add', target: '*.example.net', details: { id: 3, reason: 'ours', nested: { list: [1, 'two'] } }, ...over,
  });

  describe(`Store audit log: ${name}`, () => {
    it('appends and reads back every field; an empty log is an empty page', withStore(async (store) => {
      assert.deepEqual(await store.listAudit({ limit: 10 }), { items: [], next: null });
      const a = await store.appendAudit(rec());
      const b = await store.appendAudit(rec({ accountId: null, email: null, keyPrefix: null, via: 'cli', origin: 'ops@host', action: 'key.revoke', target: null, details: {} }));
      assert.ok(b.id > a.id, 'ids grow');
      const page = await store.listAudit({ limit: 10 });
      assert.deepEqual(page, { items: [b, a], next: null }, 'newest first, every field as written');
      assert.deepEqual(page.items[1]!.details, { id: 3, reason: 'ours', nested: { list: [1, 'two'] } });
    }));

    it('pages newest first by keyset, and filters by action (exact or prefix), email (any case), account, target and time', withStore(async (store) => {
      const ids: number[] = [];
      const actions = ['allowlist.add', 'allowlist.remove', 'key.create', 'allowlist.add', 'account.update', 'allowlistx.add'];
      for (let i = 0; i < actions.length; i++) {
        const r = await store.appendAudit(rec({
          at: t0 + i * 1000, action: actions[i]!, target: i % 2 ? 'odd' : 'even',
          email: i < 3 ? 'admin@example.com' : 'other@example.com', accountId: i < 3 ? 1 : 2,
        }));
        ids.push(r.id);
      }
      const walk = async (q: Omit<Parameters<typeof store.listAudit>[0], 'limit' | 'before'>, limit: number) => {
        const out: number[] = [];
        let before: number | undefined;
        for (let n = 0; n < 100; n++) {
          const p = await store.listAudit({ ...q, limit, ...(before !== undefined ? { before } : {}) });
          assert.ok(p.items.length <= limit);
          out.push(...p.items.map((x) => x.id));
          if (p.next === null) return out;
          before = p.next;
        }
        throw new Error('walk did not end');
      };
      const rev = (xs: number[]) => [...xs].reverse();
      assert.deepEqual(await walk({}, 2), rev(ids), 'all, two by two, newest first');
      const p1 = await store.listAudit({ limit: 2 });
      assert.equal(p1.next, ids[4], 'next is the last id of the page');
      assert.deepEqual(await walk({ action: 'allowlist.add' }, 1), [ids[3], ids[0]]);
      assert.deepEqual(await walk({ actionPrefix: 'allowlist.' }, 2), [ids[3], ids[1], ids[0]], 'the prefix stops at the dot: not allowlistx.');
      assert.deepEqual(await walk({ email: 'ADMIN@example.COM' }, 5), [ids[2], ids[1], ids[0]]);
      assert.deepEqual(await walk({ accountId: 2 }, 5), [ids[5], ids[4], ids[3]]);
      assert.deepEqual(await walk({ target: 'odd' }, 5), [ids[5], ids[3], ids[1]]);
      assert.deepEqual(await walk({ since: t0 + 2000, until: t0 + 4000 }, 5), [ids[3], ids[2]], 'since inclusive, until exclusive');
      assert.deepEqual(await walk({ actionPrefix: 'allowlist.', email: 'other@example.com', target: 'odd' }, 5), [ids[3]], 'filters combine');
      assert.deepEqual(await walk({ action: 'nothing.here' }, 5), []);
    }));

    it('is append-only in the database itself: UPDATE and DELETE are refused, and the record stays', withStore(async (store) => {
      const a = await store.appendAudit(rec());
      await assert.rejects(rawSql(store, `UPDATE audit_log SET email = 'mallory@example.com' WHERE id = ${a.id}`), /append-only/);
      await assert.rejects(rawSql(store, `DELETE FROM audit_log WHERE id = ${a.id}`), /append-only/);
      await assert.rejects(rawSql(store, 'DELETE FROM audit_log'), /append-only/);
      if (store instanceof PostgresStore) await assert.rejects(rawSql(store, 'TRUNCATE audit_log'), /append-only/);
      assert.deepEqual((await store.listAudit({ limit: 10 })).items, [a]);
    }));

    it('the database bounds what a row holds, whatever the writer', withStore(async (store) => {
      await assert.rejects(store.appendAudit(rec({ details: { blob: 'x'.repeat(20_000) } })));
      await assert.rejects(store.appendAudit(rec({ target: 't'.repeat(501) })));
      await assert.rejects(store.appendAudit(rec({ action: '' })));
      assert.deepEqual((await store.listAudit({ limit: 10 })).items, []);
    }));
  });
}
