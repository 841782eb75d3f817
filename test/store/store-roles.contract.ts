import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogQuery, SharedObject } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';
import { withStoreOf } from './store.contract.js';

/**
 * The methods of each store role that store.contract.ts does not reach: lifecycle, settings, sources, shared
 * objects, TAXII statuses and loads, accounts, the renderer and the watch of key changes. Run with the contract,
 * against each implementation.
 */
export function storeRolesContract(name: string, makeStore: () => Promise<TestStore>): void {
  const withStore = withStoreOf(makeStore);
  const now = Date.UTC(2026, 4, 17, 12);
  const LAST = { last: true, first: false, all: false, modified: [] as number[] };
  const ALL = { last: false, first: false, all: true, modified: [] as number[] };

  describe(`Store roles: ${name}`, () => {
    it('lifecycle: names its backend and answers a ping', withStore(async (store) => {
      assert.equal(store.kind, name.split(' ')[0]);
      await store.ping();
    }));

    it('settings: absent until set, then the last value set; getOrCreateSetting keeps what is there', withStore(async (store) => {
      assert.equal(await store.getSetting('colour'), undefined);
      await store.setSetting('colour', 'blue');
      assert.equal(await store.getSetting('colour'), 'blue');
      await store.setSetting('colour', 'green');
      assert.equal(await store.getSetting('colour'), 'green');
      assert.equal(await store.getOrCreateSetting('colour', () => 'red'), 'green');
      assert.equal(await store.getOrCreateSetting('shape', () => 'round'), 'round');
      assert.equal(await store.getOrCreateSetting('shape', () => 'square'), 'round', 'first writer wins');
    }));

    it('sources: listed in id order as registered, the last registration winning', withStore(async (store) => {
      assert.deepEqual(await store.listSources(), []);
      await store.upsertSource(source({ id: 'zeta', reliability: 0.5, noDecay: true }));
      await store.upsertSource(source({ id: 'alpha', redistributable: false, aggregate: true, tlp: 'amber' }));
      await store.upsertSource(source({ id: 'zeta', name: 'Zeta feed', reliability: 0.7 }));
      assert.deepEqual(await store.listSources(), [
        { id: 'alpha', name: 'alpha', reliability: 0.8, redistributable: false, aggregate: true, tlp: 'amber', noDecay: false },
        { id: 'zeta', name: 'Zeta feed', reliability: 0.7, redistributable: true, aggregate: false, tlp: 'clear', noDecay: false },
      ]);
    }));

    it('shared objects: put in every named collection once, again only when their JSON changes', withStore(async (store) => {
      const id = 'identity--7c7c7c7c-1d1d-4e1e-8f1f-2a2a2a2a2a2a';
      const shared = (json: string, modified: number): SharedObject => ({ stixId: id, type: 'identity', modified, json });
      const latest = (collection: string) =>
        store.pageLog({ collection, limit: 10, versions: LAST, ids: [id] }).then((p) => p.items.map((e) => [e.modified, e.json]));
      assert.equal(await store.ensureSharedObjects([shared('{"v":1}', 1000)], ['all-iocs', 'ips'], now), 1);
      assert.equal(await store.ensureSharedObjects([shared('{"v":1}', 1000)], ['all-iocs', 'ips'], now + 1), 0);
      assert.deepEqual(await latest('all-iocs'), [[1000, '{"v":1}']]);
      assert.deepEqual(await latest('ips'), [[1000, '{"v":1}']]);
      assert.deepEqual(await latest('urls'), []);
      assert.equal(await store.ensureSharedObjects([shared('{"v":2}', 2000)], ['all-iocs', 'ips'], now + 2), 1);
      assert.deepEqual(await latest('all-iocs'), [[2000, '{"v":2}']], 'the new version supersedes the old');
      const all = await store.pageLog({ collection: 'ips', limit: 10, versions: ALL, ids: [id] });
      assert.deepEqual(all.items.map((e) => e.modified), [1000, 2000]);
    }));

    it('TAXII statuses: kept with the account that made the request, pruned by age', withStore(async (store) => {
      const account = await store.createAccount('writer@example.com', 'pro', now);
      const status = { id: '5d5d5d5d-6e6e-4f7f-8a8a-9b9b9b9b9b9b', collection: 'team', accountId: account.id, json: '{"status":"complete"}' };
      await store.saveStatus(status, now, now - 86_400_000);
      assert.deepEqual(await store.getStatus(status.id), status);
      assert.equal(await store.getStatus('6e6e6e6e-7f7f-4a8a-8b9b-0c0c0c0c0c0c'), undefined);
      const later = { id: '7f7f7f7f-8a8a-4b9b-8c0c-1d1d1d1d1d1d', collection: 'team', accountId: null, json: '{"status":"pending"}' };
      await store.saveStatus(later, now + 2 * 86_400_000, now + 1);
      assert.equal(await store.getStatus(status.id), undefined, 'older than pruneBefore: gone');
      assert.deepEqual(await store.getStatus(later.id), later);
    }));

    it('TAXII statuses of any length come back whole, characters beyond the BMP included, and are pruned whole', withStore(async (store) => {
      // One entry per object, as a large POST's status: 2 MB of text, with 4-byte characters at every offset mod 2.
      const entries = Array.from({ length: 16_000 }, (_, i) => ({ id: `indicator--${String(i).padStart(8, '0')}-1b1b-4c2c-8d3d-4e4e4e4e4e4e`, message: i % 7 === 0 ? `é🦠${'x'.repeat(i % 3)}` : 'ok' }));
      const big = { id: '8a8a8a8a-9b9b-4c0c-8d1d-2e2e2e2e2e2e', collection: 'team', accountId: null, json: JSON.stringify({ status: 'complete', successes: entries }) };
      assert.ok(big.json.length > 1_000_000);
      await store.saveStatus(big, now, now - 86_400_000);
      const back = await store.getStatus(big.id);
      assert.equal(back?.json, big.json);
      assert.deepEqual(back, big);
      const later = { id: '9b9b9b9b-0c0c-4d1d-8e2e-3f3f3f3f3f3f', collection: 'team', accountId: null, json: '{"status":"pending"}' };
      await store.saveStatus(later, now + 2 * 86_400_000, now + 1);
      assert.equal(await store.getStatus(big.id), undefined, 'older than pruneBefore: gone');
      assert.deepEqual(await store.getStatus(later.id), later);
    }));

    it('TAXII load: roots, collections, statuses and the discovery document, again idempotently', withStore(async (store) => {
      const collection = '3c3c3c3c-4d4d-4e5e-8f6f-7a7a7a7a7a7a';
      const object = { stixId: 'malware--8b8b8b8b-9c9c-4d0d-8e1e-2f2f2f2f2f2f', type: 'malware', modified: 4000, specVersion: '2.1', json: '{"id":"x","revoked":true}' };
      const load = (title: string) => ({
        discovery: { title: 'Partner server' },
        roots: [{ name: 'partner', title, description: 'theirs', maxContentLength: 2048 }, { name: 'archive', title: 'Archive', description: null, maxContentLength: 10 }],
        collections: [{ id: collection, root: 'partner', title: 'Feed', description: null, alias: 'feed', canRead: true, canWrite: true, mediaTypes: null }],
        versions: [{ collection, object, dateAdded: 1_000_000 }, { collection, object: { ...object, stixId: 'tool--9c9c9c9c-0d0d-4e1e-8f2f-3a3a3a3a3a3a', modified: null, json: '{}' }, dateAdded: null }],
        statuses: [{ id: '1e1e1e1e-2f2f-4a3a-8b4b-5c5c5c5c5c5c', root: 'partner', json: '{"status":"complete"}' }],
      });
      assert.deepEqual(await store.loadedTaxiiRoots(), []);
      assert.deepEqual(await store.loadTaxii(load('Partner'), now), { versions: 2, duplicates: 0 });
      assert.deepEqual(await store.loadedTaxiiRoots(), [
        { name: 'archive', title: 'Archive', description: null, maxContentLength: 10 },
        { name: 'partner', title: 'Partner', description: 'theirs', maxContentLength: 2048 },
      ]);
      assert.deepEqual(await store.loadedTaxiiCollections(), [
        { id: collection, root: 'partner', title: 'Feed', description: null, alias: 'feed', canRead: true, canWrite: true, mediaTypes: null },
      ]);
      assert.deepEqual(await store.getStatus('1e1e1e1e-2f2f-4a3a-8b4b-5c5c5c5c5c5c'),
        { id: '1e1e1e1e-2f2f-4a3a-8b4b-5c5c5c5c5c5c', collection: 'partner', accountId: null, json: '{"status":"complete"}' });
      assert.deepEqual(JSON.parse((await store.getSetting('taxii_discovery'))!), { title: 'Partner server' });
      const q: LogQuery = { collection, limit: 10, versions: ALL };
      const first = (await store.pageLog(q)).items;
      assert.deepEqual(first.map((e) => [e.dateAdded, e.modified]).slice(0, 1), [[1_000_000, 4000]], 'date_added kept exactly');
      assert.equal(first[1]!.modified, Math.floor(first[1]!.dateAdded / 1000), 'no version of its own: the time it was added');
      // Loaded again: the versioned object is a duplicate; the roots take the new title.
      assert.deepEqual(await store.loadTaxii(load('Partner (renamed)'), now + 1), { versions: 1, duplicates: 1 });
      assert.equal((await store.loadedTaxiiRoots())[1]!.title, 'Partner (renamed)');
    }));

    it('accounts: listed in creation order with their current plan (admin: Pro plus the admin role)', withStore(async (store) => {
      assert.deepEqual(await store.listAccounts(), []);
      const a = await store.createAccount('a@example.com', 'free', now);
      const b = await store.createAccount('b@example.com', 'pro', now + 1);
      await store.setAccountPlan(a.id, 'admin');
      assert.deepEqual(await store.listAccounts(), [{ ...a, plan: 'pro', roles: ['admin'] }, b]);
    }));

    it('the version renderer set last renders the versions written after', withStore(async (store) => {
      await store.upsertSource(source({ id: 'feed' }));
      store.setVersionRenderer((v) => JSON.stringify({ rendered: 'custom', id: v.stixId, revoked: v.revoked }));
      await store.upsertObservations('feed', [observation({ type: 'domain', value: 'custom.example' })], now);
      const [ioc] = (await store.queryIocs({ status: 'all', limit: 1 })).items;
      assert.deepEqual((await store.listVersions(ioc!.id)).map((v) => JSON.parse(v.json)), [{ rendered: 'custom', id: ioc!.id, revoked: false }]);
    }));

    it('watching key changes, where the store can: reports that it watches, and stops', withStore(async (store) => {
      if (!store.watchKeyChanges) {
        assert.equal(store.kind, 'sqlite', 'only SQLite cannot announce changes across processes');
        return;
      }
      const seen: boolean[] = [];
      const stop = await store.watchKeyChanges((watching) => seen.push(watching));
      assert.deepEqual(seen, [true]);
      await stop();
    }));
  });
}
