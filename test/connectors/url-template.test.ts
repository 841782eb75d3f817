import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expandUrl, parseDuration, timeWindows, withQuery, type TemplateValues } from '../../src/connectors/catalog/url-template.js';

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const SINCE = Date.UTC(2025, 11, 3, 22, 10, 0);
const V: TemplateValues = { now: NOW, since: SINCE, apiKey: 'k3y' };

describe('expandUrl', () => {
  const EXPANDED: ReadonlyArray<readonly [string, TemplateValues, string]> = [
    ['https://x/feed.txt', V, 'https://x/feed.txt'],
    ['https://x/{apiKey}/list.json', V, 'https://x/k3y/list.json'],
    ['https://x/{apiKey}/list.json', { ...V, apiKey: 'a b/c&d=e?f#g%' }, 'https://x/a%20b%2Fc%26d%3De%3Ff%23g%25/list.json'],
    ['https://x/{date:YYYY-MM-DD}.csv', V, 'https://x/2026-01-02.csv'],
    ['https://x/{date}.csv', V, 'https://x/2026-01-02.csv'],
    ['https://x/{date-1:YYYY-MM-DD}.csv', V, 'https://x/2026-01-01.csv'],
    ['https://x/{date-2:YYYY-MM-DD}.csv', V, 'https://x/2025-12-31.csv'],
    ['https://x/{date-30:YYYYMMDD}.csv', V, 'https://x/20251203.csv'],
    ['https://x/{date:YYYYMMDD}.txt', V, 'https://x/20260102.txt'],
    ['https://x/{date:ISO}', V, 'https://x/2026-01-02T03:04:05.678Z'],
    ['https://x/?since={since:ISO}', V, 'https://x/?since=2025-12-03T22:10:00.000Z'],
    ['https://x/?since={since}', V, 'https://x/?since=2025-12-03T22:10:00.000Z'],
    ['https://x/?since={since:YYYY-MM-DD}', V, 'https://x/?since=2025-12-03'],
    ['https://x/?to={now:ISO}', V, 'https://x/?to=2026-01-02T03:04:05.678Z'],
    ['https://x/?to={now}', V, 'https://x/?to=2026-01-02T03:04:05.678Z'],
    ['https://x/?d={now:YYYYMMDD}', V, 'https://x/?d=20260102'],
    [
      'https://services.nvd.nist.gov/rest/json/cves/2.0?lastModStartDate={since:ISO}&lastModEndDate={date:YYYY-MM-DD}T23:59:59.999Z',
      V,
      'https://services.nvd.nist.gov/rest/json/cves/2.0?lastModStartDate=2025-12-03T22:10:00.000Z&lastModEndDate=2026-01-02T23:59:59.999Z',
    ],
    ['https://x/{apiKey}/{date:YYYYMMDD}/{apiKey}', V, 'https://x/k3y/20260102/k3y'],
    // UTC, whatever the hour: 23:30 UTC on Jan 1 is still Jan 1.
    ['https://x/{date:YYYY-MM-DD}', { now: Date.UTC(2026, 0, 1, 23, 30), since: 0 }, 'https://x/2026-01-01'],
  ];
  for (const [template, values, expected] of EXPANDED) {
    it(`${template} → ${expected}`, () => assert.equal(expandUrl(template, values), expected));
  }

  it('needs no key when the template has none', () => {
    assert.equal(expandUrl('https://x/{date:YYYYMMDD}', { now: NOW, since: SINCE }), 'https://x/20260102');
  });

  const FAILS: ReadonlyArray<readonly [string, TemplateValues, RegExp]> = [
    ['https://x/{apiKey}', { now: NOW, since: SINCE }, /needs \{apiKey\} and no key is configured/],
    ['https://x/{apiKey}', { now: NOW, since: SINCE, apiKey: undefined }, /no key is configured/],
    ['https://x/{key}', V, /unknown placeholder \{key\}/],
    ['https://x/{today:YYYY-MM-DD}', V, /unknown placeholder \{today:YYYY-MM-DD\}/],
    ['https://x/{APIKEY}', V, /unknown placeholder \{APIKEY\}/],
    ['https://x/{date:DD-MM-YYYY}', V, /unknown date format "DD-MM-YYYY"/],
    ['https://x/{since:epoch}', V, /unknown date format "epoch"/],
    ['https://x/{now:iso}', V, /unknown date format "iso"/],
  ];
  for (const [template, values, why] of FAILS) {
    it(`${template} throws ${why}`, () => assert.throws(() => expandUrl(template, values), why));
  }
});

