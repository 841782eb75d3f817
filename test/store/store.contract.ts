import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth/api-keys.js';
import type { Ioc, IocQuery, Observation } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';
import { ingestionContract } from './store-ingest.contract.js';
import { taxiiLogContract } from './store-taxii.contract.js';

/** A test of the contract, run on a fresh store that it closes after. */
export type WithStore = (fn: (s: TestStore) => Promise<void>) => () => Promise<void>;

/** A test body run on a new store, closed afterwards whatever happens (every contract file uses it). */
export const withStoreOf = (makeStore: () => Promise<TestStore>): WithStore => (fn) => async () => {
  const store = await makeStore();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
};

/**
 * The behaviour every Store implementation must show (with the test methods of test/support/stores.ts). Each
 * implementation's test file calls this with a factory that returns a fresh, migrated, empty store.
 */
export function storeContract(name: string, makeStore: () => Promise<TestStore>): void {
  const withStore = withStoreOf(makeStore);

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

    it('lists the same page as queryIocs with the lists written as JSON members, sources in order, for every filter', withStore(async (store) => {
      await store.upsertSource(source({ id: 'b-src' }));
      await store.upsertSource(source({ id: 'a-src' }));
      await store.upsertObservations('b-src', [
        observation({ type: 'url', value: 'http://x.example/<script>"q"', sectors: ['energy', 'dams'], tags: ['t"1', 'c2'], malware: ['emotet'] }),
        observation({ type: 'ipv4', value: '203.0.113.9' }),
      ], 100);
      await store.upsertObservations('a-src', [observation({ type: 'url', value: 'http://x.example/<script>"q"' })], 200);
      for (const q of [{}, { types: ['url' as const] }, { sector: 'dams' }, { source: 'a-src' }, { since: 100 }]) {
        for (const limit of [1, 5]) {
          const query = { status: 'active' as const, ...q, limit };
          const [listed, queried] = [await store.listIocs(query), await store.queryIocs(query)];
          assert.deepEqual(listed.next, queried.next);
          assert.deepEqual(listed.items.map(({ labelsJson, ...r }) => ({ ...r, ...(JSON.parse(`{${labelsJson}}`) as object) })),
            queried.items.map(({ updatedAt: _u, redistributable: _r, ...rest }) => rest));
          // Written as JSON.stringify writes the view's members, in its order, on both databases.
          for (const [i, r] of listed.items.entries()) {
            const q = queried.items[i]!;
            assert.equal(r.labelsJson, JSON.stringify({ sources: q.sources, tags: q.tags, malware: q.malware, sectors: q.sectors, tlp: q.tlp, status: q.status }).slice(1, -1));
          }
        }
      }
      const [url] = (await store.listIocs({ status: 'active', types: ['url'], limit: 1 })).items;
      assert.match(url!.labelsJson, /^"sources":\["a-src","b-src"\],"tags":\["c2","t\\"1"\],/);
      assert.deepEqual((await store.listIocs({ status: 'active', types: [], limit: 5 })).items, []);
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

    taxiiLogContract(withStore);

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

    ingestionContract(withStore);
  });
}
