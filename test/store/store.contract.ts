import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth/api-keys.js';
import { decayedScore, NO_EXPIRY, validUntil } from '../../src/domain/scoring.js';
import type { Ioc, IocQuery, LogQuery, Observation, RunResult } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';

/**
 * The behaviour every Store implementation must show (with the test methods of test/support/stores.ts). Each
 * implementation's test file calls this with a factory that returns a fresh, migrated, empty store.
 */
export function storeContract(name: string, makeStore: () => Promise<TestStore>): void {
  const withStore = (fn: (s: TestStore) => Promise<void>) => async () => {
    const store = await makeStore();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };

  const walk = async (store: TestStore, q: Omit<IocQuery, 'after' | 'limit' | 'status'> & Partial<IocQuery>, limit: number) => {
    const out: Ioc[] = [];
    let after: IocQuery['after'];
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await store.queryIocs({ status: 'active', ...q, limit, ...(after ? { after } : {}) });
      assert.ok(page.items.length <= limit);
      out.push(...page.items);
      if (!page.next) return out;
      after = page.next;
    }
    throw new Error('walk did not end');
  };

  describe(`Store contract: ${name}`, () => {
    it('migrate is idempotent', withStore(async (store) => {
      assert.deepEqual(await store.migrate(), []);
      await store.ping();
    }));

    it('a setting is created once: the first writer wins', withStore(async (store) => {
      const a = await store.getOrCreateSetting('token_secret', () => 'first');
      const b = await store.getOrCreateSetting('token_secret', () => 'second');
      assert.equal(a, 'first');
      assert.equal(b, 'first');
    }));

    it('keeps one IOC per value and one sighting per (IOC, source), with a stable STIX id', withStore(async (store) => {
      await store.upsertSource(source({ id: 'a' }));
      await store.upsertSource(source({ id: 'b' }));
      const first = await store.upsertObservations('a', [observation({ type: 'ipv4', value: '203.0.113.1', tags: ['c2'] })], 1000);
      assert.deepEqual(first, { inserted: 1, updated: 0, unchanged: 0, ignored: 0 });
      const again = await store.upsertObservations('a', [observation({ type: 'ipv4', value: '203.0.113.1', tags: ['c2'] })], 2000);
      assert.deepEqual(again, { inserted: 0, updated: 0, unchanged: 1, ignored: 0 });
      const other = await store.upsertObservations('b', [observation({ type: 'ipv4', value: '203.0.113.1', tags: ['scanner'], malware: ['Mozi'] })], 3000);
      assert.deepEqual(other, { inserted: 0, updated: 1, unchanged: 0, ignored: 0 });
      assert.equal(await store.countIocs(), 1);
      const [ioc] = (await store.queryIocs({ status: 'all', limit: 10 })).items;
      assert.ok(ioc);
      assert.match(ioc.id, /^indicator--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.deepEqual(ioc.sources, ['a', 'b']);
      assert.deepEqual(ioc.tags, ['c2', 'scanner']);
      assert.deepEqual(ioc.malware, ['Mozi']);
      assert.equal(ioc.addedAt, 1000);
      const detail = await store.getIoc(ioc.id);
      assert.equal(detail?.id, ioc.id);
      assert.deepEqual(detail?.sightings.map((s) => s.source), ['a', 'b']);
      assert.equal(detail?.sightings[0]?.count, 1);
    }));

    it('duplicates inside one batch become one IOC', withStore(async (store) => {
      await store.upsertSource(source({ id: 'a' }));
      const r = await store.upsertObservations('a', [
        observation({ type: 'domain', value: 'evil.example' }),
        observation({ type: 'domain', value: 'evil.example', tags: ['phishing'] }),
      ], 1);
      assert.equal(r.inserted, 1);
      assert.equal(r.inserted + r.updated + r.unchanged, 2);
      assert.equal(await store.countIocs(), 1);
    }));

    it('a batch of many thousands reconciles a value seen again later in the batch as if it came in its own batch', withStore(async (store) => {
      // Stores may write a big batch in slices, pipelined; a value met again one or two slices later must find what
      // the batch already did to it, whether or not it has reached the database yet.
      await store.upsertSource(source({ id: 'a' }));
      const distinct = 12_000;
      const values = Array.from({ length: distinct }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
      const batch: Observation[] = values.map((value) => observation({ type: 'ipv4', value }));
      const again = (i: number, tag: string) => observation({ type: 'ipv4', value: values[i]!, tags: [tag] });
      const nearly = [4990, 4999, 5000, 9999];
      // Next to the first (#4,990 seen again at 5,010), several thousand later (#2 at 11,000), and twice (#7).
      batch.splice(5010, 0, ...nearly.map((i) => again(i, 'near')));
      batch.splice(11_000, 0, again(2, 'far'), again(7, 'far'));
      batch.push(again(7, 'last'));
      const r = await store.upsertObservations('a', batch, 1000);
      assert.deepEqual(r, { inserted: distinct, updated: 6, unchanged: 1, ignored: 0 });
      assert.equal(await store.countIocs(), distinct);
      const tagsOf = async (i: number) => {
        const page = await store.queryIocs({ status: 'all', value: values[i]!, limit: 2 });
        assert.equal(page.items.length, 1);
        const ioc = page.items[0]!;
        return { tags: ioc.tags, versions: (await store.listVersions(ioc.id)).length };
      };
      for (const i of [4990, 4999, 5000]) assert.deepEqual(await tagsOf(i), { tags: ['near'], versions: 2 }, `value #${i}`);
      // #9,999 came first with its tag (the plain one is now behind it): the plain sighting changes nothing.
      assert.deepEqual(await tagsOf(9999), { tags: ['near'], versions: 1 });
      assert.deepEqual(await tagsOf(2), { tags: ['far'], versions: 2 });
      assert.deepEqual(await tagsOf(7), { tags: ['far', 'last'], versions: 3 });
      assert.deepEqual(await tagsOf(3), { tags: [], versions: 1 });
    }));

    it('streams observations in transactions of exactly batchSize; a failing producer loses only the batch in flight', withStore(async (store) => {
      await store.upsertSource(source({ id: 'a' }));
      const values = Array.from({ length: 23 }, (_, i) => observation({ type: 'ipv4', value: `192.0.2.${i}` }));
      const commits: number[] = [];
      async function* chunks(failAfter: number | null) {
        for (let i = 0; i < values.length; i += 4) {
          if (failAfter !== null && i >= failAfter) throw new Error('producer broke');
          yield values.slice(i, i + 4);
        }
      }
      await assert.rejects(
        store.upsertObservationStream('a', chunks(16), { batchSize: 10, onCommit: (t) => commits.push(t.inserted) }),
        /producer broke/,
      );
      assert.deepEqual(commits, [10]);
      assert.equal(await store.countIocs(), 10, 'the committed batch stays, the open one is rolled back');
      // Other writes are not swallowed by a stream's open transaction, and the store is usable afterwards.
      const again: number[] = [];
      const [total] = await Promise.all([
        store.upsertObservationStream('a', chunks(null), { batchSize: 10, onCommit: (t) => again.push(t.inserted + t.unchanged) }),
        store.createAccount('during@example.com', 'free', 1),
      ]);
      assert.deepEqual(again, [10, 20, 23]);
      assert.deepEqual(total, { inserted: 13, updated: 0, unchanged: 10, ignored: 0 });
      assert.equal(await store.countIocs(), 23);
      assert.ok(await store.findAccountByEmail('during@example.com'));
    }));

    it('CVEs get vulnerability ids', withStore(async (store) => {
      await store.upsertSource(source({ id: 'a' }));
      await store.upsertObservations('a', [observation({ type: 'cve', value: 'CVE-2024-3094' })], 1);
      const [ioc] = (await store.queryIocs({ status: 'active', limit: 1 })).items;
      assert.match(ioc!.id, /^vulnerability--/);
    }));

    it('scores corroboration: three independent sources beat one, an aggregate adds nothing next to them', withStore(async (store) => {
      for (const id of ['s1', 's2', 's3']) await store.upsertSource(source({ id, reliability: 0.6 }));
      await store.upsertSource(source({ id: 'agg', reliability: 0.9, aggregate: true }));
      const v = (value: string) => [observation({ type: 'ipv4', value })];
      await store.upsertObservations('s1', v('198.51.100.1'), 1);
      for (const s of ['s1', 's2', 's3']) await store.upsertObservations(s, v('198.51.100.3'), 1);
      const byValue = async (value: string) => (await store.queryIocs({ status: 'all', value, limit: 1 })).items[0]!;
      const one = await byValue('198.51.100.1');
      const three = await byValue('198.51.100.3');
      assert.equal(one.score, 60);
      assert.equal(three.score, 94); // 1 − 0.4³
      await store.upsertObservations('agg', v('198.51.100.3'), 2);
      assert.equal((await byValue('198.51.100.3')).score, 94);
      await store.upsertObservations('agg', v('198.51.100.9'), 2);
      assert.equal((await byValue('198.51.100.9')).score, 90);
    }));

    it('native confidence scales the prior; the least restrictive TLP wins', withStore(async (store) => {
      await store.upsertSource(source({ id: 'a', reliability: 1, tlp: 'amber' }));
      await store.upsertSource(source({ id: 'b', reliability: 1, tlp: 'green' }));
      await store.upsertObservations('a', [observation({ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e', confidence: 40 })], 1);
      let ioc = (await store.queryIocs({ status: 'all', limit: 1 })).items[0]!;
      assert.equal(ioc.score, 40);
      assert.equal(ioc.tlp, 'amber');
      await store.upsertObservations('b', [observation({ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e', confidence: 50 })], 2);
      ioc = (await store.queryIocs({ status: 'all', limit: 1 })).items[0]!;
      assert.equal(ioc.score, 70);
      assert.equal(ioc.tlp, 'green');
    }));

    it('walks every IOC exactly once by keyset, in added order, whatever the page size', withStore(async (store) => {
      await store.upsertSource(source({ id: 'a' }));
      const values = Array.from({ length: 257 }, (_, i) => `203.0.${Math.floor(i / 200)}.${i % 200}`);
      // Several batches share one added_at: the row id breaks ties.
      for (let i = 0; i < values.length; i += 50) {
        await store.upsertObservations('a', values.slice(i, i + 50).map((value) => observation({ type: 'ipv4', value })), 1000 + Math.floor(i / 100));
      }
      for (const limit of [1, 7, 100, 1000]) {
        const all = await walk(store, {}, limit);
        assert.deepEqual(all.map((i) => i.value), values, `limit ${limit}`);
      }
    }));

    it('filters by type, since, sector, source, band, status and value, alone and combined', withStore(async (store) => {
      await store.upsertSource(source({ id: 'hi', reliability: 0.9 }));
      await store.upsertSource(source({ id: 'lo', reliability: 0.2 }));
      await store.upsertObservations('hi', [
        observation({ type: 'ipv4', value: '203.0.113.1', sectors: ['energy'] }),
        observation({ type: 'domain', value: 'a.example', sectors: ['energy', 'dams'] }),
        observation({ type: 'url', value: 'http://a.example/x' }),
      ], 100);
      await store.upsertObservations('lo', [
        observation({ type: 'ipv4', value: '203.0.113.2', sectors: ['dams'] }),
        observation({ type: 'sha256', value: 'a'.repeat(64) }),
      ], 200);
      await store.upsertObservations('lo', [observation({ type: 'ipv4', value: '203.0.113.1' })], 300);
      const values = async (q: Partial<IocQuery>, limit = 2) => (await walk(store, q, limit)).map((i) => i.value);
      assert.deepEqual(await values({ types: ['ipv4'] }), ['203.0.113.1', '203.0.113.2']);
      assert.deepEqual(await values({ types: ['ipv4', 'sha256'] }), ['203.0.113.1', '203.0.113.2', 'a'.repeat(64)]);
      assert.deepEqual(await values({ since: 100 }), ['203.0.113.2', 'a'.repeat(64)]);
      assert.deepEqual(await values({ since: 99 }, 1), ['203.0.113.1', 'a.example', 'http://a.example/x', '203.0.113.2', 'a'.repeat(64)]);
      assert.deepEqual(await values({ sector: 'energy' }), ['203.0.113.1', 'a.example']);
      assert.deepEqual(await values({ sector: 'dams' }, 1), ['a.example', '203.0.113.2']);
      assert.deepEqual(await values({ source: 'lo' }), ['203.0.113.1', '203.0.113.2', 'a'.repeat(64)]);
      assert.deepEqual(await values({ source: 'lo', sector: 'energy' }), ['203.0.113.1']);
      assert.deepEqual(await values({ source: 'lo', types: ['ipv4'], since: 150 }), ['203.0.113.2']);
      assert.deepEqual(await values({ band: 'low' }), ['203.0.113.2', 'a'.repeat(64)]);
      assert.deepEqual(await values({ band: 'high' }), ['203.0.113.1', 'a.example', 'http://a.example/x']);
      assert.deepEqual(await values({ band: 'medium' }), []);
      assert.deepEqual(await values({ value: 'a.example', types: ['domain'] }), ['a.example']);
      assert.deepEqual(await values({ status: 'revoked' }), []);
      assert.deepEqual(await values({ types: [] }), []);
      assert.deepEqual(await values({ sector: 'nuclear' }), []);
    }));

    it('appends a STIX version for a new IOC and for changes a consumer acts on, never for the rest', withStore(async (store) => {
      await store.upsertSource(source({ id: 'a', reliability: 0.6 }));
      await store.upsertSource(source({ id: 'b', reliability: 0.5 }));
      const day = 86_400_000;
      const t0 = Date.UTC(2026, 4, 17);
      const obs = (over: Partial<Parameters<typeof observation>[0]> = {}) => observation({ type: 'domain', value: 'evil.example', firstSeen: t0, lastSeen: t0, ...over });
      await store.upsertObservations('a', [obs()], t0);
      const id = (await store.queryIocs({ status: 'all', limit: 1 })).items[0]!.id;
      const versions = async () => store.listVersions(id);
      let v = await versions();
      assert.equal(v.length, 1);
      const first = JSON.parse(v[0]!.json);
      assert.equal(first.id, id);
      assert.equal(first.type, 'indicator');
      assert.equal(first.pattern, "[domain-name:value = 'evil.example']");
      assert.equal(first.created, first.modified);
      assert.equal(v[0]!.latest, true);

      // Same data again, and a later sighting within the same week of valid_until: no version.
      await store.upsertObservations('a', [obs()], t0 + 1000);
      await store.upsertObservations('a', [obs({ lastSeen: t0 + 1000 })], t0 + 2000);
      assert.equal((await versions()).length, 1);

      // A new tag: a version, same id, later modified, the old one no longer latest.
      await store.upsertObservations('a', [obs({ tags: ['phishing'] })], t0 + 3000);
      v = await versions();
      assert.equal(v.length, 2);
      const second = JSON.parse(v[1]!.json);
      assert.equal(second.id, id);
      assert.equal(second.created, first.created);
      assert.ok(second.modified > first.modified);
      assert.deepEqual(second.labels, ['phishing']);
      assert.deepEqual(v.map((x) => x.latest), [false, true]);

      // A second source moves the score 60 → 80 (band and ≥ 5): a version naming both sources.
      await store.upsertObservations('b', [obs()], t0 + 4000);
      v = await versions();
      assert.equal(v.length, 3);
      const third = JSON.parse(v[2]!.json);
      assert.equal(third.confidence, 80);
      assert.deepEqual(third.external_references.map((r: { source_name: string }) => r.source_name), ['a', 'b']);

      // valid_until moving to a later week: a version.
      await store.upsertObservations('a', [obs({ lastSeen: t0 + 30 * day })], t0 + 5000);
      assert.equal((await versions()).length, 4);

      // Withdrawn: a final revoked version; seen again: a new object, the old history kept.
      assert.equal(await store.revokeIocs([id], t0 + 6000), 1);
      assert.equal(await store.revokeIocs([id], t0 + 6001), 0);
      v = await versions();
      assert.equal(v.length, 5);
      assert.equal(JSON.parse(v[4]!.json).revoked, true);
      assert.equal(v[4]!.revoked, true);
      assert.deepEqual((await store.queryIocs({ status: 'revoked', limit: 5 })).items.map((i) => i.id), [id]);
      await store.upsertObservations('a', [obs({ lastSeen: t0 + 40 * day })], t0 + 7000);
      const again = (await store.queryIocs({ status: 'active', limit: 5 })).items;
      assert.equal(again.length, 1);
      assert.notEqual(again[0]!.id, id);
      assert.equal((await store.listVersions(again[0]!.id)).length, 1);
      assert.equal((await versions()).length, 5);
      const dates = v.map((x) => x.dateAdded);
      assert.deepEqual([...dates].sort((a, b) => a - b), dates);
    }));

    it('date_added is strictly increasing µs, even for thousands of versions in one millisecond', withStore(async (store) => {
      await store.upsertSource(source({ id: 'a' }));
      const now = Date.UTC(2026, 4, 17);
      await store.upsertObservations('a', Array.from({ length: 3000 }, (_, i) => observation({ type: 'ipv4', value: `198.18.${i >> 8}.${i & 255}` })), now);
      const items = [];
      for (let page = await store.queryIocs({ status: 'all', limit: 1000 }); ; ) {
        items.push(...page.items);
        if (!page.next) break;
        page = await store.queryIocs({ status: 'all', limit: 1000, after: page.next });
      }
      const dates = [];
      for (const ioc of items) dates.push((await store.listVersions(ioc.id))[0]!.dateAdded);
      assert.equal(dates.length, 3000);
      for (let i = 1; i < dates.length; i++) assert.ok(dates[i]! > dates[i - 1]!, `date_added ${i}`);
      assert.ok(dates[0]! >= now * 1000);
    }));

    it('pages the latest STIX objects of redistributable IOCs by keyset, and knows the TLP levels in use', withStore(async (store) => {
      await store.upsertSource(source({ id: 'open', tlp: 'green' }));
      await store.upsertSource(source({ id: 'closed', redistributable: false, tlp: 'amber' }));
      await store.upsertObservations('open', Array.from({ length: 7 }, (_, i) => observation({ type: 'ipv4', value: `203.0.113.${i}` })), 1);
      await store.upsertObservations('closed', [observation({ type: 'ipv4', value: '198.51.100.200' })], 2);
      await store.upsertObservations('open', [observation({ type: 'ipv4', value: '203.0.113.0', tags: ['c2'] })], 3);
      const ids: string[] = [];
      let after: IocQuery['after'];
      for (;;) {
        const page = await store.pageStixObjects({ status: 'active', limit: 3, ...(after ? { after } : {}) });
        ids.push(...page.objects.map((j) => JSON.parse(j).id as string));
        if (page.objects[0] && ids.length === page.objects.length) assert.deepEqual(JSON.parse(page.objects[0]).labels, ['c2'], 'the latest version');
        if (!page.next) break;
        after = page.next;
      }
      const expected = (await store.queryIocs({ status: 'active', limit: 100 })).items.filter((i) => i.redistributable).map((i) => i.id);
      assert.deepEqual(ids, expected);
      assert.equal(ids.length, 7);
      assert.deepEqual(await store.tlpLevelsInUse(), ['green']);
      assert.deepEqual((await store.pageStixObjects({ status: 'active', limit: 10, types: ['url'] })).objects, []);
    }));

    it('knows every TLP level a redistributable IOC carries, in TLP order, and none that only others carry', withStore(async (store) => {
      assert.deepEqual(await store.tlpLevelsInUse(), []);
      await store.upsertSource(source({ id: 'open', tlp: 'clear' }));
      await store.upsertSource(source({ id: 'closed', redistributable: false, tlp: 'amber' }));
      await store.upsertObservations('closed', [observation({ type: 'ipv4', value: '198.51.100.1', tlp: 'red' })], 1);
      await store.upsertObservations('open', [
        observation({ type: 'ipv4', value: '203.0.113.1', tlp: 'amber+strict' }),
        observation({ type: 'ipv4', value: '203.0.113.2' }),
      ], 2);
      assert.deepEqual(await store.tlpLevelsInUse(), ['clear', 'amber+strict']);
      await store.upsertObservations('open', [observation({ type: 'domain', value: 'green.example', tlp: 'green' })], 3);
      assert.deepEqual(await store.tlpLevelsInUse(), ['clear', 'green', 'amber+strict']);
    }));

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

    it('stores accounts and keys by hash, revokes them and records last use in one write', withStore(async (store) => {
      assert.equal(await store.countAccounts(), 0);
      const acct = await store.createAccount('Analyst@Example.com', 'pro', 10);
      assert.equal((await store.findAccountByEmail('analyst@example.com'))?.id, acct.id);
      await assert.rejects(store.createAccount('ANALYST@example.com', 'free', 11));
      const hash = hashApiKey('sk_live_' + 'a'.repeat(40));
      const key = await store.insertApiKey({ accountId: acct.id, prefix: 'sk_live_aaaaaaaa', hash, name: 'siem', createdAt: 12 });
      const found = await store.findApiKeyByHash(hash);
      assert.equal(found?.id, key.id);
      assert.equal(found?.plan, 'pro');
      assert.equal(found?.email, 'Analyst@Example.com');
      assert.equal(await store.findApiKeyByHash(hashApiKey('sk_live_other')), undefined);
      assert.equal(await store.touchApiKeys(new Map([[key.id, 500]]), { bestEffort: true }), true);
      await store.touchApiKeys(new Map([[key.id, 400]]));
      assert.equal((await store.listApiKeys())[0]?.lastUsedAt, 500);
      await store.setAccountPlan(acct.id, 'free');
      assert.equal((await store.findApiKeyByHash(hash))?.plan, 'free');
      assert.equal(await store.revokeApiKey('sk_live_aaaaaaaa', 600), true);
      assert.equal(await store.revokeApiKey('sk_live_aaaaaaaa', 700), false);
      assert.equal((await store.findApiKeyByHash(hash))?.revokedAt, 600);
      assert.equal(await store.revokeApiKey('sk_live_nope', 700), false);
    }));

    describe('leases: one holder at a time across processes', () => {
      it('a holder takes a free lease and renews it; another is refused until it lapses or is given up', withStore(async (store) => {
        const t = Date.UTC(2026, 10, 1);
        assert.equal(await store.tryLease('ingest', 'node-a', 90_000, t), true);
        assert.equal(await store.tryLease('ingest', 'node-b', 90_000, t + 1000), false);
        assert.equal(await store.tryLease('ingest', 'node-a', 90_000, t + 60_000), true, 'renewal');
        assert.equal(await store.tryLease('ingest', 'node-b', 90_000, t + 120_000), false, 'the renewal moved the expiry');
        assert.equal(await store.tryLease('other', 'node-b', 90_000, t + 120_000), true, 'leases are independent by name');
        assert.equal(await store.tryLease('ingest', 'node-b', 90_000, t + 150_001), true, 'lapsed: taken over');
        assert.equal(await store.tryLease('ingest', 'node-a', 90_000, t + 150_002), false);
        await store.releaseLease('ingest', 'node-a');
        assert.equal(await store.tryLease('ingest', 'node-a', 90_000, t + 150_003), false, 'only the holder releases');
        await store.releaseLease('ingest', 'node-b');
        assert.equal(await store.tryLease('ingest', 'node-a', 90_000, t + 150_004), true, 'given up: free at once');
      }));
    });

    describe('ingestion: runs, delisting, decay', () => {
      const HOUR = 3_600_000;
      const DAY = 86_400_000;
      const T0 = Date.UTC(2026, 4, 17, 12);
      const byValue = async (store: TestStore, value: string) => {
        const ioc = (await store.queryIocs({ status: 'all', value, limit: 1 })).items[0];
        assert.ok(ioc, `${value} is stored`);
        return ioc;
      };
      const sightingBy = async (store: TestStore, id: string, src: string) => {
        const s = (await store.getIoc(id))?.sightings.find((x) => x.source === src);
        assert.ok(s, `${id} has a sighting by ${src}`);
        return s;
      };
      const ip = (value: string, lastSeen = T0, over: Partial<Observation> = {}) =>
        observation({ type: 'ipv4', value, firstSeen: lastSeen, lastSeen, ...over });
      const zero = { records: 0, inserted: 0, updated: 0, unchanged: 0, delisted: 0, rejected: 0, bytes: 0, error: null, etag: null, lastModified: null };

      it('records runs: the fields round-trip, the latest of each source, the last with given outcomes', withStore(async (store) => {
        await store.upsertSource(source({ id: 'a' }));
        await store.upsertSource(source({ id: 'b' }));
        const r1 = await store.startRun('a', T0);
        assert.deepEqual(await store.lastRun('a', ['running']), { id: r1, sourceId: 'a', startedAt: T0, finishedAt: null, outcome: 'running', ...zero });
        const ok: RunResult = {
          outcome: 'ok', records: 12, inserted: 7, updated: 3, unchanged: 1, delisted: 2, rejected: 1, bytes: 4096, error: null,
          etag: '"v1"', lastModified: 'Sun, 17 May 2026 11:00:00 GMT', finishedAt: T0 + 1500,
        };
        await store.finishRun(r1, ok);
        assert.deepEqual(await store.lastRun('a', ['ok']), { id: r1, sourceId: 'a', startedAt: T0, ...ok });
        assert.equal(await store.lastRun('a', ['running']), undefined, 'a finished run is no longer running');

        const r2 = await store.startRun('a', T0 + HOUR);
        const failed: RunResult = { ...zero, outcome: 'failed', records: 3, rejected: 3, error: 'http: HTTP 500 after 2 attempts', finishedAt: T0 + HOUR + 20 };
        await store.finishRun(r2, failed);
        const r3 = await store.startRun('b', T0 + 2 * HOUR);
        const unchanged: RunResult = { ...zero, outcome: 'not-modified', etag: '"b7"', finishedAt: T0 + 2 * HOUR + 5 };
        await store.finishRun(r3, unchanged);
        assert.equal(new Set([r1, r2, r3]).size, 3, 'every run has its own id');

        const latest = (await store.latestRuns()).sort((x, y) => x.sourceId.localeCompare(y.sourceId));
        assert.deepEqual(latest, [
          { id: r2, sourceId: 'a', startedAt: T0 + HOUR, ...failed },
          { id: r3, sourceId: 'b', startedAt: T0 + 2 * HOUR, ...unchanged },
        ]);
        assert.equal((await store.lastRun('a', ['ok']))?.id, r1, 'the failure after it does not hide the last success');
        assert.equal((await store.lastRun('a', ['failed']))?.id, r2);
        assert.equal((await store.lastRun('a', ['ok', 'not-modified']))?.id, r1);
        assert.equal((await store.lastRun('a', ['ok', 'failed']))?.id, r2, 'the latest of several outcomes');
        assert.equal(await store.lastRun('a', ['skipped']), undefined);
        assert.equal(await store.lastRun('a', ['not-modified']), undefined, 'outcomes of another source do not count');
        assert.equal((await store.lastRun('b', ['not-modified']))?.etag, '"b7"');
        assert.equal(await store.lastRun('c', ['ok', 'failed', 'running']), undefined, 'a source without runs');
      }));

      it('startRun fails the interrupted running run of the same source, and only that one', withStore(async (store) => {
        await store.upsertSource(source({ id: 'a' }));
        await store.upsertSource(source({ id: 'b' }));
        const a0 = await store.startRun('a', T0 - HOUR);
        await store.finishRun(a0, { ...zero, outcome: 'ok', inserted: 4, finishedAt: T0 - HOUR + 10 });
        const a1 = await store.startRun('a', T0);
        const b1 = await store.startRun('b', T0);
        const a2 = await store.startRun('a', T0 + HOUR);

        const interrupted = await store.lastRun('a', ['failed']);
        assert.equal(interrupted?.id, a1);
        assert.equal(interrupted.startedAt, T0);
        assert.match(interrupted.error ?? '', /interrupted/);
        assert.equal((await store.lastRun('a', ['running']))?.id, a2, 'the new run is the running one');
        const done = await store.lastRun('a', ['ok']);
        assert.equal(done?.id, a0, 'a finished run is left alone');
        assert.equal(done.error, null);
        assert.equal(done.inserted, 4);
        assert.equal((await store.lastRun('b', ['running']))?.id, b1, "another source's running run is left alone");
        assert.equal(await store.lastRun('b', ['failed']), undefined);
        const latest = (await store.latestRuns()).sort((x, y) => x.sourceId.localeCompare(y.sourceId));
        assert.deepEqual(latest.map((r) => [r.sourceId, r.id, r.outcome]), [['a', a2, 'running'], ['b', b1, 'running']]);
      }));

      it('endUnseenSightings ends what a complete snapshot no longer lists and revokes what nothing else lists', withStore(async (store) => {
        await store.upsertSource(source({ id: 'snap', reliability: 0.8 }));
        const [A, B, C] = ['203.0.113.10', '203.0.113.11', '203.0.113.12'];
        const r1 = await store.startRun('snap', T0);
        assert.deepEqual(await store.upsertObservations('snap', [ip(A), ip(B), ip(C)], T0, { run: r1 }), { inserted: 3, updated: 0, unchanged: 0, ignored: 0 });
        assert.equal(await store.endUnseenSightings('snap', r1, T0), 0, 'a run that saw everything delists nothing');
        const before = new Map<string, { ioc: Ioc; versions: number }>();
        for (const v of [A, B, C]) {
          const ioc = await byValue(store, v);
          before.set(v, { ioc, versions: (await store.listVersions(ioc.id)).length });
        }

        const t1 = T0 + HOUR;
        const r2 = await store.startRun('snap', t1);
        assert.deepEqual(await store.upsertObservations('snap', [ip(A), ip(B)], t1, { run: r2 }), { inserted: 0, updated: 0, unchanged: 2, ignored: 0 });
        assert.equal(await store.endUnseenSightings('snap', r2, t1), 1);

        const cId = before.get(C)!.ioc.id;
        const c = await store.getIoc(cId);
        assert.equal(c?.status, 'revoked');
        assert.equal(c.sightings.length, 1);
        assert.equal(c.sightings[0]!.endedAt, t1, "C's sighting ends at the delisting");
        assert.deepEqual((await store.queryIocs({ status: 'revoked', limit: 10 })).items.map((i) => i.value), [C]);
        assert.deepEqual((await store.queryIocs({ status: 'active', limit: 10 })).items.map((i) => i.value), [A, B]);
        const versions = await store.listVersions(cId);
        assert.equal(versions.length, before.get(C)!.versions + 1, 'one final version');
        const last = versions.at(-1)!;
        assert.equal(last.revoked, true);
        assert.equal(last.latest, true);
        const json = JSON.parse(last.json);
        assert.equal(json.id, cId);
        assert.equal(json.revoked, true);

        for (const v of [A, B]) {
          const { ioc, versions: n } = before.get(v)!;
          assert.deepEqual(await byValue(store, v), ioc, `${v} unchanged`);
          assert.equal((await sightingBy(store, ioc.id, 'snap')).endedAt, null, `${v}: sighting live`);
          assert.equal((await store.listVersions(ioc.id)).length, n, `${v}: no new version`);
        }
        assert.equal(await store.endUnseenSightings('snap', r2, t1 + 1), 0, 'an ended sighting is not ended twice');
      }));

      it('a value delisted by one source stays active on the evidence of the others', withStore(async (store) => {
        await store.upsertSource(source({ id: 's', reliability: 0.8 }));
        await store.upsertSource(source({ id: 't', name: 'Team list', reliability: 0.5 }));
        const [K, C2] = ['198.51.100.20', '198.51.100.22'];
        const r1 = await store.startRun('s', T0);
        await store.upsertObservations('s', [ip(K), ip(C2)], T0, { run: r1 });
        await store.upsertObservations('t', [ip(C2)], T0);
        const c2 = await byValue(store, C2);
        assert.equal(c2.score, 90); // 1 − 0.2 × 0.5

        const t1 = T0 + HOUR;
        const r2 = await store.startRun('s', t1);
        await store.upsertObservations('s', [ip(K)], t1, { run: r2 });
        assert.equal(await store.endUnseenSightings('s', r2, t1), 1);

        const after = await store.getIoc(c2.id);
        assert.equal(after?.status, 'active');
        assert.equal(after.id, c2.id, 'same STIX object');
        assert.equal(after.score, 50, "T's evidence alone");
        assert.equal(after.sightings.find((x) => x.source === 's')?.endedAt, t1);
        assert.equal(after.sightings.find((x) => x.source === 't')?.endedAt, null, "T's sighting is kept");
        assert.deepEqual((await store.queryIocs({ status: 'active', source: 't', limit: 10 })).items.map((i) => i.value), [C2]);
        const latest = (await store.listVersions(c2.id)).at(-1)!;
        assert.equal(latest.revoked, false);
        const json = JSON.parse(latest.json);
        assert.equal(json.confidence, 50, 'high → medium: a new version with the new score');
        assert.deepEqual(json.external_references.map((r: { source_name: string }) => r.source_name), ['t'], 'names only the live source');
      }));

      it('a delisted value listed again comes back active as a new STIX object (revoked is final)', withStore(async (store) => {
        await store.upsertSource(source({ id: 'snap' }));
        const [K, C] = ['203.0.113.30', '203.0.113.31'];
        const r1 = await store.startRun('snap', T0);
        await store.upsertObservations('snap', [ip(K), ip(C)], T0, { run: r1 });
        const old = await byValue(store, C);
        const r2 = await store.startRun('snap', T0 + HOUR);
        await store.upsertObservations('snap', [ip(K)], T0 + HOUR, { run: r2 });
        assert.equal(await store.endUnseenSightings('snap', r2, T0 + HOUR), 1);
        assert.equal((await byValue(store, C)).status, 'revoked');
        const oldVersions = await store.listVersions(old.id);

        const t3 = T0 + 2 * DAY;
        const r3 = await store.startRun('snap', t3);
        assert.deepEqual(await store.upsertObservations('snap', [ip(K, t3), ip(C, t3)], t3, { run: r3 }), { inserted: 0, updated: 2, unchanged: 0, ignored: 0 });
        assert.equal(await store.endUnseenSightings('snap', r3, t3), 0);
        const back = await byValue(store, C);
        assert.equal(back.status, 'active');
        assert.notEqual(back.id, old.id, 'a new STIX id');
        assert.match(back.id, /^indicator--/);
        assert.equal(back.lastSeen, t3);
        assert.equal((await sightingBy(store, back.id, 'snap')).endedAt, null, 'the sighting is live again');
        const fresh = await store.listVersions(back.id);
        assert.equal(fresh.length, 1);
        assert.equal(fresh[0]!.revoked, false);
        assert.deepEqual(await store.listVersions(old.id), oldVersions, 'the revoked object keeps its history, revoked last');
        assert.equal(oldVersions.at(-1)!.revoked, true);
        assert.equal(await store.countIocs(), 2, 'still one IOC per value');
        assert.deepEqual((await store.queryIocs({ status: 'revoked', limit: 10 })).items, []);
      }));

      it('relistSource sees the live sightings again now and marks them with the run; ended ones stay ended', withStore(async (store) => {
        await store.upsertSource(source({ id: 'snap', reliability: 0.8 }));
        await store.upsertSource(source({ id: 'other' }));
        const [A, B, C, D] = ['192.0.2.40', '192.0.2.41', '192.0.2.42', '192.0.2.43'];
        const r1 = await store.startRun('snap', T0);
        await store.upsertObservations('snap', [ip(A), ip(B), ip(C)], T0, { run: r1 });
        await store.upsertObservations('other', [ip(D)], T0);
        const ended = T0 + HOUR;
        const r2 = await store.startRun('snap', ended);
        await store.upsertObservations('snap', [ip(A), ip(B)], ended, { run: r2 });
        assert.equal(await store.endUnseenSightings('snap', r2, ended), 1);
        const validBefore = (await byValue(store, A)).validUntil;

        const t2 = T0 + 10 * DAY;
        const r3 = await store.startRun('snap', t2);
        assert.deepEqual(await store.relistSource('snap', r3, t2), { inserted: 0, updated: 2, unchanged: 0, ignored: 0 });
        for (const v of [A, B]) {
          const ioc = await byValue(store, v);
          assert.equal(ioc.status, 'active', v);
          assert.equal(ioc.lastSeen, t2, `${v}: lastSeen is now`);
          assert.equal(ioc.score, 80, `${v}: seen now, no decay`);
          assert.equal(ioc.validUntil, validUntil(80, 'ipv4', t2), `${v}: validity refreshed from now`);
          assert.ok(ioc.validUntil > validBefore);
          const s = await sightingBy(store, ioc.id, 'snap');
          assert.equal(s.lastSeen, t2);
          assert.equal(s.endedAt, null);
        }
        const c = await byValue(store, C);
        assert.equal(c.status, 'revoked', 'an ended sighting is not revived');
        assert.equal(c.lastSeen, T0);
        const cs = await sightingBy(store, c.id, 'snap');
        assert.equal(cs.endedAt, ended);
        assert.equal(cs.lastSeen, T0);
        assert.equal((await byValue(store, D)).lastSeen, T0, "another source's sightings are not touched");
        assert.equal(await store.endUnseenSightings('snap', r3, t2), 0, 'the relisting marked the run: nothing to delist after it');
      }));

      it('relistSource keeps the TLP the listing gave (a 304 brings nothing new)', withStore(async (store) => {
        await store.upsertSource(source({ id: 'snap', tlp: 'clear' }));
        const r1 = await store.startRun('snap', T0);
        await store.upsertObservations('snap', [ip('192.0.2.60', T0, { tlp: 'amber' })], T0, { run: r1 });
        const before = await byValue(store, '192.0.2.60');
        assert.equal(before.tlp, 'amber');
        const r2 = await store.startRun('snap', T0 + HOUR);
        await store.relistSource('snap', r2, T0 + HOUR);
        const after = await byValue(store, '192.0.2.60');
        assert.equal(after.lastSeen, T0 + HOUR);
        assert.equal(after.tlp, 'amber', 'not relaxed to the source default by a relisting');
        assert.equal((await store.listVersions(after.id)).length, 1, 'a lastSeen within the week is no version');
      }));

      it('decayIocs ages scores, revokes the expired, versions only band changes and revocations, and is idempotent', withStore(async (store) => {
        await store.upsertSource(source({ id: 'feed', reliability: 0.8 }));
        await store.upsertSource(source({ id: 'kev', reliability: 0.8, noDecay: true }));
        const cases = [
          { name: 'fresh ip, high → medium', source: 'feed', type: 'ipv4', value: '198.51.100.1', lastSeen: T0 },
          { name: 'older ip, high → medium', source: 'feed', type: 'ipv4', value: '198.51.100.2', lastSeen: T0 - 5 * DAY },
          { name: 'fresh domain, not moved', source: 'feed', type: 'domain', value: 'fresh.example', lastSeen: T0 },
          { name: 'old domain, moved within high', source: 'feed', type: 'domain', value: 'aging.example', lastSeen: T0 - 60 * DAY },
          { name: 'ip past valid_until', source: 'feed', type: 'ipv4', value: '198.51.100.5', lastSeen: T0 - 25 * DAY },
          { name: 'noDecay cve', source: 'kev', type: 'cve', value: 'CVE-2024-3094', lastSeen: T0 - 30 * DAY },
        ] as const;
        for (const c of cases) {
          await store.upsertObservations(c.source, [observation({ type: c.type, value: c.value, firstSeen: c.lastSeen, lastSeen: c.lastSeen })], T0);
        }
        const noDecay = (c: (typeof cases)[number]) => c.source === 'kev';
        const ids = new Map<string, string>();
        for (const c of cases) {
          const ioc = await byValue(store, c.value);
          ids.set(c.value, ioc.id);
          assert.equal(ioc.score, decayedScore(80, c.type, c.lastSeen, T0, noDecay(c)), `${c.name}: aged on write`);
          assert.equal(ioc.validUntil, validUntil(80, c.type, c.lastSeen, noDecay(c)), c.name);
          assert.equal((await store.listVersions(ioc.id)).length, 1);
        }
        const before = new Map((await store.queryIocs({ status: 'all', limit: 100 })).items.map((i) => [i.value, i]));
        assert.equal(before.get('CVE-2024-3094')!.validUntil, NO_EXPIRY);

        const T = T0 + 20 * DAY;
        assert.deepEqual(await store.decayIocs(T), { rescored: 3, revoked: 1, versions: 3 });
        const versionsOf = async (value: string) => store.listVersions(ids.get(value)!);
        for (const c of cases) {
          const ioc = await byValue(store, c.value);
          const expired = T >= validUntil(80, c.type, c.lastSeen, noDecay(c));
          assert.equal(ioc.status, expired ? 'revoked' : 'active', c.name);
          if (!expired) assert.equal(ioc.score, decayedScore(80, c.type, c.lastSeen, T, noDecay(c)), c.name);
        }
        // Each case's expectation, stated plainly (the formula above could hide a wrong premise).
        assert.deepEqual(cases.map((c) => before.get(c.value)!.score), [80, 79, 80, 77, 57, 80]);
        const after = new Map((await store.queryIocs({ status: 'all', limit: 100 })).items.map((i) => [i.value, i]));
        assert.deepEqual(cases.map((c) => after.get(c.value)!.score).slice(0, 4), [66, 57, 80, 74]);
        assert.deepEqual(cases.map((c) => after.get(c.value)!.status), ['active', 'active', 'active', 'active', 'revoked', 'active']);

        const v1 = await versionsOf('198.51.100.1');
        assert.equal(v1.length, 2, 'crossing high → medium appends one version');
        assert.equal(JSON.parse(v1[1]!.json).confidence, 66);
        assert.equal((await versionsOf('198.51.100.2')).length, 2);
        assert.equal((await versionsOf('fresh.example')).length, 1);
        assert.equal((await versionsOf('aging.example')).length, 1, 'decay within the high band: no version, though the stored score moved 77 → 74');
        const expired = await versionsOf('198.51.100.5');
        assert.equal(expired.length, 2);
        assert.equal(expired[1]!.revoked, true);
        assert.equal(JSON.parse(expired[1]!.json).revoked, true);
        const kev = after.get('CVE-2024-3094')!;
        assert.equal(kev.score, 80, 'noDecay keeps the base score');
        assert.equal(kev.validUntil, NO_EXPIRY);
        assert.equal((await versionsOf('CVE-2024-3094')).length, 1);

        assert.deepEqual(await store.decayIocs(T), { rescored: 0, revoked: 0, versions: 0 }, 'a second pass at the same clock changes nothing');
        assert.deepEqual((await store.queryIocs({ status: 'all', limit: 100 })).items, [...after.values()]);

        // Years later: everything that decays is past its validity; the noDecay CVE is not.
        assert.deepEqual(await store.decayIocs(T + 2000 * DAY), { rescored: 0, revoked: 4, versions: 4 });
        const late = await byValue(store, 'CVE-2024-3094');
        assert.equal(late.status, 'active');
        assert.equal(late.score, 80);
        assert.equal(late.validUntil, NO_EXPIRY);
        assert.deepEqual((await store.queryIocs({ status: 'active', limit: 100 })).items.map((i) => i.value), ['CVE-2024-3094']);
      }));

      it('decay versions an IOC once when it leaves its band, never while it moves inside it', withStore(async (store) => {
        await store.upsertSource(source({ id: 'feed', reliability: 0.8 }));
        await store.upsertObservations('feed', [observation({ type: 'domain', value: 'slow.example', firstSeen: T0, lastSeen: T0 })], T0);
        const id = (await byValue(store, 'slow.example')).id;
        // domain: 300 days; 80 × (1 − (age/300)²) stays ≥ 70 (high) up to ~108 days.
        // [age in days, score, versions appended by the pass, versions in all]
        const steps: Array<[number, number, number, number]> = [[30, 79, 0, 1], [60, 77, 0, 1], [90, 73, 0, 1], [100, 71, 0, 1], [120, 67, 1, 2], [130, 65, 0, 2]];
        for (const [days, score, appended, versions] of steps) {
          const now = T0 + days * DAY;
          assert.equal(decayedScore(80, 'domain', T0, now), score);
          assert.deepEqual(await store.decayIocs(now), { rescored: 1, revoked: 0, versions: appended }, `day ${days}`);
          const ioc = await byValue(store, 'slow.example');
          assert.equal(ioc.score, score, `day ${days}: the stored score moves`);
          assert.equal((await store.listVersions(id)).length, versions, `day ${days}`);
        }
        assert.equal(JSON.parse((await store.listVersions(id)).at(-1)!.json).confidence, 67, 'the version carries the score at the crossing');
      }));

      it('enrichOnly adds evidence to existing IOCs and creates none', withStore(async (store) => {
        const t = Date.UTC(2026, 4, 17);
        await store.upsertSource(source({ id: 'kev', reliability: 0.8 }));
        await store.upsertSource(source({ id: 'epss', reliability: 0.5 }));
        await store.upsertObservations('kev', [observation({ type: 'cve', value: 'CVE-2024-3094' })], t);
        const before = await byValue(store, 'CVE-2024-3094');
        assert.equal(before.score, 80);
        const r = await store.upsertObservations('epss', [
          observation({ type: 'cve', value: 'CVE-2024-3094' }),
          observation({ type: 'cve', value: 'CVE-2023-4966' }),
          observation({ type: 'ipv4', value: '198.51.100.77' }),
        ], t + 1000, { enrichOnly: true });
        assert.deepEqual(r, { inserted: 0, updated: 1, unchanged: 0, ignored: 2 });
        assert.equal(await store.countIocs(), 1);
        assert.deepEqual((await store.queryIocs({ status: 'all', value: 'CVE-2023-4966', limit: 1 })).items, []);
        assert.deepEqual((await store.queryIocs({ status: 'all', source: 'epss', limit: 10 })).items.map((i) => i.value), ['CVE-2024-3094']);
        const after = await store.getIoc(before.id);
        assert.deepEqual(after?.sightings.map((s) => s.source), ['epss', 'kev']);
        assert.equal(after.score, 90, 'the score rises: 1 − 0.2 × 0.5');

        async function* chunks() {
          yield [observation({ type: 'cve', value: 'CVE-2021-44228' }), observation({ type: 'cve', value: 'CVE-2024-3094' })];
          yield [observation({ type: 'domain', value: 'nothing.example' }), observation({ type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' })];
        }
        const streamed = await store.upsertObservationStream('epss', chunks(), { batchSize: 3, enrichOnly: true, clock: () => t + 2000 });
        assert.deepEqual(streamed, { inserted: 0, updated: 0, unchanged: 1, ignored: 3 });
        assert.equal(await store.countIocs(), 1);
      }));

      it('enrichOnly does not bring a revoked IOC back', withStore(async (store) => {
        await store.upsertSource(source({ id: 'kev', reliability: 0.8 }));
        await store.upsertSource(source({ id: 'epss', reliability: 0.5 }));
        const t = Date.UTC(2026, 4, 17);
        await store.upsertObservations('kev', [observation({ type: 'cve', value: 'CVE-2024-3094' })], t);
        const ioc = await byValue(store, 'CVE-2024-3094');
        assert.equal(await store.revokeIocs([ioc.id], t + 1000), 1);
        const r = await store.upsertObservations('epss', [observation({ type: 'cve', value: 'CVE-2024-3094' })], t + 2000, { enrichOnly: true });
        const after = await byValue(store, 'CVE-2024-3094');
        assert.equal(after.status, 'revoked', 'withdrawn stays withdrawn');
        assert.equal(after.id, ioc.id, 'no new STIX object');
        assert.equal(r.inserted, 0);
        assert.equal((await store.listVersions(ioc.id)).at(-1)!.revoked, true);
      }));

      it('the same snapshot written twice appends no version the second time', withStore(async (store) => {
        await store.upsertSource(source({ id: 'daily', reliability: 0.8 }));
        const seen = { firstSeen: T0 - 3 * DAY, lastSeen: T0 };
        const snapshot = [
          observation({ type: 'ipv4', value: '203.0.113.50', tags: ['scanner'], ...seen }),
          observation({ type: 'ipv4', value: '203.0.113.51', ...seen }),
          observation({ type: 'domain', value: 'daily.example', malware: ['asyncrat'], sectors: ['energy'], ...seen }),
          observation({ type: 'sha256', value: 'b'.repeat(64), confidence: 70, ...seen }),
        ];
        const log = async () => {
          let n = 0;
          let after: { dateAdded: number; seq: number } | undefined;
          for (;;) {
            const page = await store.pageLog({ collection: 'all-iocs', limit: 100, versions: { last: false, first: false, all: true, modified: [] }, after });
            n += page.items.length;
            if (!page.more) return n;
            const last = page.items.at(-1)!;
            after = { dateAdded: last.dateAdded, seq: last.seq };
          }
        };
        const versionCount = async () => {
          let n = 0;
          for (const i of (await store.queryIocs({ status: 'all', limit: 100 })).items) n += (await store.listVersions(i.id)).length;
          return n;
        };
        const r1 = await store.startRun('daily', T0 + HOUR);
        assert.deepEqual(await store.upsertObservations('daily', snapshot, T0 + HOUR, { run: r1 }), { inserted: 4, updated: 0, unchanged: 0, ignored: 0 });
        const iocs = (await store.queryIocs({ status: 'all', limit: 100 })).items;
        const logged = await log();
        assert.equal(await versionCount(), 4);

        const r2 = await store.startRun('daily', T0 + 2 * DAY);
        assert.deepEqual(await store.upsertObservations('daily', snapshot, T0 + 2 * DAY, { run: r2 }), { inserted: 0, updated: 0, unchanged: 4, ignored: 0 });
        assert.equal(await store.endUnseenSightings('daily', r2, T0 + 2 * DAY), 0);
        assert.equal(await versionCount(), 4, 'no version per IOC');
        assert.equal(await log(), logged, 'nothing appended to the log');
        assert.deepEqual((await store.queryIocs({ status: 'all', limit: 100 })).items, iocs);
      }));

      it('three independent sources outscore one; an aggregate adds nothing next to its components, counts alone', withStore(async (store) => {
        for (const id of ['s1', 's2', 's3']) await store.upsertSource(source({ id, reliability: 0.5 }));
        await store.upsertSource(source({ id: 'agg', reliability: 0.9, aggregate: true }));
        const score = async (value: string) => (await byValue(store, value)).score;
        await store.upsertObservations('s1', [ip('192.0.2.1'), ip('192.0.2.5')], T0);
        for (const s of ['s1', 's2', 's3']) await store.upsertObservations(s, [ip('192.0.2.3')], T0);
        assert.equal(await score('192.0.2.1'), 50);
        assert.equal(await score('192.0.2.3'), 88); // 1 − 0.5³
        assert.ok((await score('192.0.2.3')) > (await score('192.0.2.1')));

        await store.upsertObservations('agg', [ip('192.0.2.3'), ip('192.0.2.5'), ip('192.0.2.9')], T0);
        assert.equal(await score('192.0.2.3'), 88, 'next to three components');
        assert.equal(await score('192.0.2.5'), 50, 'next to one component');
        assert.equal(await score('192.0.2.9'), 90, 'alone, the aggregate counts');
        assert.equal((await store.getIoc((await byValue(store, '192.0.2.3')).id))?.sightings.length, 4, 'its sighting is still recorded');

        // The component delists 192.0.2.5: the aggregate is now its only evidence.
        const run = await store.startRun('s1', T0 + HOUR);
        await store.upsertObservations('s1', [ip('192.0.2.1'), ip('192.0.2.3')], T0 + HOUR, { run });
        assert.equal(await store.endUnseenSightings('s1', run, T0 + HOUR), 1);
        const five = await byValue(store, '192.0.2.5');
        assert.equal(five.status, 'active');
        assert.equal(five.score, 90);
      }));
    });
  });
}
