import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bandOf } from '../../src/domain/confidence.js';
import type { IocType } from '../../src/domain/ioc-types.js';
import type { TallyRow } from '../../src/store/store.js';
import type { Observation, RunResult } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';

/**
 * The tallies (store.ts StatsReads) kept by the database's triggers equal a count of the IOCs themselves after every
 * kind of change: additions, rescoring across bands, revocation, decay. The triggers' band thresholds equal
 * domain/confidence.ts bandOf at every score.
 */
export function storeStatsContract(name: string, makeStore: () => Promise<TestStore>): void {
  const T0 = Date.UTC(2026, 4, 17, 12);
  const withStore = (fn: (s: TestStore) => Promise<void>) => async () => {
    const store = await makeStore();
    try {
      await store.upsertSource(source({ id: 'feed' }));
      await store.upsertSource(source({ id: 'other', reliability: 0.5 }));
      await fn(store);
    } finally {
      await store.close();
    }
  };
  const TYPES: IocType[] = ['ipv4', 'domain', 'url', 'sha256'];
  const SECTORS = ['energy', 'healthcare-public-health', 'financial-services'];
  const valueOf = (type: IocType, i: number) =>
    type === 'ipv4' ? `198.51.${Math.floor(i / 250)}.${(i % 250) + 1}` : type === 'domain' ? `d${i}.example.net` : type === 'url' ? `http://u${i}.example.org/p` : i.toString(16).padStart(64, 'a');
  const obs = (i: number, confidence: number): Observation => {
    const type = TYPES[i % TYPES.length]!;
    return observation({ type, value: valueOf(type, i), confidence, sectors: SECTORS.filter((_, k) => (i >> k) & 1), firstSeen: T0, lastSeen: T0 });
  };
  const sorted = (rows: TallyRow[]) => rows.filter((r) => r.n !== 0).map((r) => `${r.key} ${r.status} ${r.band} ${r.n}`).sort();

  /** The tallies counted from the IOCs themselves. */
  async function counted(store: TestStore, keys: Array<{ type: IocType; value: string }>) {
    const types = new Map<string, number>();
    const sectors = new Map<string, number>();
    for (const m of await store.lookupValues(keys)) {
      const band = bandOf(m.score);
      types.set(`${m.type} ${m.status} ${band}`, (types.get(`${m.type} ${m.status} ${band}`) ?? 0) + 1);
      for (const s of m.sectors) sectors.set(`${s} ${m.status} ${band}`, (sectors.get(`${s} ${m.status} ${band}`) ?? 0) + 1);
    }
    const rows = (m: Map<string, number>) => [...m].map(([k, n]) => `${k} ${n}`).sort();
    return { types: rows(types), sectors: rows(sectors) };
  }

  async function assertTallies(store: TestStore, keys: Array<{ type: IocType; value: string }>, when: string) {
    const want = await counted(store, keys);
    assert.deepEqual(sorted(await store.typeTallies()), want.types, `${when}: by type`);
    assert.deepEqual(sorted(await store.sectorTallies()), want.sectors, `${when}: by sector`);
  }

  describe(`Store stats: ${name}`, () => {
    it('keeps the tallies equal to the IOCs through additions, rescoring across bands, revocation and decay', withStore(async (store) => {
      const batch = Array.from({ length: 101 }, (_, i) => obs(i, i));
      const keys = batch.map((o) => ({ type: o.type, value: o.value }));
      await store.upsertObservations('feed', batch, T0);
      await assertTallies(store, keys, 'added');
      assert.ok((await store.typeTallies()).some((r) => r.band === 'high') && (await store.typeTallies()).some((r) => r.band === 'low'));

      // Seen again by another source with other confidences: scores move, some across bands.
      await store.upsertObservations('other', batch.slice(0, 60).map((o, i) => ({ ...o, confidence: 100 - i })), T0 + 3_600_000);
      await assertTallies(store, keys, 'rescored');

      const ids = (await store.lookupValues(keys.slice(0, 15))).map((m) => m.id);
      await store.revokeIocs(ids, T0 + 7_200_000);
      await assertTallies(store, keys, 'revoked');

      // A snapshot of 'other' that no longer lists the first 20: their sightings end, some IOCs are rescored.
      const run = await store.startRun('other', T0 + 8_000_000);
      await store.upsertObservations('other', batch.slice(20, 60), T0 + 8_000_000, { run });
      await store.endUnseenSightings('other', run, T0 + 8_000_000);
      await assertTallies(store, keys, 'delisted');

      await store.decayIocs(T0 + 200 * 86_400_000);
      await assertTallies(store, keys, 'decayed');
      assert.ok((await store.typeTallies()).some((r) => r.status === 'revoked' && r.n > 15), 'decay revoked more');
    }));

    it('counts every score in the band bandOf gives it', withStore(async (store) => {
      const batch = Array.from({ length: 101 }, (_, score) => observation({ type: 'domain', value: `s${score}.example.com`, confidence: score }));
      await store.upsertObservations('feed', batch, T0);
      const byBand = new Map<string, number>();
      for (const m of await store.lookupValues(batch)) byBand.set(bandOf(m.score), (byBand.get(bandOf(m.score)) ?? 0) + 1);
      const tallied = new Map((await store.typeTallies()).filter((r) => r.key === 'domain').map((r) => [r.band, r.n]));
      assert.deepEqual(Object.fromEntries([...tallied].sort()), Object.fromEntries([...byBand].sort()));
      assert.equal(byBand.size, 3, 'the scores span the three bands');
    }));

    it('gives the version log\'s size as its last seq, moved by every new version', withStore(async (store) => {
      const logged = async () => {
        const page = await store.pageLog({ collection: 'all-iocs', limit: 10_000, versions: { last: false, first: false, all: true, modified: [] } });
        return page.items.map((e) => e.seq);
      };
      // A new store holds only the shared objects (identity, markings), members of every collection.
      const before = await store.versionLogSize();
      assert.equal(before, Math.max(0, ...(await logged())));
      const batch = Array.from({ length: 12 }, (_, i) => obs(i, 80));
      await store.upsertObservations('feed', batch, T0);
      const seqs = await logged();
      assert.equal(await store.versionLogSize(), before + 12, 'twelve new versions');
      assert.equal(await store.versionLogSize(), Math.max(...seqs));
      // Revoking three IOCs appends their final versions: the size moves by three.
      await store.revokeIocs((await store.lookupValues(batch.slice(0, 3))).map((m) => m.id), T0 + 1000);
      assert.equal(await store.versionLogSize(), Math.max(...seqs) + 3);
      assert.equal(await store.versionLogSize(), Math.max(...(await logged())));
      // Seen again unchanged: no new version, the size stays.
      await store.upsertObservations('feed', batch.slice(3), T0 + 2000);
      assert.equal(await store.versionLogSize(), Math.max(...seqs) + 3);
    }));

    it('sums the new IOCs of the runs per UTC day and source since a time', withStore(async (store) => {
      const done = (inserted: number, at: number): RunResult => ({
        outcome: 'ok', records: inserted, inserted, updated: 0, unchanged: 0, delisted: 0, rejected: 0, excluded: 0, allowlisted: 0, bytes: 0, error: null, etag: null, lastModified: null, finishedAt: at + 1000,
      });
      const day = 86_400_000;
      const day0 = Date.UTC(2026, 4, 10);
      for (const [src, at, n] of [['feed', day0 - day, 99], ['feed', day0 + 1000, 5], ['feed', day0 + 20 * 3_600_000, 7], ['other', day0 + 2000, 3], ['feed', day0 + day + 5, 11], ['other', day0 + day, 0]] as const) {
        const run = await store.startRun(src, at);
        await store.finishRun(run, done(n, at));
      }
      assert.deepEqual(await store.addedPerDay(day0), [
        { day: '2026-05-10', source: 'feed', added: 12 },
        { day: '2026-05-10', source: 'other', added: 3 },
        { day: '2026-05-11', source: 'feed', added: 11 },
      ]);
    }));
  });
}
