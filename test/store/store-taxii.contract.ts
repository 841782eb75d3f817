import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { objectPageOf } from '../../src/store/log-page.js';
import type { LogQuery } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';
import type { WithStore } from './store.contract.js';

/** The store contract, the TAXII log: writes, deletes and loads of collections, and how their pages select versions. */
export function taxiiLogContract(withStore: WithStore): void {
  describe('the TAXII log of written and loaded collections', () => {
    const ALL = { last: false, first: false, all: true, modified: [] as number[] };
    const LAST = { last: true, first: false, all: false, modified: [] as number[] };
    const FIRST = { last: false, first: true, all: false, modified: [] as number[] };
    const A = 'indicator--0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e';
    const obj = (stixId: string, modified: number | null, specVersion = '2.1', extra = '') =>
      ({ stixId, type: stixId.split('--')[0]!, modified, specVersion, json: `{"id":"${stixId}","m":${modified}${extra}}` });
    const page = (store: TestStore, collection: string, versions: typeof ALL, extra: Partial<LogQuery> = {}) =>
      store.pageLog({ collection, limit: 100, versions, ...extra }).then((p) => p.items.map((e) => [e.stixId, e.modified, e.specVersion]));

    it('last and first are by version (modified), not by the order versions arrived, and are per collection', withStore(async (store) => {
      const now = Date.UTC(2026, 4, 17);
      await store.addObjects('team', [obj(A, 1000), obj(A, 3000)], now);
      const late = await store.addObjects('team', [obj(A, 2000), obj(A, 3000)], now + 1);
      assert.deepEqual(late, [{ outcome: 'added', modified: 2000 }, { outcome: 'duplicate', modified: 3000 }]);
      assert.deepEqual(await page(store, 'team', LAST), [[A, 3000, '2.1']]);
      assert.deepEqual(await page(store, 'team', FIRST), [[A, 1000, '2.1']]);
      assert.deepEqual(await page(store, 'team', LAST, { ids: [A] }), [[A, 3000, '2.1']]);
      assert.deepEqual(await page(store, 'team', FIRST, { ids: [A] }), [[A, 1000, '2.1']]);
      assert.equal((await page(store, 'team', ALL)).length, 3);
      // A later version in another collection changes nothing here, and the other collection has only its own.
      await store.addObjects('other', [obj(A, 9000)], now + 2);
      assert.deepEqual(await page(store, 'team', LAST), [[A, 3000, '2.1']]);
      assert.deepEqual(await page(store, 'other', FIRST), [[A, 9000, '2.1']]);
      // Deleting this collection's last version makes the one before it the last.
      const [v3] = (await store.pageLog({ collection: 'team', limit: 10, versions: LAST })).items;
      assert.equal(await store.deleteObject('team', A, [{ dateAdded: v3!.dateAdded, seq: v3!.seq }]), 1);
      assert.deepEqual(await page(store, 'team', LAST), [[A, 2000, '2.1']]);
      assert.deepEqual(await page(store, 'other', LAST), [[A, 9000, '2.1']]);
      assert.equal(await store.deleteObject('team', A, undefined), 2);
      assert.deepEqual(await page(store, 'team', ALL), []);
    }));

    it('serves the versions of each object\'s latest spec version unless spec versions are named', withStore(async (store) => {
      const B = 'malware--1a1a1a1a-2b2b-4c3c-8d4d-5e5e5e5e5e5e';
      const C = 'campaign--2a2a2a2a-3b3b-4c4c-8d5d-6e6e6e6e6e6e';
      await store.loadTaxii({
        discovery: null,
        roots: [{ name: 'partner', title: 'Partner', description: null, maxContentLength: 1000 }],
        collections: [{ id: '9a9a9a9a-8b8b-4c7c-8d6d-5e5e5e5e5e5e', root: 'partner', title: 'Mixed', description: null, alias: null, canRead: true, canWrite: false,
          mediaTypes: ['application/stix+json;version=2.0', 'application/stix+json;version=2.1'] }],
        versions: [
          { collection: '9a9a9a9a-8b8b-4c7c-8d6d-5e5e5e5e5e5e', object: obj(B, 5000, '2.0'), dateAdded: 10 },
          { collection: '9a9a9a9a-8b8b-4c7c-8d6d-5e5e5e5e5e5e', object: obj(B, 1000, '2.1'), dateAdded: 20 },
          { collection: '9a9a9a9a-8b8b-4c7c-8d6d-5e5e5e5e5e5e', object: obj(B, 2000, '2.1'), dateAdded: 30 },
          { collection: '9a9a9a9a-8b8b-4c7c-8d6d-5e5e5e5e5e5e', object: obj(C, 4000, '2.0'), dateAdded: 40 },
        ],
        statuses: [],
      }, Date.UTC(2026, 4, 17));
      const mixed = '9a9a9a9a-8b8b-4c7c-8d6d-5e5e5e5e5e5e';
      assert.deepEqual((await store.loadedTaxiiCollections())[0]!.mediaTypes, ['application/stix+json;version=2.0', 'application/stix+json;version=2.1']);
      assert.deepEqual(await page(store, mixed, LAST), [[B, 2000, '2.1'], [C, 4000, '2.0']]);
      assert.deepEqual(await page(store, mixed, ALL), [[B, 1000, '2.1'], [B, 2000, '2.1'], [C, 4000, '2.0']]);
      assert.deepEqual(await page(store, mixed, FIRST, { ids: [B] }), [[B, 1000, '2.1']]);
      assert.deepEqual(await page(store, mixed, LAST, { specVersions: ['2.0'] }), [[B, 5000, '2.0'], [C, 4000, '2.0']]);
      assert.deepEqual(await page(store, mixed, LAST, { specVersions: ['2.0', '2.1'] }), [[B, 5000, '2.0'], [C, 4000, '2.0']]);
      assert.deepEqual(await page(store, mixed, FIRST, { specVersions: ['2.0', '2.1'] }), [[B, 1000, '2.1'], [C, 4000, '2.0']]);
      assert.deepEqual(await page(store, mixed, { ...ALL, all: false, modified: [5000] }), [], 'exact versions within the latest spec version');
    }));

    it('versions an object without modified or created by the time it was added; the same object again is a duplicate', withStore(async (store) => {
      const IP = 'ipv4-addr--3a3a3a3a-4b4b-5c5c-8d6d-7e7e7e7e7e7e';
      const now = Date.UTC(2026, 4, 17, 10);
      const [first] = await store.addObjects('team', [obj(IP, null, '2.1', ',"value":"198.51.100.7"')], now);
      assert.equal(first!.outcome, 'added');
      assert.ok(first!.modified >= now && first!.modified < now + 1000, String(first!.modified));
      const [again] = await store.addObjects('team', [obj(IP, null, '2.1', ',"value":"198.51.100.7"')], now + 5000);
      assert.deepEqual(again, { outcome: 'duplicate', modified: first!.modified });
      assert.deepEqual(await page(store, 'team', { ...ALL, all: false, modified: [first!.modified] }), [[IP, first!.modified, '2.1']]);
    }));

    it('pageObjects is pageLog joined: the same objects, positions and more, for every query of a built-in or written collection', withStore(async (store) => {
      await store.upsertSource(source({ id: 'feed' }));
      const values = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? observation({ type: 'domain', value: `d${i}.example.com` }) : observation({ type: 'ipv4', value: `198.51.100.${i}` })));
      await store.upsertObservations('feed', values.slice(0, 20), Date.UTC(2026, 4, 17));
      // A second write: versions of some IOCs superseded (latest moves), and new ones.
      await store.upsertObservations('feed', values.slice(10).map((o) => ({ ...o, tags: ['again'] })), Date.UTC(2026, 4, 18));
      await store.addObjects('team', [obj(A, 1000), obj('note--00000000-0000-4000-8000-000000000001', 2000, '2.1', `,"pad":"${'é'.repeat(300)}"`)], Date.UTC(2026, 4, 19));
      const some = (await store.pageLog({ collection: 'all-iocs', limit: 100, versions: LAST })).items;
      const queries: LogQuery[] = [];
      for (const collection of ['all-iocs', 'ips', 'domains', 'team']) {
        for (const limit of [1, 4, 100]) {
          for (const maxBytes of [undefined, 10, 1500]) {
            queries.push({ collection, limit, versions: LAST, maxBytes });
            queries.push({ collection, limit, versions: ALL, maxBytes, types: ['indicator'] });
            queries.push({ collection, limit, versions: LAST, maxBytes, addedAfter: some[5]!.dateAdded, after: { dateAdded: some[8]!.dateAdded, seq: some[8]!.seq } });
          }
        }
        queries.push({ collection, limit: 10, versions: FIRST, ids: [some[3]!.stixId, some[12]!.stixId] });
        queries.push({ collection, limit: 10, versions: LAST, ids: [] });
        queries.push({ collection, limit: 10, versions: LAST, types: ['vulnerability'] });
      }
      for (const q of queries) {
        const joined = await store.pageObjects(q);
        const expected = objectPageOf(await store.pageLog(q));
        assert.equal(joined.json.toString('utf8'), expected.json.toString('utf8'), JSON.stringify(q));
        assert.deepEqual({ ...joined, json: undefined }, { ...expected, json: undefined }, JSON.stringify(q));
      }
      // The walk by pageObjects' positions visits what pageLog's does.
      let after: LogQuery['after'];
      const walked: string[] = [];
      for (;;) {
        const p = await store.pageObjects({ collection: 'all-iocs', limit: 7, versions: LAST, maxBytes: 4000, after });
        walked.push(...(JSON.parse(`[${p.json.toString('utf8')}]`) as Array<{ id: string }>).map((o) => o.id));
        if (!p.more) break;
        after = p.last;
      }
      assert.deepEqual(walked, (await store.pageLog({ collection: 'all-iocs', limit: 1000, versions: LAST })).items.map((e) => e.stixId));
    }));

    it('a built-in collection asked for some types serves its walk filtered to them, whichever index drives it', withStore(async (store) => {
      // The test store's built-in collections hold the shared objects (identity, TLP markings) as a deployment's do.
      await store.upsertSource(source({ id: 'feed' }));
      const values = Array.from({ length: 40 }, (_, i) => observation(
        i % 4 === 0 ? { type: 'cve', value: `CVE-2026-${1000 + i}`, sectors: i % 8 === 0 ? ['energy'] : [] }
          : i % 4 === 1 ? { type: 'domain', value: `d${i}.example.com`, sectors: ['energy'] }
            : { type: 'ipv4', value: `198.51.100.${i}`, confidence: i % 3 === 0 ? 95 : null },
      ));
      await store.upsertObservations('feed', values.slice(0, 30), Date.UTC(2026, 4, 17));
      await store.upsertObservations('feed', values.slice(10).map((o) => ({ ...o, tags: ['again'] })), Date.UTC(2026, 4, 18));
      const typeOf = (e: { stixId: string }) => e.stixId.split('--')[0]!;
      const typeSets = [['identity'], ['marking-definition'], ['malware'], ['vulnerability'], ['indicator'], ['vulnerability', 'identity'],
        ['indicator', 'marking-definition', 'vulnerability'], ['malware', 'indicator'], ['indicator', 'vulnerability']];
      let checked = 0;
      for (const collection of ['all-iocs', 'cves', 'ips', 'sector-energy', 'high-confidence']) {
        for (const versions of [LAST, ALL, FIRST]) {
          const whole = (await store.pageLog({ collection, limit: 10_000, versions })).items;
          assert.ok(whole.length > 0, collection);
          const middle = whole[Math.floor(whole.length / 2)]!;
          for (const position of [{}, { after: { dateAdded: middle.dateAdded, seq: middle.seq } }, { addedAfter: middle.dateAdded - 1 }]) {
            const from = (await store.pageLog({ collection, limit: 10_000, versions, ...position })).items;
            for (const types of typeSets) {
              const expected = from.filter((e) => types.includes(typeOf(e)));
              for (const limit of [1, 3, 100]) {
                const q = { collection, limit, versions, types, ...position };
                const got = await store.pageLog(q);
                assert.deepEqual(got.items.map((e) => [e.stixId, e.seq]), expected.slice(0, limit).map((e) => [e.stixId, e.seq]), JSON.stringify(q));
                assert.equal(got.more, expected.length > limit, JSON.stringify(q));
                const joined = await store.pageObjects(q);
                assert.deepEqual([joined.count, joined.more, joined.last], [got.items.length, got.more, got.items.length ? { dateAdded: got.items.at(-1)!.dateAdded, seq: got.items.at(-1)!.seq } : undefined], JSON.stringify(q));
                checked++;
              }
            }
          }
        }
      }
      assert.equal(checked, 5 * 3 * 3 * typeSets.length * 3);
      // Built-in collections hold STIX 2.1 only: asked for it (with others or not) they serve their walk, else nothing.
      for (const collection of ['all-iocs', 'cves', 'sector-energy']) {
        for (const versions of [LAST, ALL, FIRST]) {
          const whole = (await store.pageLog({ collection, limit: 10_000, versions })).items;
          for (const specVersions of [['2.1'], ['2.0', '2.1']]) {
            assert.deepEqual((await store.pageLog({ collection, limit: 10_000, versions, specVersions })).items, whole, `${collection} ${specVersions}`);
          }
          for (const specVersions of [['2.0'], ['2.2', '2.0']]) {
            assert.deepEqual(await store.pageLog({ collection, limit: 10, versions, specVersions }), { items: [], more: false }, `${collection} ${specVersions}`);
            assert.equal((await store.pageObjects({ collection, limit: 10, versions, specVersions })).count, 0);
          }
        }
      }
      // Named objects and types together: driven by the ids, whatever the types.
      const named = (await store.pageLog({ collection: 'all-iocs', limit: 10_000, versions: LAST })).items;
      const someOfEach = ['vulnerability', 'indicator', 'identity'].map((t) => named.find((e) => typeOf(e) === t)!.stixId);
      for (const types of typeSets) {
        const q = { collection: 'all-iocs', limit: 100, versions: LAST, ids: someOfEach, types };
        assert.deepEqual((await store.pageLog(q)).items.map((e) => e.stixId), named.filter((e) => someOfEach.includes(e.stixId) && types.includes(typeOf(e))).map((e) => e.stixId), JSON.stringify(q));
      }
      // The cases above are not empty: vulnerabilities in every collection that holds them, shared objects in each.
      const vulns = await store.pageLog({ collection: 'all-iocs', limit: 100, versions: LAST, types: ['vulnerability'] });
      assert.equal(vulns.items.length, 10);
      const shared = await store.pageLog({ collection: 'ips', limit: 100, versions: LAST, types: ['identity', 'marking-definition'] });
      assert.ok(shared.items.length >= 2 && shared.items.every((e) => typeOf(e) !== 'indicator'));
    }));

    it('selects exact versions and first versions of a built-in or written collection as its whole walk filtered to them, from any position and at any limit', withStore(async (store) => {
      // SQLite reads such a page in windows of members, a few at first (store/log-page.ts windowedScan): limits of 1
      // and 2 over 40 IOCs cross many windows, 100 one.
      await store.upsertSource(source({ id: 'feed' }));
      const values = Array.from({ length: 40 }, (_, i) => observation(i % 4 === 0 ? { type: 'domain', value: `d${i}.example.com`, sectors: ['energy'] } : { type: 'ipv4', value: `198.51.100.${i}` }));
      await store.upsertObservations('feed', values.slice(0, 30), Date.UTC(2026, 4, 17));
      await store.upsertObservations('feed', values.slice(10).map((o) => ({ ...o, tags: ['again'] })), Date.UTC(2026, 4, 18));
      await store.addObjects('team', Array.from({ length: 24 }, (_, i) => obj(`note--00000000-0000-4000-8000-${String(i % 12).padStart(12, '0')}`, 1000 + (i % 5) * 1000 + Math.floor(i / 12))), Date.UTC(2026, 4, 19));
      let checked = 0;
      for (const collection of ['all-iocs', 'sector-energy', 'team']) {
        const whole = (await store.pageLog({ collection, limit: 10_000, versions: ALL })).items;
        const firsts = new Set((await store.pageLog({ collection, limit: 10_000, versions: FIRST })).items.map((e) => e.seq));
        const stamps = [...new Set(whole.map((e) => e.modified))];
        assert.ok(stamps.length >= 2 && firsts.size < whole.length, collection);
        const middle = whole[Math.floor(whole.length / 2)]!;
        const late = whole.at(-2)!;
        for (const modified of [[stamps[0]!], [stamps.at(-1)!], [late.modified, 1], [1]]) {
          for (const versions of [{ ...ALL, all: false, modified }, { ...FIRST, modified }]) {
            for (const position of [{}, { after: { dateAdded: middle.dateAdded, seq: middle.seq } }, { addedAfter: middle.dateAdded - 1 }]) {
              const from = whole.filter((e) => ('after' in position ? e.dateAdded > middle.dateAdded || (e.dateAdded === middle.dateAdded && e.seq > middle.seq)
                : 'addedAfter' in position ? e.dateAdded > position.addedAfter! : true));
              const expected = from.filter((e) => modified.includes(e.modified) || (versions.first && firsts.has(e.seq)));
              for (const limit of [1, 2, 100]) {
                const q = { collection, limit, versions, ...position };
                const got = await store.pageLog(q);
                assert.deepEqual(got.items.map((e) => e.seq), expected.slice(0, limit).map((e) => e.seq), JSON.stringify(q));
                assert.equal(got.more, expected.length > limit, JSON.stringify(q));
                assert.deepEqual(await store.pageObjects(q), objectPageOf(got), JSON.stringify(q));
                checked++;
              }
            }
          }
        }
      }
      assert.equal(checked, 3 * 4 * 2 * 3 * 3);
      // Not vacuous: the latest stamp selects versions in every collection, the absent one none.
      assert.ok((await store.pageLog({ collection: 'sector-energy', limit: 100, versions: { ...ALL, all: false, modified: [(await store.pageLog({ collection: 'sector-energy', limit: 10_000, versions: ALL })).items.at(-1)!.modified] } })).items.length > 0);
    }));

    it('ends a page at a byte budget as well as at the limit; the first object always comes', withStore(async (store) => {
      const big = (n: number, size: number) => obj(`note--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, 1000, '2.1', `,"pad":"${'x'.repeat(size)}"`);
      await store.addObjects('team', [big(1, 5000), big(2, 3000), big(3, 3000), big(4, 100)], Date.UTC(2026, 4, 17));
      const walk = async (maxBytes: number, limit: number) => {
        const pages: number[][] = [];
        let after: LogQuery['after'];
        for (;;) {
          const p = await store.pageLog({ collection: 'team', limit, versions: LAST, maxBytes, after });
          pages.push(p.items.map((e) => Number(e.stixId.slice(-2))));
          const last = p.items[p.items.length - 1];
          if (!p.more || !last) return pages;
          after = { dateAdded: last.dateAdded, seq: last.seq };
        }
      };
      assert.deepEqual(await walk(6200, 10), [[1], [2, 3], [4]]);
      assert.deepEqual(await walk(100_000, 10), [[1, 2, 3, 4]]);
      assert.deepEqual(await walk(100_000, 3), [[1, 2, 3], [4]]);
      assert.deepEqual(await walk(10, 10), [[1], [2], [3], [4]]);
      // A built-in collection (our own objects: the identity and TLP markings here) is cut by the same rule.
      const builtin = await store.pageLog({ collection: 'all-iocs', limit: 100, versions: LAST, maxBytes: 10 });
      assert.deepEqual([builtin.items.length, builtin.more], [1, true]);
      const whole = await store.pageLog({ collection: 'all-iocs', limit: 100, versions: LAST, maxBytes: 1_000_000 });
      assert.ok(whole.items.length > 1 && !whole.more);
    }));

    it('a version posted to a writable collection never hides or replaces one of our IOCs in the built-in collections', withStore(async (store) => {
      await store.upsertSource(source({ id: 'a' }));
      await store.upsertObservations('a', [observation({ type: 'domain', value: 'c2.example.net' })], Date.UTC(2026, 4, 17));
      const ours = (await store.pageLog({ collection: 'domains', limit: 10, versions: LAST, types: ['indicator'] })).items;
      assert.equal(ours.length, 1);
      const id = ours[0]!.stixId;
      await store.addObjects('team', [obj(id, Date.UTC(2030, 0, 1))], Date.UTC(2026, 4, 18));
      const after = (await store.pageLog({ collection: 'domains', limit: 10, versions: LAST, types: ['indicator'] })).items;
      assert.deepEqual(after.map((e) => [e.stixId, e.json]), ours.map((e) => [e.stixId, e.json]));
      assert.equal((await store.pageLog({ collection: 'all-iocs', limit: 10, versions: LAST, ids: [id] })).items.length, 1);
    }));
  });
}
