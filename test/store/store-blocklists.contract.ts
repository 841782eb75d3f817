import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bandOf } from '../../src/domain/confidence.js';
import type { BlocklistEntry, BlocklistQuery } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';

/**
 * store.ts BlocklistReads: pages of active IOCs of one type by score (highest first, ties by id highest first), the
 * keyset walk visiting each once, the filters; and dataVersion moving with what changes a list, still when nothing does.
 */
export function storeBlocklistsContract(name: string, makeStore: () => Promise<TestStore>): void {
  const T0 = Date.UTC(2026, 4, 17, 12);
  const withStore = (fn: (s: TestStore) => Promise<void>) => async () => {
    const store = await makeStore();
    try {
      await store.upsertSource(source({ id: 'feed', reliability: 0.9 }));
      await store.upsertSource(source({ id: 'other', reliability: 0.4 }));
      const feed = [];
      for (let i = 0; i < 40; i++) {
        feed.push(observation({ type: 'ipv4', value: `198.51.100.${i}`, confidence: (i * 7) % 100, sectors: i % 4 === 0 ? ['energy'] : [], firstSeen: T0, lastSeen: T0 }));
      }
      feed.push(observation({ type: 'domain', value: 'evil.example', confidence: 90, firstSeen: T0, lastSeen: T0 }));
      await store.upsertObservations('feed', feed, T0);
      await store.upsertObservations('other', [
        observation({ type: 'ipv4', value: '198.51.100.3', firstSeen: T0, lastSeen: T0 }),
        observation({ type: 'ipv4', value: '192.0.2.9', firstSeen: T0, lastSeen: T0 }),
      ], T0 + 60_000);
      await fn(store);
    } finally {
      await store.close();
    }
  };
  /** Every page of a query, walked by keyset. */
  const walk = async (store: TestStore, q: Omit<BlocklistQuery, 'limit' | 'after'>, limit: number) => {
    const all: BlocklistEntry[] = [];
    for (let page = await store.blocklistPage({ ...q, limit }); ; page = await store.blocklistPage({ ...q, limit, after: all[all.length - 1]! })) {
      assert.ok(page.length <= limit);
      all.push(...page);
      if (page.length < limit) return all;
    }
  };
  /** The active IOCs of a type as the REST reads give them, with their scores. */
  const expected = async (store: TestStore, q: { band?: 'low' | 'medium' | 'high'; sector?: string; source?: string; since?: number } = {}) =>
    (await store.queryIocs({ types: ['ipv4'], status: 'active', limit: 10_000, ...q })).items.map((i) => ({ value: i.value, score: i.score }));

  describe(`Store blocklists contract: ${name}`, () => {
    it('pages every active IOC of a type once, by score then id, highest first', withStore(async (store) => {
      for (const size of [1, 7, 100]) {
        const all = await walk(store, { type: 'ipv4' }, size);
        const want = await expected(store);
        assert.deepEqual(all.map((e) => e.value).sort(), want.map((e) => e.value).sort(), `page size ${size}`);
        for (let i = 1; i < all.length; i++) {
          const [a, b] = [all[i - 1]!, all[i]!];
          assert.ok(a.score > b.score || (a.score === b.score && a.rowId > b.rowId), `${a.value} before ${b.value}`);
        }
        const scores = new Map(want.map((e) => [e.value, e.score]));
        for (const e of all) assert.equal(e.score, scores.get(e.value));
      }
      assert.deepEqual((await walk(store, { type: 'domain' }, 10)).map((e) => e.value), ['evil.example']);
      assert.deepEqual(await store.blocklistPage({ type: 'sha256', limit: 10 }), []);
    }));

    it('walks through IOCs of one score page by page, whatever the page size (SQLite reads it in two seeks)', withStore(async (store) => {
      // 30 IOCs with the score of the same confidence, among the 42 of the fixture.
      await store.upsertObservations('feed', Array.from({ length: 30 }, (_, i) => observation({ type: 'ipv4', value: `203.0.113.${i}`, confidence: 77, firstSeen: T0, lastSeen: T0 })), T0 + 120_000);
      const one = await store.blocklistPage({ type: 'ipv4', limit: 1000 });
      const tied = one.filter((e) => e.score === one.find((x) => x.value === '203.0.113.0')!.score);
      assert.ok(tied.length >= 30, `${tied.length} IOCs of one score`);
      for (const size of [1, 2, 3, 7, 29, 30, 31]) {
        for (const band of [undefined, 'high' as const, 'medium' as const]) {
          const q = { type: 'ipv4' as const, ...(band ? { band } : {}) };
          const whole = await store.blocklistPage({ ...q, limit: 1000 });
          assert.deepEqual(await walk(store, q, size), whole, `page size ${size}, band ${band}`);
        }
      }
    }));

    it('applies band, sector, source and since; leaves revoked IOCs out', withStore(async (store) => {
      const values = async (q: Omit<BlocklistQuery, 'limit' | 'after' | 'type'>) => (await walk(store, { type: 'ipv4', ...q }, 5)).map((e) => e.value).sort();
      for (const band of ['low', 'medium', 'high'] as const) {
        assert.deepEqual(await values({ band }), (await expected(store, { band })).map((e) => e.value).sort(), band);
        assert.ok((await walk(store, { type: 'ipv4', band }, 5)).every((e) => bandOf(e.score) === band));
      }
      assert.deepEqual(await values({ sector: 'energy' }), (await expected(store, { sector: 'energy' })).map((e) => e.value).sort());
      assert.deepEqual(await values({ source: 'other' }), ['192.0.2.9', '198.51.100.3']);
      assert.deepEqual(await values({ since: T0 }), (await expected(store, { since: T0 })).map((e) => e.value).sort());
      assert.deepEqual(await values({ sector: 'energy', source: 'other' }), []);
      const [ioc] = (await store.queryIocs({ status: 'active', value: '198.51.100.4', types: ['ipv4'], limit: 1 })).items;
      await store.revokeIocs([ioc!.id], T0 + 120_000);
      assert.ok(!(await values({})).includes('198.51.100.4'));
    }));

    it('dataVersion stays while nothing changes and moves with an addition and a revocation', withStore(async (store) => {
      const v1 = await store.dataVersion();
      assert.ok(v1.seq > 0);
      assert.ok(v1.lastModified > 0);
      assert.deepEqual(await store.dataVersion(), v1);
      await store.upsertObservations('feed', [observation({ type: 'ipv4', value: '203.0.113.5', confidence: 80, firstSeen: T0, lastSeen: T0 })], T0 + 180_000);
      const v2 = await store.dataVersion();
      assert.ok(v2.seq > v1.seq);
      assert.notEqual(v2.tallies, v1.tallies);
      assert.ok(v2.lastModified >= v1.lastModified);
      const [ioc] = (await store.queryIocs({ status: 'active', value: '203.0.113.5', types: ['ipv4'], limit: 1 })).items;
      await store.revokeIocs([ioc!.id], T0 + 240_000);
      const v3 = await store.dataVersion();
      assert.ok(v3.seq > v2.seq);
      assert.notEqual(v3.tallies, v2.tallies);
    }));
  });
}
