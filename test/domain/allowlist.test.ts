import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type AllowEntry, AllowListMatcher, type AllowTarget, entryText, parseAllowValue } from '../../src/domain/allowlist.js';
import type { IocType } from '../../src/domain/ioc-types.js';
import { formatIpv4 } from '../../src/domain/normalize/ip.js';

const now = Date.UTC(2026, 4, 17);
let nextId = 1;
function entry(text: string, over: Partial<AllowEntry> = {}): AllowEntry {
  const p = parseAllowValue(text);
  if (!p.ok) throw new Error(p.why);
  return { ...p.target, id: nextId++, reason: 'test', author: null, createdAt: now, expiresAt: null, ...over };
}
const target = (text: string): AllowTarget | string => {
  const p = parseAllowValue(text);
  return p.ok ? p.target : p.why;
};

describe('allow-list entries: parsing', () => {
  it('reads values of any type, normalized', () => {
    assert.deepEqual(target('8.8.8.8'), { kind: 'value', type: 'ipv4', value: '8.8.8.8' });
    assert.deepEqual(target(' Example.COM '), { kind: 'value', type: 'domain', value: 'example.com' });
    assert.deepEqual(target('hxxp://evil[.]com/x'), { kind: 'value', type: 'url', value: 'http://evil.com/x' });
    assert.deepEqual(target('CVE-2024-3094'), { kind: 'value', type: 'cve', value: 'CVE-2024-3094' });
    assert.deepEqual(target('2001:DB8:0::1'), { kind: 'value', type: 'ipv6', value: '2001:db8::1' });
    assert.deepEqual(target('ops@Example.com'), { kind: 'value', type: 'email', value: 'ops@example.com' });
  });

  it('reads CIDRs, normalized to their network; a full prefix is one address', () => {
    assert.deepEqual(target('203.0.113.7/24'), { kind: 'cidr', type: 'ipv4', value: '203.0.113.0/24' });
    assert.deepEqual(target('2001:DB8::1/32'), { kind: 'cidr', type: 'ipv6', value: '2001:db8::/32' });
    assert.deepEqual(target('198.51.100.9/32'), { kind: 'value', type: 'ipv4', value: '198.51.100.9' });
    assert.deepEqual(target('2001:db8::1/128'), { kind: 'value', type: 'ipv6', value: '2001:db8::1' });
  });

  it('reads domain suffixes', () => {
    assert.deepEqual(target('*.Example.com'), { kind: 'suffix', type: 'domain', value: 'example.com' });
    assert.equal(entryText({ kind: 'suffix', type: 'domain', value: 'example.com' }), '*.example.com');
  });

  it('refuses what is none of these, saying why', () => {
    assert.match(target('') as string, /empty/);
    assert.match(target('*.com') as string, /two labels/);
    assert.match(target('*.*.example.com') as string, /one leading/);
    assert.match(target('*.exa mple.com') as string, /not a domain suffix/);
    assert.match(target('10.0.0.0/4') as string, /wider than \/8/);
    assert.match(target('2001::/8') as string, /wider than \/16/);
    assert.match(target('1.2.3.4/33') as string, /not a CIDR/);
    assert.match(target('300.1.1.1/24') as string, /not a CIDR/);
    assert.match(target('not a value') as string, /not an IOC value, a CIDR or a domain suffix/);
  });
});