describe('parseDuration', () => {
  const DURATIONS: ReadonlyArray<readonly [string, number | undefined]> = [
    ['30s', 30_000], ['15m', 900_000], ['6h', 21_600_000], ['1d', 86_400_000], ['1.5h', 5_400_000], ['0.5d', 43_200_000],
    ['90m', 5_400_000], [' 2h ', 7_200_000], ['2 h', 7_200_000], ['7d', 604_800_000],
    ['', undefined], ['1', undefined], ['h', undefined], ['1w', undefined], ['1H', undefined], ['-1h', undefined],
    ['1h30m', undefined], ['1.h', undefined], ['.5h', undefined], ['1e3s', undefined], ['one hour', undefined], ['PT1H', undefined],
  ];
  for (const [text, ms] of DURATIONS) it(`${JSON.stringify(text)} → ${ms}`, () => assert.equal(parseDuration(text), ms));
});

describe('withQuery', () => {
  const CASES: ReadonlyArray<readonly [string, Record<string, string>, string]> = [
    ['https://x/api', { page: '2' }, 'https://x/api?page=2'],
    ['https://x/api?', { page: '2' }, 'https://x/api?page=2'],
    ['https://x/api?a=1&', { page: '2' }, 'https://x/api?a=1&page=2'],
    // Other parameters are kept as they are, NVD's unencoded ':' included.
    ['https://x/api?lastModStartDate=2026-01-02T03:04:05.000Z&x=a%2Fb', { startIndex: '0' }, 'https://x/api?lastModStartDate=2026-01-02T03:04:05.000Z&x=a%2Fb&startIndex=0'],
    // Existing values are replaced, wherever they stand.
    ['https://x/api?startIndex=0&resultsPerPage=2000', { startIndex: '2000' }, 'https://x/api?resultsPerPage=2000&startIndex=2000'],
    ['https://x/api?a=1&startIndex=0&b=2', { startIndex: '4000' }, 'https://x/api?a=1&b=2&startIndex=4000'],
    ['https://x/api?a=1&startIndex=0', { startIndex: '4000' }, 'https://x/api?a=1&startIndex=4000'],
    ['https://x/api?startIndex=0', { startIndex: '4000' }, 'https://x/api?startIndex=4000'],
    ['https://x/api?startIndex=', { startIndex: '1' }, 'https://x/api?startIndex=1'],
    // Only whole names are replaced.
    ['https://x/api?xstartIndex=5&startIndexes=6', { startIndex: '1' }, 'https://x/api?xstartIndex=5&startIndexes=6&startIndex=1'],
    ['https://x/api?aXb=5', { 'a.b': '1' }, 'https://x/api?aXb=5&a.b=1'],
    // Several parameters at once; values and names encoded.
    ['https://x/api?limit=50', { offset: '100', limit: '25' }, 'https://x/api?offset=100&limit=25'],
    ['https://x/api', { q: 'a b&c=d', 'k y': 'é' }, 'https://x/api?q=a%20b%26c%3Dd&k%20y=%C3%A9'],
    // A fragment is never sent to a server: it is dropped, and the query goes where it belongs.
    ['https://x/api#section', { page: '2' }, 'https://x/api?page=2'],
    ['https://x/api?a=1#x?b=2', { b: '3' }, 'https://x/api?a=1&b=3'],
  ];
  for (const [url, params, expected] of CASES) {
    it(`${url} + ${JSON.stringify(params)} → ${expected}`, () => {
      const out = withQuery(url, params);
      assert.equal(out, expected);
      const parsed = new URL(out);
      for (const [k, v] of Object.entries(params)) assert.deepEqual(parsed.searchParams.getAll(k), [v], k);
    });
  }

  it('replaces every occurrence of a repeated parameter', () => {
    assert.equal(withQuery('https://x/api?a=1&a=2', { a: '3' }), 'https://x/api?a=3');
  });
});

describe('timeWindows (NVD: at most 120 days, the last ending now)', () => {
  const DAY = 86_400_000;
  const T = Date.UTC(2026, 10, 20, 12);
  const days = (ws: Array<{ since: number; until: number }>) => ws.map((w) => [(w.since - T) / DAY, (w.until - T) / DAY]);
  it('a short span is one window', () => assert.deepEqual(days(timeWindows(T - 30 * DAY, T, 120 * DAY)), [[-30, 0]]));
  it('exactly 120 days is one window', () => assert.deepEqual(days(timeWindows(T - 120 * DAY, T, 120 * DAY)), [[-120, 0]]));
  it('a long span: consecutive windows, oldest first, the last one shorter', () =>
    assert.deepEqual(days(timeWindows(T - 300 * DAY, T, 120 * DAY)), [[-300, -180], [-180, -60], [-60, 0]]));
  it('since at or after until: one empty window at until (never past it)', () => {
    assert.deepEqual(days(timeWindows(T, T, 120 * DAY)), [[0, 0]]);
    assert.deepEqual(days(timeWindows(T + DAY, T, 120 * DAY)), [[0, 0]]);
  });
  it('{until} is the window end, or now', () => {
    assert.equal(expandUrl('e={until:ISO}', { now: T, since: T - DAY, until: T - 3_600_000 }), 'e=2026-11-20T11:00:00.000Z');
    assert.equal(expandUrl('e={until:ISO}', { now: T, since: T - DAY }), 'e=2026-11-20T12:00:00.000Z');
  });
});
