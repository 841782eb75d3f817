import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FORMATTERS, rpzIpv4, rpzIpv6, zoneName } from '../../src/rest/blocklist-formats.js';

/** The pieces of the RPZ encoding (draft-vixie-dns-rpz §4.2, RFC 1035 §5.1) that canonical values rarely reach. */
describe('blocklist formats: RPZ names and IP triggers', () => {
  it('writes labels escaped per RFC 1035 §5.1 and refuses names a zone cannot hold', () => {
    assert.equal(zoneName('a_b.evil.example', 'rpz.local'), 'a_b.evil.example');
    // Master-file specials and non-ASCII octets as \DDD: never a comment (;), an origin (@) or a directive ($).
    assert.equal(zoneName('a;b.@$.x\u00e9', 'rpz.local'), 'a\\059b.\\064\\036.x\\195\\169');
    assert.equal(zoneName('*.evil.example', 'rpz.local', true), '*.evil.example');
    assert.equal(zoneName('*.evil.example', 'rpz.local'), '\\042.evil.example', 'a * of a value is not a wildcard');
    assert.equal(zoneName(`${'a'.repeat(64)}.example`, 'rpz.local'), null, 'a label over 63 octets');
    assert.equal(zoneName('a..example', 'rpz.local'), null, 'an empty label');
    const long = Array.from({ length: 4 }, () => 'a'.repeat(60)).join('.');
    assert.ok(zoneName(long, 'z') !== null);
    assert.equal(zoneName(long, 'rpz.example.org'), null, 'over 255 octets with the zone');
  });

  it('reverses addresses into rpz-ip owner names, the longest zero run of IPv6 as zz', () => {
    assert.equal(rpzIpv4('198.51.100.7'), '32.7.100.51.198');
    assert.equal(rpzIpv4('203.0.113.0/24'), '24.0.113.0.203');
    assert.equal(rpzIpv4('999.0.0.1'), null);
    assert.equal(rpzIpv6('2001:db8::1'), '128.1.zz.db8.2001');
    assert.equal(rpzIpv6('2001:db8:0:1::/64'), '64.zz.1.0.db8.2001');
    // RFC 5952: of equal runs the first (in address order) is compressed.
    assert.equal(rpzIpv6('1:0:0:2:0:0:3:4'), '128.4.3.0.0.2.zz.1');
    assert.equal(rpzIpv6('2001:db8::1/129'), null);
  });

  it('never lets a line break or a separator through', () => {
    const o = { subdomains: true, zone: 'rpz.local', category: 1, serial: 1 };
    for (const [format, f] of Object.entries(FORMATTERS)) {
      for (const type of f.types) {
        if (format === 'rpz' && type === 'domain') continue;
        for (const value of ['a\nb', 'a b', 'a\rb', 'a\u2028b', 'a\u202eb']) assert.equal(f.entry(type, value, 50, o), null, `${format} ${type} ${JSON.stringify(value)}`);
      }
    }
    // RPZ writes any octet of a name, escaped: the line stays one record.
    assert.equal(FORMATTERS.rpz.entry('domain', 'a\nb.example', 50, o), 'a\\010b.example CNAME .\n*.a\\010b.example CNAME .\n');
    assert.equal(FORMATTERS.suricata.entry('ipv4', '1.2.3.4,5', 50, o), null);
  });

  it('PAN-OS URL lists: no scheme, no fragment (never sent, so never matched), at most 255 characters', () => {
    const o = { subdomains: false, zone: 'rpz.local', category: 1, serial: 1 };
    const pan = FORMATTERS.paloalto;
    assert.equal(pan.entry('url', 'https://evil.example/a?b=1#frag', 50, o), 'evil.example/a?b=1\n');
    assert.equal(pan.entry('url', 'http://evil.example:8080/Drop.exe', 50, o), 'evil.example:8080/Drop.exe\n');
    assert.equal(pan.entry('url', 'http://evil.example#only', 50, o), 'evil.example\n');
    assert.equal(pan.entry('url', 'http://#x', 50, o), null, 'nothing left but the fragment');
    const path = `/${'p'.repeat(255 - 'evil.example/'.length)}`;
    assert.equal(pan.entry('url', `http://evil.example${path}#${'f'.repeat(40)}`, 50, o), `evil.example${path}\n`, '255 without the fragment');
    assert.equal(pan.entry('url', `http://evil.example${path}q`, 50, o), null, '256 characters');
  });
});
