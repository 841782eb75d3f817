import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addressInRanges, BUCKET_BITS, bucketPrefixes, parseAddressRange, cidrContains, containingNetworks, networkText, parentDomains, parseCidr, textRange } from '../../src/domain/network.js';
import { normalize } from '../../src/domain/normalize.js';
import { bigIntToGroups, formatIpv4, formatIpv6 } from '../../src/domain/normalize/ip.js';

describe('network arithmetic (domain/network.ts)', () => {
  it('names the containing networks of an address, most specific first, for the lengths in use only', () => {
    assert.deepEqual(containingNetworks('ipv4', '10.1.2.3', [8, 16, 24]), ['10.1.2.0/24', '10.1.0.0/16', '10.0.0.0/8']);
    assert.deepEqual(containingNetworks('ipv4', '10.1.0.0/16', [8, 16, 24]), ['10.0.0.0/8'], 'a network: wider ones only');
    assert.deepEqual(containingNetworks('ipv4', '10.1.2.3', [0]), ['0.0.0.0/0']);
    assert.deepEqual(containingNetworks('ipv6', '2001:db8:aa01::5', [32, 40]), ['2001:db8:aa00::/40', '2001:db8::/32']);
    assert.deepEqual(containingNetworks('ipv6', '::ffff:10.1.2.3', [104]), ['::ffff:10.0.0.0/104'], 'mixed notation as normalize writes it');
    assert.deepEqual(containingNetworks('domain', 'example.com', [8]), []);
  });

  it('every candidate is canonical (normalize leaves it as it is)', () => {
    fc.assert(fc.property(fc.nat({ max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 31 }), (n, l) => {
      const [net] = containingNetworks('ipv4', formatIpv4(n), [l]);
      const again = normalize('ipv4', net!);
      assert.ok(again.ok && again.value === net, net);
    }));
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 127 }), (n, l) => {
      const [net] = containingNetworks('ipv6', formatIpv6(bigIntToGroups(n)), [l]);
      const again = normalize('ipv6', net!);
      assert.ok(again.ok && again.value === net, net);
    }));
  });

  it('containment by exact candidates agrees with a brute-force check over random networks (IPv4 and IPv6)', () => {
    const family = (v6: boolean) => fc.record({
      nets: fc.array(fc.tuple(fc.bigInt({ min: 0n, max: (1n << (v6 ? 128n : 32n)) - 1n }), fc.integer({ min: 0, max: v6 ? 127 : 31 })), { maxLength: 20 }),
      address: fc.bigInt({ min: 0n, max: (1n << (v6 ? 128n : 32n)) - 1n }),
      near: fc.nat({ max: 20 }),
    });
    for (const v6 of [false, true]) {
      const type = v6 ? 'ipv6' : 'ipv4';
      fc.assert(fc.property(family(v6), ({ nets, address, near }) => {
        const stored = new Set(nets.map(([s, l]) => networkText(v6, s, l)));
        // Often an address inside one of the networks: its start with random host bits.
        const pick = nets[near % Math.max(1, nets.length)];
        const a = pick && near % 2 === 0 ? pick[0] ^ (address & ((1n << BigInt((v6 ? 128 : 32) - pick[1])) - 1n)) : address;
        const text = networkText(v6, a, v6 ? 128 : 32);
        const lengths = [...new Set(nets.map(([, l]) => l))];
        const found = containingNetworks(type, text, lengths).filter((c) => stored.has(c));
        const inner = parseCidr(type, text)!;
        const brute = [...stored].filter((s) => cidrContains(parseCidr(type, s)!, inner)).sort((x, y) => parseCidr(type, y)!.prefix - parseCidr(type, x)!.prefix);
        assert.deepEqual(found, brute);
      }));
    }
  });

  it('a network at least as long as the bucket begins with one of its bucket\'s texts (zero groups and RFC 5952 "::" included)', () => {
    assert.deepEqual(bucketPrefixes(parseCidr('ipv4', '1.2.3.4')!), ['1.2.']);
    assert.deepEqual(bucketPrefixes(parseCidr('ipv6', '2001:db8::1')!), ['2001:db8:']);
    assert.deepEqual(bucketPrefixes(parseCidr('ipv6', '2001::1')!), ['2001:0:', '2001::']);
    assert.deepEqual(bucketPrefixes(parseCidr('ipv6', '::1')!), ['0:0:', '::']);
    assert.deepEqual(textRange('1.2.'), ['1.2.', '1.2/']);
    assert.deepEqual(textRange('2001::'), ['2001::', '2001:;']);
    // Groups drawn from a few values, zero often, so that every placement of the compressed run occurs.
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0xffff), fc.integer({ min: 1, max: 0xffff }));
    const v6 = fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n));
    for (const [isV6, address, bits] of [[false, fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), 32], [true, v6, 128]] as const) {
      const type = isV6 ? 'ipv6' : 'ipv4';
      fc.assert(fc.property(address, fc.integer({ min: isV6 ? BUCKET_BITS.ipv6 : BUCKET_BITS.ipv4, max: bits }), (a, length) => {
        const net = networkText(isV6, a, length);
        const prefixes = bucketPrefixes(parseCidr(type, networkText(isV6, a, bits))!);
        assert.ok(prefixes.some((p) => net.startsWith(p)), `${net} begins with none of ${prefixes.join(' ')}`);
        const [lo, hi] = textRange(prefixes.find((p) => net.startsWith(p))!);
        assert.ok(net >= lo && net < hi, 'inside the range scanned');
      }), { seed: 1505, numRuns: 2000 });
    }
  });

  it('parent domains, nearest first, never a lone top-level domain', () => {
    assert.deepEqual(parentDomains('a.b.example.com'), ['b.example.com', 'example.com']);
    assert.deepEqual(parentDomains('example.com'), []);
    assert.deepEqual(parentDomains('com'), []);
  });
});

describe('client addresses against configured ranges (GET /metrics allow-list)', () => {
  const ranges = ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32'].map((t) => parseAddressRange(t)!);
  it('matches addresses inside a range, IPv4-mapped IPv6 as IPv4, and nothing else', () => {
    for (const a of ['10.1.2.3', '10.255.255.255', '192.0.2.7', '::ffff:10.9.9.9', '2001:db8::1', '2001:db8:ffff::']) assert.ok(addressInRanges(a, ranges), a);
    for (const a of ['11.0.0.1', '192.0.2.8', '2001:db9::1', '::1', '127.0.0.1', 'not-an-ip', '', '10.0.0.0/8']) assert.ok(!addressInRanges(a, ranges), a);
  });
  it('reads an address or a CIDR of either family, and nothing else', () => {
    assert.deepEqual(parseAddressRange(' 10.0.0.0/8 '), { v6: false, start: 167772160n, prefix: 8 });
    assert.equal(parseAddressRange('::1')?.prefix, 128);
    for (const bad of ['10.0.0.0/33', 'example.com', '', '1.2.3', '::1/129']) assert.equal(parseAddressRange(bad), undefined, bad);
  });
});
