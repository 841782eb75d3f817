import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CDN_PROVIDERS, RangeTable } from '../../src/domain/cdn-ranges.js';
import { Exclusions, parseNetwork } from '../../src/domain/exclusions.js';
import type { IocType } from '../../src/domain/ioc-types.js';

const cdn = (provider: string) => new RegExp(`: CDN/shared hosting range \\(${provider.replace(/[()]/g, '\\$&')}\\)$`);

/** [type, value, provider]: addresses inside the built-in ranges, first and last addresses of ranges included. */
const INSIDE: ReadonlyArray<readonly [IocType, string, string]> = [
  ['ipv4', '172.67.181.22', 'Cloudflare'], ['ipv4', '104.16.0.0', 'Cloudflare'], ['ipv4', '104.27.255.255', 'Cloudflare'],
  ['ipv4', '173.245.48.1', 'Cloudflare'], ['ipv4', '131.0.75.255', 'Cloudflare'],
  ['ipv6', '2606:4700:3030::6815:1', 'Cloudflare'], ['ipv6', '2a06:98c7:ffff::1', 'Cloudflare'],
  ['ipv4', '151.101.1.195', 'Fastly'], ['ipv4', '199.232.255.255', 'Fastly'], ['ipv6', '2a04:4e42::81', 'Fastly'],
  ['ipv4', '23.32.0.1', 'Akamai'], ['ipv4', '104.127.255.254', 'Akamai'], ['ipv6', '2600:1400:11::1', 'Akamai'],
  ['ipv4', '13.32.99.1', 'Amazon CloudFront'], ['ipv4', '143.204.1.1', 'Amazon CloudFront'], ['ipv6', '2600:9000:2000::1', 'Amazon CloudFront'],
  ['ipv4', '142.250.74.46', 'Google'], ['ipv6', '2a00:1450:4001:82b::200e', 'Google'],
  ['ipv4', '199.34.228.53', 'Weebly'], ['ipv4', '74.115.51.1', 'Weebly'],
  ['ipv4', '45.60.12.3', 'Imperva Incapsula'], ['ipv4', '199.83.135.255', 'Imperva Incapsula'],
  ['ipv4', '192.124.249.10', 'Sucuri'],
  ['ipv4', '185.199.108.153', 'GitHub Pages'], ['ipv4', '23.227.38.65', 'Shopify'], ['ipv4', '198.185.159.144', 'Squarespace'],
  // An IPv4-mapped address is judged by its IPv4 part; a network overlapping a range is shared infrastructure too.
  ['ipv6', '::ffff:104.16.1.1', 'Cloudflare'], ['ipv4', '104.0.0.0/11', 'Cloudflare'], ['ipv4', '151.101.64.0/18', 'Fastly'],
  ['ipv6', '2400:cb00::/24', 'Cloudflare'],
];

/** Just outside the ranges above, and ordinary hosting. */
const OUTSIDE: ReadonlyArray<readonly [IocType, string]> = [
  ['ipv4', '104.15.255.255'], ['ipv4', '104.28.0.0'], ['ipv4', '173.245.47.255'], ['ipv4', '173.245.64.0'],
  ['ipv4', '151.100.255.255'], ['ipv4', '151.102.0.0'], ['ipv4', '199.34.227.255'], ['ipv4', '199.34.232.0'],
  ['ipv4', '45.133.1.20'], ['ipv4', '185.220.101.4'], ['ipv4', '91.92.240.11'], ['ipv4', '5.0.0.1'],
  ['ipv4', '223.255.255.254'],
  ['ipv6', '2606:4701::1'], ['ipv6', '2a01:4f8::1'], ['ipv6', '2600:13ff:ffff::1'],
];

