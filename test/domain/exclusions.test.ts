import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Exclusions, RESOLVERS, TOP_DOMAINS } from '../../src/domain/exclusions.js';
import type { IocType } from '../../src/domain/ioc-types.js';

const RESERVED = /private, reserved or bogon/;
const RESOLVER = /public resolver or an excluded network/;
const NOT_GLOBAL = /not a global unicast/;

/** [type, value, expected reason pattern] for the default configuration. */
const EXCLUDED: ReadonlyArray<readonly [IocType, string, RegExp]> = [
  // Every reserved IPv4 range: first address, last address, and the CIDR itself.
  ['ipv4', '0.0.0.0', RESERVED], ['ipv4', '0.255.255.255', RESERVED], ['ipv4', '0.0.0.0/8', RESERVED],
  ['ipv4', '10.0.0.0', RESERVED], ['ipv4', '10.255.255.255', RESERVED], ['ipv4', '10.0.0.0/8', RESERVED],
  ['ipv4', '100.64.0.0', RESERVED], ['ipv4', '100.127.255.255', RESERVED], ['ipv4', '100.64.0.0/10', RESERVED],
  ['ipv4', '127.0.0.1', RESERVED], ['ipv4', '127.255.255.255', RESERVED], ['ipv4', '127.0.0.0/8', RESERVED],
  ['ipv4', '169.254.0.0', RESERVED], ['ipv4', '169.254.255.255', RESERVED], ['ipv4', '169.254.0.0/16', RESERVED],
  ['ipv4', '172.16.0.0', RESERVED], ['ipv4', '172.31.255.255', RESERVED], ['ipv4', '172.16.0.0/12', RESERVED],
  ['ipv4', '192.0.0.0', RESERVED], ['ipv4', '192.0.0.255', RESERVED], ['ipv4', '192.0.0.0/24', RESERVED],
  ['ipv4', '192.0.2.0', RESERVED], ['ipv4', '192.0.2.255', RESERVED], ['ipv4', '192.0.2.0/24', RESERVED],
  ['ipv4', '192.88.99.0', RESERVED], ['ipv4', '192.88.99.255', RESERVED], ['ipv4', '192.88.99.0/24', RESERVED],
  ['ipv4', '192.168.0.0', RESERVED], ['ipv4', '192.168.255.255', RESERVED], ['ipv4', '192.168.0.0/16', RESERVED],
  ['ipv4', '198.18.0.0', RESERVED], ['ipv4', '198.19.255.255', RESERVED], ['ipv4', '198.18.0.0/15', RESERVED],
  ['ipv4', '198.51.100.0', RESERVED], ['ipv4', '198.51.100.255', RESERVED], ['ipv4', '198.51.100.0/24', RESERVED],
  ['ipv4', '203.0.113.0', RESERVED], ['ipv4', '203.0.113.255', RESERVED], ['ipv4', '203.0.113.0/24', RESERVED],
  ['ipv4', '224.0.0.0', RESERVED], ['ipv4', '239.255.255.255', RESERVED], ['ipv4', '224.0.0.0/4', RESERVED],
  ['ipv4', '240.0.0.0', RESERVED], ['ipv4', '255.255.255.255', RESERVED], ['ipv4', '240.0.0.0/4', RESERVED],
  // CIDRs that overlap reserved space without being inside it, and CIDRs inside it.
  ['ipv4', '10.0.0.0/7', RESERVED],
  ['ipv4', '0.0.0.0/0', RESERVED],
  ['ipv4', '172.0.0.0/8', RESERVED],
  ['ipv4', '192.168.10.0/24', RESERVED],
  ['ipv4', '192.168.10.7/32', RESERVED],
  ['ipv4', '100.96.0.0/11', RESERVED],
  // Resolvers, and networks containing one.
  ['ipv4', '8.8.8.8', RESOLVER], ['ipv4', '1.1.1.1', RESOLVER], ['ipv4', '9.9.9.9', RESOLVER],
  ['ipv4', '8.8.8.0/24', RESOLVER], ['ipv4', '1.0.0.0/8', RESOLVER],
  ['ipv6', '2606:4700:4700::1111', RESOLVER], ['ipv6', '2001:4860:4860::8888', RESOLVER],
  ['ipv6', '2606:4700::/32', RESOLVER],
  // IPv6 outside global unicast.
  ['ipv6', '::1', NOT_GLOBAL], ['ipv6', '::', NOT_GLOBAL], ['ipv6', 'fe80::1', NOT_GLOBAL], ['ipv6', 'fc00::1', NOT_GLOBAL],
  ['ipv6', 'fd12:3456::1', NOT_GLOBAL], ['ipv6', 'ff02::1', NOT_GLOBAL], ['ipv6', '4000::1', NOT_GLOBAL],
  ['ipv6', '1fff:ffff::1', NOT_GLOBAL], ['ipv6', '64:ff9b::8.8.8.8', NOT_GLOBAL], ['ipv6', '::/0', NOT_GLOBAL],
  ['ipv6', '::ffff:10.0.0.0/104', NOT_GLOBAL],
  // Reserved inside 2000::/3: documentation, protocol assignments, 6to4.
  ['ipv6', '2001:db8::1', RESERVED], ['ipv6', '2001:db8::/32', RESERVED], ['ipv6', '3fff::1', RESERVED],
  ['ipv6', '2001::1', RESERVED], ['ipv6', '2002::1', RESERVED], ['ipv6', '2000::/3', RESERVED],
  // IPv4-mapped addresses are judged by their IPv4 part.
  ['ipv6', '::ffff:10.0.0.1', RESERVED], ['ipv6', '::ffff:192.168.1.1', RESERVED], ['ipv6', '::ffff:8.8.8.8', RESOLVER],
  // Top domains and their subdomains.
  ['domain', 'google.com', /google\.com: a top domain/],
  ['domain', 'docs.google.com', /docs\.google\.com: a subdomain of google\.com/],
  ['domain', 'a.b.c.github.com', /a subdomain of github\.com/],
  ['domain', 't.co', /a top domain/],
  // The hashes of the empty file: every scanner reports them, none of them is malware.
  ['md5', 'd41d8cd98f00b204e9800998ecf8427e', /the hash of an empty file/],
  ['sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', /the hash of an empty file/],
  ['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', /the hash of an empty file/],
];

