import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bandOf as BAND_OF } from '../../src/domain/confidence.js';
import { DAY_MS } from '../../src/domain/durations.js';
import type { IocType } from '../../src/domain/ioc-types.js';
import { TLP_LEVELS, type Tlp } from '../../src/domain/tlp.js';
import type { IocPosition, IocQuery, SourceDay } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';
import { withStoreOf } from './store.contract.js';

/**
 * Walks by cursor through IOCs written in the same transaction, which share their `added_at` (an import writes up to
 * 50,000 so): SQLite reads the position as two seeks (position-seek.ts), the rest of the same instant and
 * then what follows. Whatever the batches, filters and page size, the pages of every read path (the REST list, the
 * IOC pages, the STIX export pages) must hold each IOC once, in the order of the one-page answer.
 */
export function storeWalkContract(name: string, makeStore: () => Promise<TestStore>): void {
  const withStore = withStoreOf(makeStore);
  const types: IocType[] = ['ipv4', 'domain', 'url'];
  const sources = ['a', 'b'];
  const sectors = ['energy', 'dams'];
  const valueOf = (type: IocType, n: number) => (type === 'ipv4' ? `198.51.${n >> 8}.${n & 255}` : type === 'domain' ? `w${n}.example` : `http://w${n}.example/p`);

  /** Every page of one read path, by its cursor. */
  async function walk<T>(read: (after: IocPosition | undefined) => Promise<{ items: T[]; next: IocPosition | null }>, limit: number): Promise<T[]> {
    const out: T[] = [];
    let after: IocPosition | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await read(after);
      assert.ok(page.items.length <= limit, `a page of ${page.items.length} rows at limit ${limit}`);
      out.push(...page.items);
      if (!page.next) return out;
      after = page.next;
    }
    throw new Error('the walk did not end');
  }

  describe(`Store contract (walks through IOCs of one instant): ${name}`, () => {
    it('pages by cursor hold every IOC once, in order, on every read path, whatever the batches and filters', withStore(async (store) => {
      for (const id of sources) await store.upsertSource(source({ id, redistributable: id === 'a' }));
      let next = 0;
      let at = 1_000;
      await fc.assert(
        fc.asyncProperty(
          // Batches written at one instant each; some at the instant of the one before (two transactions, one ms).
          fc.array(fc.record({ size: fc.integer({ min: 1, max: 25 }), src: fc.constantFrom(...sources), sameInstant: fc.boolean(), sector: fc.option(fc.constantFrom(...sectors)) }), { minLength: 1, maxLength: 4 }),
          fc.record({
            types: fc.option(fc.subarray(types, { minLength: 1 }), { nil: undefined }),
            source: fc.option(fc.constantFrom(...sources), { nil: undefined }),
            sector: fc.option(fc.constantFrom(...sectors), { nil: undefined }),
            status: fc.constantFrom('active' as const, 'all' as const),
          }),
          fc.integer({ min: 1, max: 12 }),
          async (batches, filters, limit) => {
            // This run's IOCs only (added after `since`), so that each run walks at most 100 of them.
            at += 1_000;
            const since = at - 1;
            for (const [i, b] of batches.entries()) {
              if (i > 0 && !b.sameInstant) at += 1_000;
              const batch = Array.from({ length: b.size }, () => {
                const n = next++;
                const type = types[n % types.length]!;
                return observation({ type, value: valueOf(type, n), sectors: b.sector ? [b.sector] : [] });
              });
              await store.upsertObservations(b.src, batch, at);
            }
            const q: Omit<IocQuery, 'limit'> = { status: filters.status, since };
            if (filters.types) q.types = filters.types;
            if (filters.source) q.source = filters.source;
            if (filters.sector) q.sector = filters.sector;
            const all = await store.listIocs({ ...q, limit: 10_000 });
            assert.equal(all.next, null);
            const listed = await walk((after) => store.listIocs({ ...q, limit, ...(after ? { after } : {}) }), limit);
            assert.deepEqual(listed.map((r) => r.id), all.items.map((r) => r.id));
            assert.equal(new Set(listed.map((r) => r.id)).size, listed.length, 'no IOC twice');
            const queried = await walk((after) => store.queryIocs({ ...q, limit, ...(after ? { after } : {}) }), limit);
            assert.deepEqual(queried.map((r) => r.id), all.items.map((r) => r.id));
            // The STIX export pages: only redistributable IOCs (those first sighted by 'a' here), in the same order.
            const exported = await walk(async (after) => {
              const page = await store.pageStixObjects({ ...q, limit, ...(after ? { after } : {}) });
              return { items: page.objects, next: page.next };
            }, limit);
            const oneExportPage = await store.pageStixObjects({ ...q, limit: 10_000 });
            assert.deepEqual(exported, oneExportPage.objects);
            // The values of the same shareable IOCs (the MISP feed's hashes.csv), in the same order.
            const shared = await walk((after) => store.pageSharedValues({ ...q, limit, ...(after ? { after } : {}) }), limit);
            assert.deepEqual(shared, queried.filter((r) => r.redistributable).map((r) => ({ value: r.value, addedAt: r.addedAt })));
            assert.equal(shared.length, exported.length);
          },
        ),
        { numRuns: 40 },
      );
    }));

    it('a walk whose filters keep few of the IOCs it passes over (revoked ones, a band, several types, a source beside a sector) holds exactly those, in order', withStore(async (store) => {
      // SQLite reads such pages in windows of the driving index, from 64 entries (scan-window.ts): 400 IOCs, most of
      // them revoked or passed over, take many windows at these limits.
      for (const id of sources) await store.upsertSource(source({ id, redistributable: id === 'a' }));
      const t = Date.UTC(2026, 4, 17);
      const made = Array.from({ length: 400 }, (_, n) => {
        const type = types[n % types.length]!;
        return { n, o: observation({ type, value: valueOf(type, n), sectors: n % 5 === 0 ? ['energy'] : [], confidence: n % 7 === 0 ? 95 : n % 7 === 1 ? 10 : null }) };
      });
      for (let i = 0; i < made.length; i += 50) await store.upsertObservations(i % 100 === 0 ? 'a' : 'b', made.slice(i, i + 50).map((m) => m.o), t + i);
      const everything = (await store.queryIocs({ status: 'all', limit: 10_000 })).items;
      assert.equal(everything.length, 400);
      // The oldest 300 revoked, and a few later ones: the active walk passes over them first.
      const revoked = everything.filter((_, i) => i < 300 || i % 31 === 0);
      await store.revokeIocs(revoked.map((r) => r.id), t + 10_000);
      const full = (await store.queryIocs({ status: 'all', limit: 10_000 })).items;
      const bandOf = (score: number) => BAND_OF(score);
      const queries: Array<Omit<IocQuery, 'limit'>> = [
        { status: 'active' }, { status: 'revoked' }, { status: 'active', band: 'high' }, { status: 'all', band: 'low' },
        { status: 'active', types: ['ipv4', 'url'] }, { status: 'active', sector: 'energy' }, { status: 'active', sector: 'energy', band: 'high' },
        { status: 'active', source: 'a' }, { status: 'active', source: 'b', sector: 'energy' }, { status: 'active', types: ['domain'], band: 'low' },
        { status: 'active', since: full[350]!.addedAt - 1 },
      ];
      for (const q of queries) {
        const expected = full.filter((r) => (q.status === 'all' || r.status === q.status) && (!q.band || bandOf(r.score) === q.band) && (!q.types || q.types.includes(r.type)) &&
          (!q.sector || r.sectors.includes(q.sector)) && (!q.source || r.sources.includes(q.source)) && (q.since === undefined || r.addedAt > q.since));
        for (const limit of [1, 3, 100]) {
          const listed = await walk((after) => store.listIocs({ ...q, limit, ...(after ? { after } : {}) }), limit);
          assert.deepEqual(listed.map((r) => r.id), expected.map((r) => r.id), `${JSON.stringify(q)} limit ${limit}`);
        }
        const queried = await walk((after) => store.queryIocs({ ...q, limit: 7, ...(after ? { after } : {}) }), 7);
        assert.deepEqual(queried.map((r) => r.id), expected.map((r) => r.id), JSON.stringify(q));
        const exported = await walk(async (after) => {
          const page = await store.pageStixObjects({ ...q, limit: 5, ...(after ? { after } : {}) });
          return { items: page.objects, next: page.next };
        }, 5);
        assert.deepEqual(exported, (await store.pageStixObjects({ ...q, limit: 10_000 })).objects, JSON.stringify(q));
      }
      // Not vacuous: each kind of filter keeps some IOCs and passes over others.
      assert.ok(full.some((r) => r.status === 'active' && bandOf(r.score) === 'high') && full.some((r) => r.status === 'active' && r.sectors.includes('energy')));
    }));

    it('sums a source\'s shareable IOCs per UTC day since a midnight as the IOCs themselves add up, across instants many IOCs share', withStore(async (store) => {
      // SQLite sums windows of the source's sightings (64 entries first, then 4× each): 600 IOCs written 50 to an instant
      // put window ends inside instants, where the next window starts by two seeks (position-seek.ts).
      await store.upsertSource(source({ id: 'a' }));
      await store.upsertSource(source({ id: 'b', tlp: 'amber' }));
      await store.upsertSource(source({ id: 'shut', redistributable: false }));
      const from = Date.UTC(2026, 4, 10);
      const tlps: Array<Tlp | null> = [null, 'green', 'amber', 'red', 'amber+strict'];
      const made = Array.from({ length: 600 }, (_, n) => observation({
        type: 'domain', value: `d${n}.example`, confidence: (n * 37) % 101, tlp: tlps[n % tlps.length]!,
      }));
      // Batches of 50 at one instant: the first two before `from`, then instants over five days (three on the fourth).
      const instants = [from - DAY_MS, from - 1, from, from + 5, from + 3 * 3_600_000, from + DAY_MS, from + DAY_MS + 1, from + 3 * DAY_MS,
        from + 3 * DAY_MS + 7, from + 3 * DAY_MS + 9, from + 4 * DAY_MS - 1, from + 6 * DAY_MS];
      for (let i = 0; i < made.length; i += 50) {
        const batch = made.slice(i, i + 50);
        const at = instants[i / 50]!;
        await store.upsertObservations(i % 150 === 100 ? 'b' : 'a', batch, at);
        // Some of them also listed by another source, later: they count in that source's day of their first sighting.
        await store.upsertObservations(i % 100 === 0 ? 'shut' : 'b', batch.filter((_, j) => j % 3 === 0), at + 2 * DAY_MS);
      }
      // Source b is no longer shared: the IOCs only it lists, seen again, are not shareable any more (they stay in its sightings).
      await store.upsertSource(source({ id: 'b', tlp: 'amber', redistributable: false }));
      await store.upsertObservations('b', made.slice(250, 300), from + 8 * DAY_MS);
      const all = (await store.queryIocs({ status: 'all', limit: 10_000 })).items;
      assert.ok(all.some((r) => r.sources.includes('b') && !r.redistributable) && all.some((r) => r.sources.includes('b') && r.redistributable));
      // Some revoked (they stay in the feed, marked), later than the rest of their changes.
      await store.revokeIocs(all.filter((_, i) => i % 11 === 0).map((r) => r.id), from + 9 * DAY_MS);
      const iocs = (await store.queryIocs({ status: 'all', limit: 10_000 })).items;
      for (const src of ['a', 'b', 'shut', 'none']) {
        const days = new Map<number, SourceDay>();
        for (const r of iocs) {
          if (!r.sources.includes(src) || !r.redistributable || r.addedAt < from) continue;
          const day = Math.floor((r.addedAt - from) / DAY_MS);
          const d = days.get(day) ?? { day, count: 0, updatedAt: 0, maxScore: 0, tlp: 0 };
          d.count++;
          d.updatedAt = Math.max(d.updatedAt, r.updatedAt);
          d.maxScore = Math.max(d.maxScore, r.score);
          d.tlp = Math.max(d.tlp, TLP_LEVELS.indexOf(r.tlp as Tlp));
          days.set(day, d);
        }
        const expected = [...days.values()].sort((x, y) => x.day - y.day);
        assert.deepEqual(await store.sourceDays(src, from), expected, src);
      }
      // What the check relies on: several days, TLPs and scores, and revoked IOCs among them.
      const a = await store.sourceDays('a', from);
      assert.deepEqual(a.map((d) => d.day), [0, 1, 3], JSON.stringify(a));
      assert.ok(a.some((d) => d.tlp > 0) && new Set(a.map((d) => d.maxScore)).size > 1 && a.some((d) => d.updatedAt >= from + 9 * DAY_MS));
      assert.deepEqual((await store.sourceDays('a', from + 10 * DAY_MS)), []);
    }));
  });
}
