import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterQuery, hasFilters, parseSearch, searchHref } from '../../web/src/lib/search-query.js';

/** Issue 16, Search: the filters live in the page URL, so a search is a link, and go to the API as its own names. */
describe('search query (web/src/lib/search-query.ts)', () => {
  it('reads the REST filter names from the URL, trims them, ignores other parameters', () => {
    const s = parseSearch(new URLSearchParams('type=ipv4&confidence=high&industry=energy&source=feodo&status=all&since=2026-01-01&q=%201.2.3.4%20&x=1'));
    assert.deepEqual(s.filters, { type: 'ipv4', confidence: 'high', industry: 'energy', source: 'feodo', status: 'all', since: '2026-01-01', q: '1.2.3.4' });
    assert.equal(s.limit, 100);
    assert.equal(s.cursor, '');
  });

  it('a page size outside the choices is the default; a long value is cut', () => {
    assert.equal(parseSearch(new URLSearchParams('limit=25')).limit, 25);
    assert.equal(parseSearch(new URLSearchParams('limit=100000')).limit, 100);
    assert.equal(parseSearch(new URLSearchParams('limit=abc')).limit, 100);
    assert.equal(parseSearch(new URLSearchParams({ q: 'a'.repeat(5000) })).filters.q.length, 2048);
  });

  it('sends only the filters that are set, and round-trips through the page URL with the size and cursor', () => {
    const s = parseSearch(new URLSearchParams('type=domain&q=evil.example&limit=25&cursor=abc.def'));
    assert.deepEqual(filterQuery(s.filters), { type: 'domain', q: 'evil.example' });
    const href = searchHref(s);
    assert.equal(href, '/search?type=domain&q=evil.example&limit=25&cursor=abc.def');
    assert.deepEqual(parseSearch(new URLSearchParams(href.slice('/search?'.length))), s);
    assert.equal(searchHref(parseSearch(new URLSearchParams(''))), '/search');
  });

  it('encodes values (a URL with & and # stays one filter)', () => {
    const s = parseSearch(new URLSearchParams());
    s.filters.q = 'http://x.example/?a=1&b=2#frag';
    const back = parseSearch(new URLSearchParams(searchHref(s).split('?')[1]));
    assert.equal(back.filters.q, 'http://x.example/?a=1&b=2#frag');
    assert.ok(hasFilters(back.filters));
    assert.ok(!hasFilters(parseSearch(new URLSearchParams('limit=25')).filters));
  });
});
