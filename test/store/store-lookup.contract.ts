import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { LookupService } from '../../src/rest/lookup-service.js';
import type { Observation } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import type { TestStore } from '../support/stores.js';

/** The look-up role (store.ts IocLookup) and the containment built on it, against each implementation. */
export function storeLookupContract(name: string, makeStore: () => Promise<TestStore>): void {
  const now = Date.UTC(2026, 4, 17, 12);
  const withStore = (fn: (s: TestStore) => Promise<void>) => async () => {
    const store = await makeStore();
    try {
      await store.upsertSource(source({ id: 'feed' }));
      await fn(store);
    } finally {
      await store.close();
    }
  };
  const put = (store: TestStore, obs: Observation[]) => store.upsertObservations('feed', obs, now);
  const ids = async (store: TestStore, type: Observation['type'], value: string) => (await store.lookupValues([{ type, value }]))[0]!.id;
  const service = (store: TestStore) => new LookupService(store, loadConfig({}, '/nonexistent').plans, () => now);

  describe(`Store look-up: ${name}`, () => {
    it('finds many exact (type, value) pairs at once, revoked ones too, with their sightings; absent pairs are left out', withStore(async (store) => {
      const long = `http://example.net/${'a'.repeat(3000)}`;
      await put(store, [
        observation({ type: 'ipv4', value: '198.51.100.7', tags: ['c2'] }),
        observation({ type: 'domain', value: 'evil.example' }),
        observation({ type: 'url', value: long }),
      ]);
      await store.revokeIocs([await ids(store, 'domain', 'evil.example')], now + 1);
      const found = await store.lookupValues([
        { type: 'ipv4', value: '198.51.100.7' }, { type: 'domain', value: 'evil.example' }, { type: 'url', value: long },
        { type: 'ipv4', value: '198.51.100.8' }, { type: 'domain', value: '198.51.100.7' }, { type: 'ipv4', value: '198.51.100.7' },
      ]);
      const byValue = new Map(found.map((f) => [f.value, f]));
      assert.equal(found.length, 3, 'each IOC once; the value under another type is not it');
      assert.equal(byValue.get('198.51.100.7')?.status, 'active');
      assert.deepEqual(byValue.get('198.51.100.7')?.tags, ['c2']);
      assert.deepEqual(byValue.get('198.51.100.7')?.sightings.map((s) => s.source), ['feed']);
      assert.equal(byValue.get('evil.example')?.status, 'revoked');
      assert.ok(byValue.get(long), 'a long URL is found whole');
      assert.deepEqual(await store.lookupValues([]), []);
    }));

    it('knows the prefix lengths of the stored networks per family, revoked networks included, new ones at once', withStore(async (store) => {
      assert.deepEqual(await store.networkPrefixLengths('ipv4'), []);
      await put(store, [
        observation({ type: 'ipv4', value: '10.0.0.0/8' }),
        observation({ type: 'ipv4', value: '10.1.0.0/16' }),
        observation({ type: 'ipv4', value: '192.0.2.1' }),
        observation({ type: 'ipv6', value: '2001:db8::/32' }),
        observation({ type: 'url', value: 'http://example.net/a/b' }),
      ]);
      assert.deepEqual(await store.networkPrefixLengths('ipv4'), [8, 16]);
      assert.deepEqual(await store.networkPrefixLengths('ipv6'), [32]);
      await store.revokeIocs([await ids(store, 'ipv4', '10.1.0.0/16')], now + 1);
      assert.deepEqual(await store.networkPrefixLengths('ipv4'), [8, 16], 'a superset is still right: the probe checks the status');
      await put(store, [observation({ type: 'ipv4', value: '203.0.113.0/24' }), observation({ type: 'ipv6', value: '2001:db8:1::/48' })]);
      assert.deepEqual(await store.networkPrefixLengths('ipv4'), [8, 16, 24]);
      assert.deepEqual(await store.networkPrefixLengths('ipv6'), [32, 48]);
    }));

    it('containment: the most specific active network wins, IPv4 and IPv6; a revoked network is passed over', withStore(async (store) => {
      await put(store, [
        observation({ type: 'ipv4', value: '10.0.0.0/8', tags: ['wide'] }),
        observation({ type: 'ipv4', value: '10.1.0.0/16', tags: ['narrow'] }),
        observation({ type: 'ipv6', value: '2001:db8::/32' }),
        observation({ type: 'ipv6', value: '2001:db8:aa00::/40' }),
      ]);
      const lookup = service(store);
      const v = async (value: string) => {
        const r = await lookup.lookupOne(value);
        return [r.verdict, r.matched?.value];
      };
      assert.deepEqual(await v('10.1.2.3'), ['listed-network', '10.1.0.0/16']);
      assert.deepEqual(await v('10.2.2.3'), ['listed-network', '10.0.0.0/8']);
      assert.deepEqual(await v('10.1.5.0/24'), ['listed-network', '10.1.0.0/16'], 'a network inside a network');
      assert.deepEqual(await v('10.1.0.0/16'), ['listed', undefined], 'the network itself');
      assert.deepEqual(await v('11.0.0.1'), ['unknown', undefined]);
      assert.deepEqual(await v('2001:db8:aa01::5'), ['listed-network', '2001:db8:aa00::/40']);
      assert.deepEqual(await v('2001:db8:ff::5'), ['listed-network', '2001:db8::/32']);
      assert.deepEqual(await v('2001:db9::5'), ['unknown', undefined]);
      const r = await lookup.lookupOne('10.1.2.3');
      assert.deepEqual(r.tags, ['narrow']);
      assert.equal(r.ioc_ids.length, 2, 'both containing networks, the deciding one first');
      await store.revokeIocs([await ids(store, 'ipv4', '10.1.0.0/16')], now + 1);
      assert.deepEqual(await v('10.1.2.3'), ['listed-network', '10.0.0.0/8']);
      assert.deepEqual(await v('10.1.0.0/16'), ['listed-network', '10.0.0.0/8'], 'a revoked network is still inside a listed one');
    }));

    it('hosts and parents: a URL on a listed host or address, a subdomain of a listed domain; the most specific wins; revoked and unknown', withStore(async (store) => {
      await put(store, [
        observation({ type: 'domain', value: 'example.com' }),
        observation({ type: 'domain', value: 'b.example.com', malware: ['x'] }),
        observation({ type: 'ipv4', value: '203.0.113.0/24' }),
        observation({ type: 'domain', value: 'gone.example' }),
      ]);
      await store.revokeIocs([await ids(store, 'domain', 'gone.example')], now + 1);
      const { data, rejected } = await service(store).lookupMany({
        json: ['a.b.example.com', 'https://a.b.example.com/x', 'http://203.0.113.9:8080/p', 'c.example.com', 'example.com', 'gone.example', 'sub.gone.example', 'com', 'x@b.example.com'],
      }, 'pro');
      assert.deepEqual(data.map((d) => [d.value, d.verdict, d.matched?.value]), [
        ['a.b.example.com', 'listed-host', 'b.example.com'],
        ['https://a.b.example.com/x', 'listed-host', 'b.example.com'],
        ['http://203.0.113.9:8080/p', 'listed-host', '203.0.113.0/24'],
        ['c.example.com', 'listed-host', 'example.com'],
        ['example.com', 'listed', undefined],
        ['gone.example', 'revoked', undefined],
        ['sub.gone.example', 'unknown', undefined],
        ['x@b.example.com', 'listed-host', 'b.example.com'],
      ]);
      assert.deepEqual(data[0]!.malware, ['x']);
      assert.deepEqual(rejected.map((r) => r.input), ['com'], 'what is no IOC value is reported, with its reason');
    }));

    it('the allow-list comes first, whatever is listed', withStore(async (store) => {
      await put(store, [observation({ type: 'ipv4', value: '10.0.0.0/8' })]);
      await store.addAllowEntry({ kind: 'cidr', type: 'ipv4', value: '10.9.0.0/16', reason: 'ours', author: null, createdAt: now, expiresAt: null });
      const r = await service(store).lookupOne('10.9.1.1');
      assert.equal(r.verdict, 'allowlisted');
      assert.equal(r.allowlist_entry?.value, '10.9.0.0/16');
      assert.equal((await service(store).lookupOne('10.8.1.1')).verdict, 'listed-network');
    }));
  });
}
