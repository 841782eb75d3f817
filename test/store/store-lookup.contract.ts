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

    it('containment by bucket: networks at or past /16 (IPv4) and /32 (IPv6) found by their text, zero groups and "::" forms included', withStore(async (store) => {
      const nets: Array<[Observation['type'], string]> = [
        ['ipv4', '1.2.0.0/16'], ['ipv4', '1.20.0.0/16'], ['ipv4', '1.2.3.0/24'], ['ipv4', '1.2.3.128/25'], ['ipv4', '10.0.0.0/8'],
        ['ipv6', '2001::/32'], ['ipv6', '2001:0:1::/48'], ['ipv6', '::/64'], ['ipv6', '0:0:1::/48'], ['ipv6', '64:ff9b::1.2.3.0/120'],
        ['ipv6', '::ffff:10.0.0.0/104'], ['ipv6', '2001:db8:0:1::/64'],
      ];
      await put(store, nets.map(([type, value]) => observation({ type, value })));
      await put(store, [observation({ type: 'ipv4', value: '1.2.9.9' })]);
      assert.deepEqual((await store.networksInRanges('ipv4', [['1.2.', '1.2/']])).sort(), ['1.2.0.0/16', '1.2.3.0/24', '1.2.3.128/25'], 'networks only, not 1.20.x nor the address 1.2.9.9');
      assert.deepEqual((await store.networksInRanges('ipv6', [['2001::', '2001:;'], ['2001:0:', '2001:0;'], ['2001::', '2001:;']])).sort(), ['2001:0:1::/48', '2001::/32'], 'each once');
      assert.deepEqual(await store.networksInRanges('ipv4', []), []);
      const lookup = service(store);
      const v = async (value: string) => {
        const r = await lookup.lookupOne(value);
        return [r.verdict, r.matched?.value, r.ioc_ids.length];
      };
      assert.deepEqual(await v('1.2.3.200'), ['listed-network', '1.2.3.128/25', 3]);
      assert.deepEqual(await v('1.2.3.5'), ['listed-network', '1.2.3.0/24', 2]);
      assert.deepEqual(await v('1.20.3.5'), ['listed-network', '1.20.0.0/16', 1]);
      assert.deepEqual(await v('1.21.3.5'), ['unknown', undefined, 0]);
      assert.deepEqual(await v('10.200.0.1'), ['listed-network', '10.0.0.0/8', 1]);
      assert.deepEqual(await v('2001:0:1::9'), ['listed-network', '2001:0:1::/48', 2]);
      assert.deepEqual(await v('2001::9'), ['listed-network', '2001::/32', 1]);
      assert.deepEqual(await v('::9'), ['listed-network', '::/64', 1]);
      assert.deepEqual(await v('0:0:1::9'), ['listed-network', '0:0:1::/48', 1]);
      assert.deepEqual(await v('64:ff9b::1.2.3.4'), ['listed-network', '64:ff9b::1.2.3.0/120', 1]);
      assert.deepEqual(await v('::ffff:10.1.2.3'), ['listed-network', '::ffff:10.0.0.0/104', 2], 'inside ::/64 too');
      assert.deepEqual(await v('2001:db8:0:1::5'), ['listed-network', '2001:db8:0:1::/64', 1]);
      const url = await lookup.lookupOne('http://[2001:0:1::7]/x');
      assert.deepEqual([url.verdict, url.matched?.value], ['listed-host', '2001:0:1::/48'], 'a URL on an address inside a network');
      const batch = await lookup.lookupMany({ json: ['1.2.3.200', '1.20.0.1', '2001::1', '8.8.8.8'] }, 'pro');
      assert.deepEqual(batch.data.map((r) => r.verdict), ['listed-network', 'listed-network', 'listed-network', 'unknown']);
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