describe('CDN and shared-hosting ranges', () => {
  const ex = new Exclusions();
  for (const [type, value, provider] of INSIDE) {
    it(`${value} is ${provider}`, () => assert.match(ex.reason(type, value) ?? '', cdn(provider)));
  }
  for (const [type, value] of OUTSIDE) {
    it(`${value} is not shared infrastructure`, () => assert.equal(ex.reason(type, value), undefined));
  }

  it('says which provider, with the kind the write path turns into context', () => {
    assert.deepEqual(ex.judge('ipv4', '172.67.181.22'), {
      kind: 'cdn', provider: 'cloudflare', reason: '172.67.181.22: CDN/shared hosting range (Cloudflare)',
    });
  });

  it('resolvers and reserved ranges keep their own reason inside a CDN network', () => {
    assert.match(ex.reason('ipv6', '2606:4700:4700::1111') ?? '', /a public resolver/);
    assert.match(ex.reason('ipv4', '1.1.1.1') ?? '', /a public resolver/);
  });

  it('only addresses: URLs and domains on a CDN are kept', () => {
    assert.equal(ex.reason('url', 'http://172.67.181.22/login'), undefined);
    assert.equal(ex.reason('domain', 'evil-example.pages.dev'), undefined);
  });

  it('exclusions.cdn: false turns the list off; builtins: false too, unless cdn: true', () => {
    assert.equal(new Exclusions({ cdn: false }).reason('ipv4', '172.67.181.22'), undefined);
    assert.match(new Exclusions({ cdn: false }).reason('ipv4', '8.8.8.8') ?? '', /a public resolver/, 'the resolvers stay');
    assert.equal(new Exclusions({ builtins: false }).reason('ipv4', '172.67.181.22'), undefined);
    assert.match(new Exclusions({ builtins: false, cdn: true }).reason('ipv4', '172.67.181.22') ?? '', cdn('Cloudflare'));
  });

  it('every built-in range parses, names its provider, and no two overlap', () => {
    const entries = CDN_PROVIDERS.flatMap((p) => p.cidrs.map((text) => {
      const range = parseNetwork(text);
      assert.ok(range, `${p.name}: ${text} is a CIDR`);
      assert.ok(p.name && /^[a-z0-9-]+$/.test(p.slug), p.name);
      return { range, label: p.name, text };
    }));
    const table = new RangeTable(entries);
    assert.equal(table.size, entries.length);
    assert.ok(CDN_PROVIDERS.some((p) => p.cidrs.some((c) => c.includes(':'))), 'IPv6 ranges too');
  });

  it('a range table refuses overlapping ranges (a binary search would miss one)', () => {
    const r = (text: string) => ({ range: parseNetwork(text)!, label: text, text });
    assert.throws(() => new RangeTable([r('10.0.0.0/8'), r('10.1.0.0/16')]), /overlap/);
    assert.throws(() => new RangeTable([r('2001:db8::/32'), r('2001:db8:1::/48')]), /overlap/);
  });

  it('a range table finds the range holding an address or overlapping a network, at both ends of the table', () => {
    const r = (text: string) => ({ range: parseNetwork(text)!, label: text, text });
    const t = new RangeTable([r('20.0.0.0/8'), r('1.0.0.0/24'), r('9.0.0.0/8'), r('255.255.255.0/24'), r('2001:db8::/32')]);
    const find4 = (text: string) => {
      const n = parseNetwork(text)!;
      return t.findV4(Number(n.start), Number(n.end));
    };
    assert.equal(find4('1.0.0.0'), '1.0.0.0/24');
    assert.equal(find4('1.0.0.255'), '1.0.0.0/24');
    assert.equal(find4('1.0.1.0'), undefined);
    assert.equal(find4('0.255.255.255'), undefined);
    assert.equal(find4('9.255.255.255'), '9.0.0.0/8');
    assert.equal(find4('10.0.0.0'), undefined);
    assert.equal(find4('255.255.255.255'), '255.255.255.0/24');
    assert.equal(find4('8.0.0.0/7'), '9.0.0.0/8');
    assert.equal(find4('16.0.0.0/4'), '20.0.0.0/8');
    assert.equal(find4('10.0.0.0/7'), undefined);
    const n6 = parseNetwork('2001:db8:ffff::1')!;
    assert.equal(t.findV6(n6.start, n6.end), '2001:db8::/32');
    const o6 = parseNetwork('2001:db9::1')!;
    assert.equal(t.findV6(o6.start, o6.end), undefined);
  });

  it('answers 200,000 look-ups in a table of 200,000 ranges, each by its own range', () => {
    // A scan per value would be 4·10^10 comparisons (minutes); a binary search is 18 per look-up (milliseconds).
    // bench/worst-case.ts prints the time of these look-ups; the test checks only the answers.
    const n = 200_000;
    const entries = Array.from({ length: n }, (_, i) => ({ range: { v6: false, start: BigInt(i * 16), end: BigInt(i * 16 + 7) }, label: i, text: String(i) }));
    const table = new RangeTable(entries.reverse());
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const a = ((i * 2654435761) >>> 0) % (n * 16);
      const found = table.findV4(a, a);
      if (found !== undefined) {
        assert.equal(found, Math.floor(a / 16));
        hits++;
      } else assert.ok(a % 16 >= 8, String(a));
    }
    assert.ok(hits > n / 3 && hits < (2 * n) / 3, String(hits));
  });
});
