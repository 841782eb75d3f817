import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenSigner } from '../../src/auth/signed-token.js';
import { acceptsTaxii, MAX_ACCEPT_LENGTH, parseAccept } from '../../src/taxii/accept.js';
import { MAX_PAGE_LIMIT } from '../../src/taxii/constants.js';
import { TaxiiError } from '../../src/taxii/errors.js';
import { NextTokens } from '../../src/taxii/next-token.js';
import { canonicalFilters, parseTaxiiQuery } from '../../src/taxii/query.js';
import { formatTaxiiTimestamp, parseTaxiiTimestamp } from '../../src/taxii/timestamps.js';

describe('TAXII timestamps', () => {
  it('emit exactly six fractional digits and keep microseconds through a round trip', () => {
    const us = Date.UTC(2026, 4, 17, 1, 2, 3) * 1000 + 4567;
    assert.equal(formatTaxiiTimestamp(us), '2026-05-17T01:02:03.004567Z');
    assert.equal(formatTaxiiTimestamp(Date.UTC(2026, 4, 17) * 1000), '2026-05-17T00:00:00.000000Z');
    assert.equal(parseTaxiiTimestamp('2026-05-17T01:02:03.004567Z'), us);
    for (let i = 0; i < 1000; i++) {
      const x = Date.UTC(2026, 0, 1) * 1000 + i * 999_983;
      assert.equal(parseTaxiiTimestamp(formatTaxiiTimestamp(x)), x);
    }
  });

  it('read 0 to 9 fractional digits and refuse what is not a UTC timestamp', () => {
    const base = Date.UTC(2026, 4, 17, 1, 2, 3) * 1000;
    assert.equal(parseTaxiiTimestamp('2026-05-17T01:02:03Z'), base);
    assert.equal(parseTaxiiTimestamp('2026-05-17T01:02:03.1Z'), base + 100_000);
    assert.equal(parseTaxiiTimestamp('2026-05-17T01:02:03.123456789Z'), base + 123_456);
    for (const bad of ['2026-05-17', '2026-05-17T01:02:03', '2026-05-17T01:02:03+00:00', '2026-02-30T00:00:00Z', '2026-05-17T24:00:00Z',
      '2026-05-17T01:02:03.1234567890Z', 'yesterday', '', '1969-12-31T23:59:59Z']) {
      assert.equal(parseTaxiiTimestamp(bad), undefined, bad);
    }
  });
});

describe('TAXII Accept', () => {
  it('serves TAXII 2.1, TAXII without a version, */* and application/* — and 406 for the rest', () => {
    for (const ok of [undefined, '', 'application/taxii+json;version=2.1', 'application/taxii+json', '*/*', 'application/*',
      'application/json, application/taxii+json; version="2.1"', 'text/html;q=0.9, */*;q=0.1', 'APPLICATION/TAXII+JSON;VERSION=2.1']) {
      assert.equal(acceptsTaxii(ok), true, String(ok));
    }
    for (const no of ['application/taxii+json;version=2.0', 'application/json', 'text/html', 'application/taxii+json;version=2.1;q=0',
      '*/*;q=0', 'application/stix+json;version=2.1']) {
      assert.equal(acceptsTaxii(no), false, no);
    }
  });

  it('splits on commas and semicolons outside quoted strings only, in one pass, and reads at most 4 KB', () => {
    assert.deepEqual(parseAccept('text/plain;x="a,b;c\\"d", application/taxii+json;version="2.1";q=0.5').map((r) => [r.type, [...r.params], r.q]), [
      ['text/plain', [['x', 'a,b;c"d']], 1],
      ['application/taxii+json', [['version', '2.1']], 0.5],
    ]);
    // Unbalanced quotes and escapes (what a crafted header holds) still end in one range, read to the end.
    assert.equal(parseAccept(`"${'\\'.repeat(3000)}`).length, 1);
    assert.equal(acceptsTaxii(`${'a;b="'.repeat(801)}, */*`), false, 'the */* is inside the open quote');
    assert.equal(acceptsTaxii(`${'text/html;q=0.1, '.repeat(239)}application/taxii+json`), true);
    assert.equal(acceptsTaxii(`${'text/html;q=0.1, '.repeat(241)}application/taxii+json`), false, 'over MAX_ACCEPT_LENGTH');
    assert.ok(`${'text/html;q=0.1, '.repeat(241)}application/taxii+json`.length > MAX_ACCEPT_LENGTH);
  });
});

