import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';
import { withStoreOf } from './store.contract.js';

/**
 * The source list each IOC's row keeps (migration 24): whatever order, batch shape or path the sightings arrive by,
 * the REST list, the IOC page and the IOC's detail name the same sources, sorted, and only those that sighted it.
 */
export function storeSourcesContract(name: string, makeStore: () => Promise<TestStore>): void {
  const withStore = withStoreOf(makeStore);
  // An aggregate source adds nothing to a score next to others: its sighting may leave the rest of the row as it was.
  const ids = ['zeta', 'a-1', 'mid', 'b', 'a', 'agg'];

  const exec = async (store: TestStore, sql: string) => {
    if (store instanceof SqliteStore) store.conn.db.exec(sql);
    else await (store as unknown as PostgresStore).conn.pool.query(sql);
  };

  describe(`Store contract (IOC sources): ${name}`, () => {
    it('migration 24 fills each list from the sightings of IOCs written before it', withStore(async (store) => {
      for (const id of ['zeta', 'b', 'a']) await store.upsertSource(source({ id }));
      await store.upsertObservations('zeta', [observation({ type: 'ipv4', value: '203.0.113.1' }), observation({ type: 'ipv4', value: '203.0.113.2' })], 1000);
      await store.upsertObservations('b', [observation({ type: 'ipv4', value: '203.0.113.1' })], 2000);
      await store.upsertObservations('a', [observation({ type: 'ipv4', value: '203.0.113.1' })], 3000);
      // The database as it was before the migration: no list in the rows.
      await exec(store, 'ALTER TABLE iocs DROP COLUMN sources');
      await exec(store, 'DELETE FROM schema_migrations WHERE version = 24');
      assert.deepEqual(await store.migrate(), ['24: each IOC keeps its source list']);
      const listed = (await store.listIocs({ status: 'all', limit: 10 })).items.map((r) => [r.value, (JSON.parse(`{${r.labelsJson}}`) as { sources: string[] }).sources]);
      assert.deepEqual(listed, [['203.0.113.1', ['a', 'b', 'zeta']], ['203.0.113.2', ['zeta']]]);
    }));


    it('lists exactly the sources that sighted each IOC, sorted, on every read path', withStore(async (store) => {
      for (const id of ids) await store.upsertSource(source({ id, aggregate: id === 'agg' }));
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({ src: fc.constantFrom(...ids), values: fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }), twice: fc.boolean(), revoke: fc.boolean() }),
            { minLength: 1, maxLength: 12 },
          ),
          async (steps) => {
            run++;
            const expected = new Map<string, Set<string>>();
            for (const [i, step] of steps.entries()) {
              const values = step.values.map((v) => `198.51.${run}.${v}`);
              const batch = values.map((value) => observation({ type: 'ipv4', value }));
              // The same value twice in one batch, from one source: one sighting.
              await store.upsertObservations(step.src, step.twice ? [...batch, ...batch] : batch, 1_000_000 + run * 100 + i);
              for (const value of values) {
                let set = expected.get(value);
                if (!set) expected.set(value, (set = new Set()));
                set.add(step.src);
              }
              if (step.revoke) {
                // A revoked IOC keeps its sources; a later sighting brings it back with one more.
                const [ioc] = (await store.queryIocs({ status: 'all', types: ['ipv4'], value: values[0]!, limit: 1 })).items;
                await store.revokeIocs([ioc!.id], 1_000_000 + run * 100 + i);
              }
            }
            for (const [value, set] of expected) {
              const want = [...set].sort();
              const q = { status: 'all' as const, types: ['ipv4' as const], value, limit: 5 };
              const [listed] = (await store.listIocs(q)).items;
              const [queried] = (await store.queryIocs(q)).items;
              assert.ok(listed && queried, value);
              assert.deepEqual((JSON.parse(`{${listed.labelsJson}}`) as { sources: string[] }).sources, want, value);
              assert.deepEqual(queried.sources, want, value);
              const detail = await store.getIoc(queried.id);
              assert.deepEqual(detail?.sources, want, value);
              assert.deepEqual(detail?.sightings.map((s) => s.source), want, value);
            }
          },
        ),
        { numRuns: 12 },
      );
    }));
  });
}
