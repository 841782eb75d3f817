import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NewAllowEntry } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';
import { withStoreOf } from './store.contract.js';

/** The allow-list role (store.ts AllowListStore), against each implementation. */
export function storeAllowListContract(name: string, makeStore: () => Promise<TestStore>): void {
  const withStore = withStoreOf(makeStore);
  const now = Date.UTC(2026, 4, 17, 12);
  const entry = (over: Partial<NewAllowEntry> & Pick<NewAllowEntry, 'value'>): NewAllowEntry =>
    ({ kind: 'value', type: 'ipv4', reason: 'ours', author: null, createdAt: now, expiresAt: null, ...over });

  describe(`Store allow-list: ${name}`, () => {
    it('adds, gets and removes entries; every field round-trips, the author is an account', withStore(async (store) => {
      const admin = await store.createAccount('admin@example.com', 'admin', now);
      const a = await store.addAllowEntry(entry({ value: '203.0.113.0/24', kind: 'cidr', reason: 'our office', author: admin.id, expiresAt: now + 86_400_000 }));
      assert.ok(a);
      assert.deepEqual(await store.getAllowEntry(a.id), {
        id: a.id, kind: 'cidr', type: 'ipv4', value: '203.0.113.0/24', reason: 'our office', author: admin.id, createdAt: now, expiresAt: now + 86_400_000,
      });
      const long = `http://example.net/${'a'.repeat(3000)}`;
      const b = await store.addAllowEntry(entry({ kind: 'value', type: 'url', value: long }));
      assert.equal((await store.getAllowEntry(b!.id))?.value, long, 'a long URL is kept whole');
      assert.equal(await store.removeAllowEntry(a.id), true);
      assert.equal(await store.getAllowEntry(a.id), undefined);
      assert.equal(await store.removeAllowEntry(a.id), false, 'already gone');
      assert.equal(await store.getAllowEntry(999_999), undefined);
    }));

    it('one entry per kind, type and value: a second add is refused, not duplicated', withStore(async (store) => {
      const first = await store.addAllowEntry(entry({ kind: 'suffix', type: 'domain', value: 'example.com' }));
      assert.ok(first);
      assert.equal(await store.addAllowEntry(entry({ kind: 'suffix', type: 'domain', value: 'example.com', reason: 'again' })), undefined);
      assert.ok(await store.addAllowEntry(entry({ kind: 'value', type: 'domain', value: 'example.com' })), 'the value is another entry than the suffix');
      assert.equal((await store.listAllowEntries({ limit: 10 })).items.length, 2);
    }));

    it('lists in id order with keyset paging; ids are not reused after a removal', withStore(async (store) => {
      assert.deepEqual(await store.listAllowEntries({ limit: 10 }), { items: [], next: null });
      const ids: number[] = [];
      for (let i = 1; i <= 5; i++) ids.push((await store.addAllowEntry(entry({ value: `198.51.100.${i}` })))!.id);
      const p1 = await store.listAllowEntries({ limit: 2 });
      assert.deepEqual(p1.items.map((e) => e.value), ['198.51.100.1', '198.51.100.2']);
      assert.equal(p1.next, ids[1]);
      const p2 = await store.listAllowEntries({ after: p1.next!, limit: 2 });
      assert.deepEqual(p2.items.map((e) => e.value), ['198.51.100.3', '198.51.100.4']);
      const p3 = await store.listAllowEntries({ after: p2.next!, limit: 2 });
      assert.deepEqual(p3.items.map((e) => e.value), ['198.51.100.5']);
      assert.equal(p3.next, null);
      await store.removeAllowEntry(ids[4]!);
      const again = await store.addAllowEntry(entry({ value: '198.51.100.9' }));
      assert.ok(again!.id > ids[4]!, 'a new entry gets a new id');
    }));

    it('relisting an unchanged snapshot leaves out what `skip` holds back: a revoked value stays revoked', withStore(async (store) => {
      await store.upsertSource(source({ id: 'feed' }));
      const seen = (value: string) => observation({ type: 'ipv4', value, firstSeen: now, lastSeen: now });
      const run1 = await store.startRun('feed', now);
      await store.upsertObservations('feed', [seen('45.133.1.60'), seen('45.133.1.61')], now, { run: run1 });
      const held = (await store.queryIocs({ status: 'active', value: '45.133.1.60', types: ['ipv4'], limit: 1 })).items[0]!;
      assert.equal(await store.revokeIocs([held.id], now + 1), 1);
      const run2 = await store.startRun('feed', now + 3_600_000);
      const skipped: string[] = [];
      const r = await store.relistSource('feed', run2, now + 3_600_000, { skip: (_t, v) => v === '45.133.1.60' && skipped.push(v) > 0 });
      assert.deepEqual(skipped, ['45.133.1.60']);
      assert.equal(r.updated + r.unchanged, 1);
      const status = async (v: string) => (await store.queryIocs({ status: 'all', value: v, types: ['ipv4'], limit: 1 })).items[0]?.status;
      assert.equal(await status('45.133.1.60'), 'revoked');
      assert.equal(await status('45.133.1.61'), 'active');
    }));
  });
}