/** Values the default configuration keeps. */
const KEPT: ReadonlyArray<readonly [IocType, string]> = [
  // Just outside the reserved ranges.
  ['ipv4', '9.255.255.255'], ['ipv4', '11.0.0.0'],
  ['ipv4', '100.63.255.255'], ['ipv4', '100.128.0.0'],
  ['ipv4', '126.255.255.255'], ['ipv4', '128.0.0.0'],
  ['ipv4', '169.253.255.255'], ['ipv4', '169.255.0.0'],
  ['ipv4', '172.15.255.255'], ['ipv4', '172.32.0.0'],
  ['ipv4', '192.0.1.0'], ['ipv4', '192.0.3.0'],
  ['ipv4', '192.88.98.255'], ['ipv4', '192.88.100.0'],
  ['ipv4', '192.167.255.255'], ['ipv4', '192.169.0.0'],
  ['ipv4', '198.17.255.255'], ['ipv4', '198.20.0.0'],
  ['ipv4', '198.51.99.255'], ['ipv4', '198.51.101.0'],
  ['ipv4', '203.0.112.255'], ['ipv4', '203.0.114.0'],
  ['ipv4', '223.255.255.255'],
  // Ordinary public addresses and networks.
  ['ipv4', '45.133.1.20'], ['ipv4', '185.220.101.1'], ['ipv4', '8.8.8.9'], ['ipv4', '1.1.1.4'], ['ipv4', '45.133.1.0/24'],
  ['ipv6', '2a01:4f8:c0c::1'], ['ipv6', '2620:fe::fd'], ['ipv6', '2a01:4f8::/32'], ['ipv6', '3ffe::1'],
  ['ipv6', '::ffff:45.133.1.20'],
  // Look-alikes of top domains.
  ['domain', 'evilgoogle.com'], ['domain', 'google.com.evil.top'], ['domain', 'google.co'], ['domain', 'com'],
  ['domain', 'example.org'],
  // Domain rules never apply to URLs and emails.
  ['url', 'https://google.com/'], ['url', 'https://docs.google.com/document/d/1'], ['url', 'http://8.8.8.8/x'],
  ['email', 'user@google.com'], ['email', 'phish@docs.google.com'],
  // Other types.
  ['sha256', '5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef'], ['md5', '44d88612fea8a8f36de82e1278abb02f'],
  ['cve', 'CVE-2024-3094'],
];

describe('Exclusions: defaults', () => {
  const ex = new Exclusions();
  for (const [type, value, why] of EXCLUDED) {
    it(`excludes ${type} ${value}`, () => {
      const reason = ex.reason(type, value);
      assert.ok(reason !== undefined, `${value} should be excluded`);
      assert.match(reason, why);
      assert.ok(reason.startsWith(`${value}: `), reason);
    });
  }
  for (const [type, value] of KEPT) {
    it(`keeps ${type} ${value}`, () => assert.equal(ex.reason(type, value), undefined));
  }

  it('excludes every built-in resolver, as ipv4 or ipv6', () => {
    for (const r of RESOLVERS) assert.match(ex.reason(r.includes(':') ? 'ipv6' : 'ipv4', r) ?? '', RESOLVER, r);
  });

  it('excludes every top domain and a subdomain of each', () => {
    for (const d of TOP_DOMAINS) {
      assert.match(ex.reason('domain', d) ?? '', /a top domain/, d);
      assert.match(ex.reason('domain', `x.${d}`) ?? '', new RegExp(`a subdomain of ${d.replace(/\./g, '\\.')}`), d);
      assert.equal(ex.reason('domain', `x${d}`), undefined, `x${d} only ends like ${d}`);
    }
  });

  it('leaves unreadable values to the normalizer', () => {
    assert.equal(ex.reason('ipv4', 'not-an-ip'), undefined);
    assert.equal(ex.reason('ipv4', '10.0.0.0/33'), undefined);
    assert.equal(ex.reason('ipv6', 'zz::1'), undefined);
  });
});

