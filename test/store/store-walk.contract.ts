import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { IocType } from '../../src/domain/ioc-types.js';
import type { IocPosition, IocQuery } from '../../src/store/types.js';
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
          },
        ),
        { numRuns: 40 },
      );
    }));
  });
}