describe('allow-list matcher', () => {
  const m = new AllowListMatcher([
    entry('8.8.8.8'), entry('203.0.113.0/24'), entry('2001:db8::/32'), entry('*.example.com'),
    entry('http://evil.test/x'), entry('d41d8cd98f00b204e9800998ecf8427f'), entry('198.51.0.0/16'), entry('198.51.100.0/24'),
  ], now);
  const ok = (type: IocType, value: string) => m.match(type, value) !== undefined;

  it('matches exact values, of their own type only', () => {
    assert.ok(ok('ipv4', '8.8.8.8'));
    assert.ok(ok('url', 'http://evil.test/x'));
    assert.ok(!ok('url', 'http://evil.test/y'));
    assert.ok(ok('md5', 'd41d8cd98f00b204e9800998ecf8427f'));
    assert.ok(!ok('domain', 'evil.test'));
  });

  it('matches addresses and overlapping networks in a CIDR, and URLs and email literals on them', () => {
    assert.ok(ok('ipv4', '203.0.113.200'));
    assert.ok(ok('ipv4', '203.0.113.128/25'));
    assert.ok(ok('ipv4', '203.0.112.0/23'), 'a wider network that holds allowed addresses');
    assert.ok(!ok('ipv4', '203.0.114.1'));
    assert.ok(ok('ipv6', '2001:db8:1::5'));
    assert.ok(!ok('ipv6', '2001:db9::5'));
    assert.ok(ok('url', 'http://203.0.113.9:8080/a'));
    assert.ok(ok('url', 'https://[2001:db8::1]/a'));
    assert.ok(ok('url', 'http://8.8.8.8/dns'), 'an address entry matches URLs on it');
    assert.ok(!ok('url', 'http://203.0.114.9/a'));
    assert.ok(ok('email', 'x@[203.0.113.4]'));
    assert.ok(ok('email', 'x@[IPv6:2001:db8::4]'));
    assert.equal(m.match('ipv4', '198.51.100.1')?.value, '198.51.0.0/16', 'nested networks: the outer one answers');
  });

  it('matches a suffix: the domain, its subdomains, URLs on them and emails at them', () => {
    assert.ok(ok('domain', 'example.com'));
    assert.ok(ok('domain', 'a.b.example.com'));
    assert.ok(!ok('domain', 'badexample.com'));
    assert.ok(!ok('domain', 'example.com.evil.test'));
    assert.ok(ok('url', 'https://user@cdn.example.com:8443/p?q#f'));
    assert.ok(!ok('url', 'https://example.org/example.com'));
    assert.ok(ok('email', 'alice@mail.example.com'));
    assert.ok(!ok('email', 'example.com@evil.test'));
  });

  it('ignores expired entries, and matches until they expire', () => {
    const e = entry('*.expired.test', { expiresAt: now });
    const f = entry('*.later.test', { expiresAt: now + 1 });
    const mm = new AllowListMatcher([e, f], now);
    assert.equal(mm.match('domain', 'expired.test'), undefined);
    assert.equal(mm.match('domain', 'later.test')?.id, f.id);
    assert.equal(mm.size, 1);
  });
});

describe('allow-list properties', () => {
  const v4 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
  const cidr = fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 8, max: 32 })).map(([n, p]) => `${formatIpv4(n)}/${p}`);
  const within = (a: number, net: string) => {
    const [addr, p] = net.split('/') as [string, string];
    const base = addr.split('.').reduce((x, o) => x * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(p));
    return a >= base && a < base + size;
  };

  it('an address matches exactly when some CIDR in force holds it, and the entry named holds it', () => {
    fc.assert(fc.property(fc.array(cidr, { maxLength: 30 }), fc.array(v4, { minLength: 1, maxLength: 30 }), (nets, addrs) => {
      const entries = nets.map((n) => entry(n));
      const matcher = new AllowListMatcher(entries, now);
      for (const a of addrs) {
        const hit = matcher.match('ipv4', formatIpv4(a));
        const expected = entries.some((e) => within(a, e.kind === 'cidr' ? e.value : `${e.value}/32`));
        assert.equal(hit !== undefined, expected);
        if (hit) assert.ok(within(a, hit.kind === 'cidr' ? hit.value : `${hit.value}/32`));
      }
    }));
  });

  const label = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
  const domain = fc.array(label, { minLength: 2, maxLength: 5 }).map((l) => l.join('.'));

  it('a domain matches exactly when it is a suffix entry or under one', () => {
    fc.assert(fc.property(fc.array(domain, { maxLength: 20 }), fc.array(domain, { minLength: 1, maxLength: 20 }), (suffixes, names) => {
      const entries = suffixes.map((s) => entry(`*.${s}`));
      const matcher = new AllowListMatcher(entries, now);
      for (const d of [...names, ...suffixes.map((s) => `www.${s}`)]) {
        const expected = suffixes.some((s) => d === s || d.endsWith(`.${s}`));
        const hit = matcher.match('domain', d);
        assert.equal(hit !== undefined, expected);
        if (hit) assert.ok(d === hit.value || d.endsWith(`.${hit.value}`));
        assert.equal(matcher.match('url', `https://${d}/p`) !== undefined, expected);
      }
    }));
  });

  it('parsing is idempotent: an entry written back reads as itself', () => {
    fc.assert(fc.property(fc.oneof(cidr, domain.map((d) => `*.${d}`), domain, v4.map(formatIpv4)), (text) => {
      const first = parseAllowValue(text);
      assert.ok(first.ok);
      assert.deepEqual(parseAllowValue(entryText(first.target)), first);
    }));
  });

  it('entries past their expiry never match', () => {
    fc.assert(fc.property(fc.array(fc.oneof(cidr, domain.map((d) => `*.${d}`)), { minLength: 1, maxLength: 20 }), v4, domain, (texts, a, d) => {
      const matcher = new AllowListMatcher(texts.map((t) => entry(t, { expiresAt: now - 1 })), now);
      assert.equal(matcher.match('ipv4', formatIpv4(a)), undefined);
      assert.equal(matcher.match('domain', d), undefined);
    }));
  });
});