describe('Exclusions: configuration', () => {
  it('adds networks (IPv4 and IPv6, CIDR or address)', () => {
    const ex = new Exclusions({ networks: ['45.133.1.0/24', ' 203.0.114.7 ', '2a01:4f8::/32'] });
    assert.match(ex.reason('ipv4', '45.133.1.20') ?? '', RESOLVER);
    assert.match(ex.reason('ipv4', '45.133.0.0/16') ?? '', RESOLVER, 'a network containing an excluded one');
    assert.match(ex.reason('ipv4', '203.0.114.7') ?? '', RESOLVER);
    assert.equal(ex.reason('ipv4', '203.0.114.8'), undefined);
    assert.equal(ex.reason('ipv4', '45.133.2.1'), undefined);
    assert.match(ex.reason('ipv6', '2a01:4f8:1::1') ?? '', RESOLVER);
    assert.equal(ex.reason('ipv6', '2a01:4f9::1'), undefined);
    assert.match(ex.reason('ipv6', '::ffff:45.133.1.9') ?? '', RESOLVER, 'mapped addresses meet IPv4 networks');
    assert.match(ex.reason('ipv4', '8.8.8.8') ?? '', RESOLVER, 'the built-ins stay');
  });

  it('adds domains and their subdomains, case- and space-insensitively', () => {
    const ex = new Exclusions({ domains: [' Corp.Example ', 'intranet.test'] });
    assert.match(ex.reason('domain', 'corp.example') ?? '', /a top domain/);
    assert.match(ex.reason('domain', 'vpn.corp.example') ?? '', /a subdomain of corp\.example/);
    assert.match(ex.reason('domain', 'intranet.test') ?? '', /a top domain/);
    assert.equal(ex.reason('domain', 'notcorp.example'), undefined);
    assert.equal(ex.reason('url', 'https://vpn.corp.example/login'), undefined);
    assert.equal(ex.reason('email', 'it@corp.example'), undefined);
    assert.match(ex.reason('domain', 'google.com') ?? '', /a top domain/, 'the built-ins stay');
  });

  it('adds exact values of any type', () => {
    const url = 'https://example.org/known-good';
    const ex = new Exclusions({ values: [url, 'user@example.org', '45.133.1.20'] });
    for (const [type, value] of [['url', url], ['email', 'user@example.org'], ['ipv4', '45.133.1.20']] as const) {
      assert.equal(ex.reason(type, value), `${value}: excluded by configuration`);
    }
    assert.equal(ex.reason('url', `${url}/x`), undefined, 'exact match only');
    assert.equal(ex.reason('ipv4', '45.133.1.21'), undefined);
  });

  it('builtins: false drops the resolvers and top domains, not the reserved ranges', () => {
    const ex = new Exclusions({ builtins: false });
    for (const [type, value] of [['ipv4', '8.8.8.8'], ['ipv4', '1.1.1.1'], ['ipv6', '2606:4700:4700::1111'], ['domain', 'google.com'], ['domain', 'docs.google.com']] as const) {
      assert.equal(ex.reason(type, value), undefined, value);
    }
    for (const [type, value] of [['ipv4', '10.0.0.1'], ['ipv4', '192.168.1.1'], ['ipv4', '0.0.0.0/0'], ['ipv6', '2001:db8::1']] as const) {
      assert.match(ex.reason(type, value) ?? '', RESERVED, value);
    }
    assert.match(ex.reason('ipv6', '::1') ?? '', NOT_GLOBAL);
    assert.match(ex.reason('md5', 'd41d8cd98f00b204e9800998ecf8427e') ?? '', /the hash of an empty file/, 'nor the empty file');
  });

  it('builtins: false keeps the configured extras', () => {
    const ex = new Exclusions({ builtins: false, networks: ['8.8.4.0/24'], domains: ['example.org'] });
    assert.match(ex.reason('ipv4', '8.8.4.4') ?? '', RESOLVER);
    assert.equal(ex.reason('ipv4', '8.8.8.8'), undefined);
    assert.match(ex.reason('domain', 'www.example.org') ?? '', /a subdomain of example\.org/);
  });

  for (const bad of ['not-a-network', '10.0.0.0/33', '256.0.0.1', '10.0.0', '2001:db8::/129', 'fe80::1::2', '']) {
    it(`refuses the network ${JSON.stringify(bad)}`, () => {
      assert.throws(() => new Exclusions({ networks: [bad] }), (err: Error) => err.message.includes('is not an IP address or CIDR') && err.message.includes(JSON.stringify(bad)));
    });
  }
});