describe('TAXII query parameters', () => {
  const bad = (raw: Record<string, unknown>, endpoint: 'objects' | 'manifest' | 'object' | 'versions', message: RegExp) =>
    assert.throws(() => parseTaxiiQuery(raw, endpoint), (e: unknown) => e instanceof TaxiiError && e.status === 400 && message.test(e.description));

  it('has the defaults of the spec: last versions, latest spec version, our page size', () => {
    const q = parseTaxiiQuery({}, 'objects');
    assert.deepEqual(q.versions, { last: true, first: false, all: false, modified: [] });
    assert.equal(q.specVersions, undefined);
    assert.equal(q.limit, 1000);
    assert.equal(parseTaxiiQuery({ limit: '50000' }, 'objects').limit, MAX_PAGE_LIMIT);
  });

  it('reads every filter, comma lists OR-ed, and ignores unknown match fields', () => {
    const q = parseTaxiiQuery({
      added_after: '2026-05-17T00:00:00.123456Z', limit: '10', next: 'abc',
      'match[id]': 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f,identity--0d6b3e5c-6a57-4c1d-9d3c-6f0f3b8a2e11',
      'match[type]': 'indicator,vulnerability', 'match[version]': 'first,2026-05-17T00:00:00.000Z', 'match[spec_version]': '2.1',
      'match[color]': 'blue',
    }, 'objects');
    assert.equal(q.addedAfter, Date.UTC(2026, 4, 17) * 1000 + 123_456);
    assert.equal(q.limit, 10);
    assert.equal(q.next, 'abc');
    assert.deepEqual(q.ids, ['indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', 'identity--0d6b3e5c-6a57-4c1d-9d3c-6f0f3b8a2e11']);
    assert.deepEqual(q.types, ['indicator', 'vulnerability']);
    assert.deepEqual(q.versions, { last: false, first: true, all: false, modified: [Date.UTC(2026, 4, 17)] });
    assert.deepEqual(q.specVersions, ['2.1']);
    // Fields an endpoint does not take are not read there.
    assert.equal(parseTaxiiQuery({ 'match[type]': 'indicator' }, 'versions').types, undefined);
    assert.deepEqual(parseTaxiiQuery({ 'match[version]': 'all' }, 'versions').versions.last, true);
  });

  it('answers 400 for malformed values and fields given twice', () => {
    bad({ added_after: '2026-05-17' }, 'objects', /added_after/);
    bad({ added_after: ['2026-05-17T00:00:00Z', '2026-05-18T00:00:00Z'] }, 'objects', /added_after is given more than once/);
    bad({ limit: '0' }, 'objects', /limit/);
    bad({ limit: 'abc' }, 'manifest', /limit/);
    bad({ limit: '-5' }, 'objects', /limit/);
    bad({ 'match[type]': ['indicator', 'malware'] }, 'objects', /match\[type\] is given more than once/);
    bad({ 'match[id]': 'not-an-id' }, 'objects', /match\[id\]/);
    bad({ 'match[version]': 'newest' }, 'object', /match\[version\]/);
    bad({ 'match[spec_version]': 'two' }, 'versions', /match\[spec_version\]/);
    bad({ next: '' }, 'objects', /next/);
  });
});

describe('TAXII next tokens', () => {
  const tokens = new NextTokens(new TokenSigner('s'.repeat(32)));
  const q = (raw: Record<string, unknown>) => parseTaxiiQuery(raw, 'objects');

  it('carry the position, survive a change of limit, and refuse other filters or forgeries', () => {
    const first = q({ 'match[type]': 'indicator', limit: '10' });
    const token = tokens.issue({ dateAdded: 1_779_000_000_000_123, seq: 42 }, canonicalFilters(first, 'root/collection'));
    const later = q({ 'match[type]': 'indicator', limit: '500', next: token });
    assert.deepEqual(tokens.read(token, canonicalFilters(later, 'root/collection')), { dateAdded: 1_779_000_000_000_123, seq: 42 });
    const other = q({ 'match[type]': 'vulnerability', next: token });
    assert.throws(() => tokens.read(token, canonicalFilters(other, 'root/collection')), /other filters/);
    assert.throws(() => tokens.read(token, canonicalFilters(later, 'root/another-collection')), /other filters/);
    assert.throws(() => tokens.read(`${token}x`, canonicalFilters(later, 'root/collection')), /not a token/);
    assert.throws(() => new NextTokens(new TokenSigner('t'.repeat(32))).read(token, canonicalFilters(later, 'root/collection')), /not a token/);
  });
});
