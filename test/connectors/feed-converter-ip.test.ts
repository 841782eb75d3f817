import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordConverter as FeedConverter, ipFamily } from '../../src/connectors/pipeline/record-converter.js';
import { SectorRules } from '../../src/domain/sector-rules.js';

const NOW = Date.UTC(2026, 10, 20, 12);

/** Issue 12 §2.3: PhishStats, C2-Tracker and ViriBack put IPv6 addresses in the column they declare IPv4. */
describe('an IP column accepts both address families', () => {
  const converter = (type?: 'ipv4' | 'ipv6') => new FeedConverter(type ? { type } : {}, new SectorRules(), NOW);
  const convert = (c: FeedConverter, value: string, type?: 'ipv4' | 'ipv6') =>
    c.convert({ line: 1, values: [{ value, type }], tags: [], malware: [], sectors: [] });

  const CASES: ReadonlyArray<readonly [string, string, string]> = [
    ['2606:4700:3034::6815:1d4e', 'ipv6', '2606:4700:3034::6815:1d4e'],
    ['2A01:4F8:C012:8E3B:0:0:0:1', 'ipv6', '2a01:4f8:c012:8e3b::1'],
    ['[2a03:b0c0:3:d0::1a51:c001]', 'ipv6', '2a03:b0c0:3:d0::1a51:c001'],
    ['2a03:b0c0::/32', 'ipv6', '2a03:b0c0::/32'],
    ['45.133.1.20', 'ipv4', '45.133.1.20'],
  ];
  for (const [raw, type, value] of CASES) {
    it(`${raw} in an IPv4 column (a per-value type) → ${type} ${value}`, () => {
      const out = convert(converter(), raw, 'ipv4');
      assert.deepEqual(out.rejected, []);
      assert.deepEqual(out.observations.map((o) => [o.type, o.value]), [[type, value]]);
    });
    it(`${raw} in an IPv4 source (defaults.type) → ${type} ${value}`, () => {
      const out = convert(converter('ipv4'), raw);
      assert.deepEqual(out.observations.map((o) => [o.type, o.value]), [[type, value]]);
    });
  }

  it('an IPv4 address in an IPv6 column is typed ipv4', () => {
    assert.deepEqual(convert(converter('ipv6'), '45.133.1.20').observations.map((o) => o.type), ['ipv4']);
  });

  it('what is no address stays rejected, with the declared type\'s reason', () => {
    const out = convert(converter(), '45.133.1', 'ipv4');
    assert.equal(out.observations.length, 0);
    assert.match(out.rejected[0]!, /octets/);
    assert.equal(convert(converter(), 'evil-example.top', 'ipv4').observations.length, 0);
  });

  it('leaves other declared types alone', () => {
    assert.equal(ipFamily('url', '2606:4700::1'), 'url');
    assert.equal(ipFamily(undefined, '2606:4700::1'), undefined);
    assert.equal(ipFamily('ipv4', 'not-an-ip'), 'ipv4');
  });
});
