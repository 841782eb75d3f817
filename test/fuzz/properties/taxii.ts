/**
 * TAXII request parsing: the query parser (src/taxii/query.ts) and the Accept parser (src/taxii/accept.ts).
 *
 * - parseTaxiiQuery on any parameter map (strings, repeated parameters as arrays, odd keys such as `__proto__`)
 *   returns a consistent query or throws a TaxiiError 400, nothing else; limit stays within 1..maxLimit;
 * - well-formed parameters are read back exactly;
 * - parseAccept/acceptsTaxii on any header never throw; every range is lowercase, trimmed, with q in [0, 1];
 *   the answer agrees with a model of the rules for headers built from known pieces.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { STIX_IDENTIFIER } from '../../../src/stix/object-version.js';
import { acceptsTaxii, MAX_ACCEPT_LENGTH, parseAccept } from '../../../src/taxii/accept.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../../../src/taxii/constants.js';
import { TaxiiError } from '../../../src/taxii/errors.js';
import { ENDPOINT_FILTERS, type PagedEndpoint, type PageLimits, parseTaxiiQuery, type TaxiiQuery } from '../../../src/taxii/query.js';
import { parseTaxiiTimestamp } from '../../../src/taxii/timestamps.js';
import { anyString, hostileString, mutated } from '../support/arbitraries.js';
import type { CorpusChecks, FuzzProperty } from '../support/fuzz.js';

const ENDPOINTS = Object.keys(ENDPOINT_FILTERS) as PagedEndpoint[];

export interface QueryInput {
  /** Entries rather than an object, so that `__proto__` stays an own key (Object.fromEntries keeps it). */
  params: Array<[string, unknown]>;
  endpoint: PagedEndpoint;
  limits?: PageLimits;
}

/** Calls the parser; returns the query, or undefined after checking the error is a TaxiiError 400. */
function parseOrBadRequest(input: QueryInput): TaxiiQuery | undefined {
  const raw = Object.fromEntries(input.params) as Record<string, unknown>;
  try {
    return parseTaxiiQuery(raw, input.endpoint, input.limits);
  } catch (err) {
    assert.ok(err instanceof TaxiiError, `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    assert.equal(err.status, 400);
    assert.equal(typeof err.description, 'string');
    assert.ok(err.description.length > 0 && err.description.length <= 400, `description of ${err.description.length} characters`);
    return undefined;
  }
}

export function checkQuery(input: QueryInput): void {
  const q = parseOrBadRequest(input);
  if (q === undefined) return;
  const limits = input.limits ?? { defaultLimit: DEFAULT_PAGE_LIMIT, maxLimit: MAX_PAGE_LIMIT };
  const raw = Object.fromEntries(input.params) as Record<string, unknown>;
  const allowed: readonly string[] = ENDPOINT_FILTERS[input.endpoint];
  assert.ok(Number.isInteger(q.limit) && q.limit >= 1 && q.limit <= Math.max(limits.maxLimit, 1), `limit ${q.limit}`);
  if (!Object.hasOwn(raw, 'limit') || raw.limit === undefined) assert.equal(q.limit, limits.defaultLimit);
  else assert.equal(q.limit, Math.min(Number(raw.limit), limits.maxLimit));
  if (q.addedAfter !== undefined) assert.ok(Number.isSafeInteger(q.addedAfter) && q.addedAfter >= 0, `addedAfter ${q.addedAfter}`);
  if (q.next !== undefined) assert.ok(q.next.length > 0 && q.next.length <= 2048);
  const v = q.versions;
  assert.ok(v.last || v.first || v.all || v.modified.length > 0, 'match[version] selects nothing');
  for (const m of v.modified) assert.ok(Number.isFinite(m), `modified ${m}`);
  if (!allowed.includes('version')) assert.deepEqual(v, { last: true, first: false, all: false, modified: [] });
  else if (typeof raw['match[version]'] === 'string') {
    // Exact versions are real UTC timestamps, read as added_after reads them (no 30 February rolled into March).
    for (const item of raw['match[version]'].split(',').map((x) => x.trim())) {
      if (item === 'last' || item === 'first' || item === 'all') continue;
      const us = parseTaxiiTimestamp(item);
      assert.ok(us !== undefined, `match[version] ${JSON.stringify(item)} accepted but it is not a real timestamp`);
      assert.ok(v.modified.includes(Math.floor(us / 1000)), `match[version] ${JSON.stringify(item)} read as ${JSON.stringify(v.modified)}`);
    }
  }
  if (!allowed.includes('id')) assert.equal(q.ids, undefined);
  if (!allowed.includes('type')) assert.equal(q.types, undefined);
  for (const id of q.ids ?? []) assert.match(id, STIX_IDENTIFIER);
  for (const list of [q.ids, q.types, q.specVersions]) {
    if (list === undefined) continue;
    assert.ok(list.length > 0);
    assert.equal(new Set(list).size, list.length, 'duplicates kept');
  }
  // Deterministic: the same parameters give the same query.
  assert.deepEqual(parseTaxiiQuery(raw, input.endpoint, input.limits), q);
}

/** Well-formed parameters come back as given. */
export function checkWellFormedQuery(input: QueryInput & { expect: { limit?: number; addedAfter?: string; ids?: string[]; types?: string[] } }): void {
  const raw = Object.fromEntries(input.params) as Record<string, unknown>;
  const q = parseTaxiiQuery(raw, input.endpoint, input.limits);
  const limits = input.limits ?? { defaultLimit: DEFAULT_PAGE_LIMIT, maxLimit: MAX_PAGE_LIMIT };
  assert.equal(q.limit, input.expect.limit === undefined ? limits.defaultLimit : Math.min(input.expect.limit, limits.maxLimit));
  if (input.expect.addedAfter !== undefined) assert.equal(q.addedAfter, parseTaxiiTimestamp(input.expect.addedAfter));
  if (input.expect.ids !== undefined && ENDPOINT_FILTERS[input.endpoint].includes('id' as never)) assert.deepEqual(q.ids, [...new Set(input.expect.ids)]);
  if (input.expect.types !== undefined && ENDPOINT_FILTERS[input.endpoint].includes('type' as never)) assert.deepEqual(q.types, [...new Set(input.expect.types)]);
}

// ---------------------------------------------------------------------------------------------------------
// Accept
// ---------------------------------------------------------------------------------------------------------

export function checkAccept(header: string): void {
  const ranges = parseAccept(header);
  assert.ok(Array.isArray(ranges));
  if (header.length > MAX_ACCEPT_LENGTH) assert.equal(ranges.length, 0);
  // Elements are split on commas outside quotes: never more ranges than commas + 1.
  assert.ok(ranges.length <= [...header].filter((c) => c === ',').length + 1);
  for (const r of ranges) {
    assert.ok(r.type.length > 0);
    assert.equal(r.type, r.type.trim().toLowerCase());
    assert.ok(r.q >= 0 && r.q <= 1, `q ${r.q}`);
    for (const [name, value] of r.params) {
      assert.equal(name, name.trim().toLowerCase());
      assert.equal(value, value.toLowerCase());
    }
  }
  const answer = acceptsTaxii(header);
  assert.equal(typeof answer, 'boolean');
  // What we answer must follow from the parsed ranges (the parser and the decision agree).
  const expected = header.trim() === '' || ranges.some((r) => r.q > 0 && (r.type === '*/*' || r.type === 'application/*' || (r.type === 'application/taxii+json' && [undefined, '2.1'].includes(r.params.get('version')))));
  assert.equal(answer, expected);
  // A header that starts with the TAXII media type is acceptable whatever follows, within the length limit.
  const prefixed = `application/taxii+json;version=2.1, ${header}`;
  if (prefixed.length <= MAX_ACCEPT_LENGTH) assert.equal(acceptsTaxii(prefixed), true, 'prefixed header refused');
}

export interface AcceptElement {
  type: string;
  version: string | undefined;
  quoteVersion: boolean;
  q: string | undefined;
  extra: string;
  space: string;
}

const acceptableType = (t: string) => ['*/*', 'application/*', 'application/taxii+json'].includes(t.trim().toLowerCase());

/** The rules of acceptsTaxii (TAXII 2.1 §1.6.8 and docs/taxii-conformance.md §1), on a header built from known pieces. */
export function modelAccepts(elements: readonly AcceptElement[]): boolean {
  return elements.some((e) => {
    const n = e.q === undefined ? 1 : Number(e.q);
    const q = Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
    if (q <= 0 || !acceptableType(e.type)) return false;
    if (e.type.trim().toLowerCase() !== 'application/taxii+json') return true;
    return e.version === undefined || e.version.toLowerCase() === '2.1';
  });
}

export function renderAccept(elements: readonly AcceptElement[]): string {
  return elements
    .map((e) => {
      let s = e.type;
      if (e.version !== undefined) s += `${e.space};${e.space}version=${e.quoteVersion ? `"${e.version}"` : e.version}`;
      if (e.q !== undefined) s += `${e.space};${e.space}q=${e.q}`;
      return s + e.extra;
    })
    .join(',');
}

export function checkAcceptModel(elements: AcceptElement[]): void {
  const header = renderAccept(elements);
  if (header.length > MAX_ACCEPT_LENGTH) return;
  // No header (or a blank one) accepts anything; an element without a type is ignored.
  const expected = header.trim() === '' || modelAccepts(elements.filter((e) => e.type.trim() !== ''));
  assert.equal(acceptsTaxii(header), expected, `acceptsTaxii(${JSON.stringify(header)})`);
}

// ---------------------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------------------

const uuid = fc.uuid();
const stixId = fc.tuple(fc.constantFrom('indicator', 'malware', 'x-custom-thing', 'Indicator', '1bad'), uuid).map(([t, u]) => `${t}--${u}`);
const timestamp = fc.date({ min: new Date('1960-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
  .chain((d) => fc.constantFrom(d.toISOString(), `${d.toISOString().slice(0, 19)}Z`, `${d.toISOString().slice(0, 23)}123456Z`, d.toISOString().toLowerCase(), `${d.toISOString().slice(0, 19)}.1234567891Z`, d.toISOString().replace('Z', '+00:00')));
const badTimestamp = fc.constantFrom('2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T23:59:60Z', '1969-12-31T23:59:59Z', '+275760-09-13T00:00:00Z', '2026-01-01', 'now', '');
const limitValue = fc.oneof(fc.integer({ min: -5, max: 2_000_000_000 }).map(String), fc.constantFrom('0', '00', '01', '1e3', '+5', ' 5', '5 ', '0x10', '１０', '999999999', '1000000000', ''));
const listOf = (item: fc.Arbitrary<string>) => fc.array(item, { minLength: 1, maxLength: 4 }).chain((xs) => fc.constantFrom(',', ', ', ' ,', ',,').map((sep) => xs.join(sep)));
const versionValue = listOf(fc.oneof(fc.constantFrom('last', 'first', 'all', 'LAST', ''), timestamp, badTimestamp));
const typeValue = listOf(fc.oneof(fc.constantFrom('indicator', 'x-a', 'a', 'Indicator', 'indicator--x', 'a'.repeat(251)), fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/)));
const specValue = listOf(fc.constantFrom('2.1', '2.0', '2', '2.10', '20.1', '2.1.0', 'v2.1', ''));

const paramValue = (name: string): fc.Arbitrary<unknown> => {
  const typical: fc.Arbitrary<string> = (() => {
    switch (name) {
      case 'limit':
        return limitValue;
      case 'added_after':
        return fc.oneof(timestamp, badTimestamp);
      case 'next':
        return fc.oneof(fc.string({ maxLength: 40 }), fc.constant('x'.repeat(2049)));
      case 'match[id]':
        return listOf(fc.oneof(stixId, fc.string({ maxLength: 8 })));
      case 'match[type]':
        return typeValue;
      case 'match[version]':
        return versionValue;
      case 'match[spec_version]':
        return specValue;
      default:
        return fc.string({ maxLength: 20 });
    }
  })();
  return fc.oneof(
    { arbitrary: typical, weight: 6 },
    { arbitrary: mutated(typical, 2), weight: 2 },
    { arbitrary: hostileString, weight: 1 },
    { arbitrary: fc.array(typical, { minLength: 0, maxLength: 3 }), weight: 1 }, // a repeated parameter
    { arbitrary: fc.constantFrom(undefined, null, 5, true, {}), weight: 1 },
  );
};

const PARAM_NAMES = ['limit', 'added_after', 'next', 'match[id]', 'match[type]', 'match[version]', 'match[spec_version]', 'match[foo]', 'match[]', 'match[id', 'MATCH[id]', '__proto__', 'constructor', 'toString', 'hasOwnProperty'];
const params = fc.uniqueArray(fc.oneof(fc.constantFrom(...PARAM_NAMES), fc.string({ maxLength: 10 })), { maxLength: 8 })
  .chain((names) => fc.tuple(...names.map((n) => paramValue(n).map((v) => [n, v] as [string, unknown]))));
const limitsArb = fc.option(fc.integer({ min: 1, max: 20_000 }).chain((maxLimit) => fc.integer({ min: 1, max: maxLimit }).map((defaultLimit) => ({ defaultLimit, maxLimit }))), { nil: undefined });
const queryInput: fc.Arbitrary<QueryInput> = fc.record({ params, endpoint: fc.constantFrom(...ENDPOINTS), limits: limitsArb }, { noNullPrototype: true });

const goodId = fc.tuple(fc.constantFrom('indicator', 'malware', 'x-custom-thing'), uuid).map(([t, u]) => `${t}--${u}`);
const wellFormed = fc
  .record({
    endpoint: fc.constantFrom(...ENDPOINTS),
    limits: limitsArb,
    limit: fc.option(fc.integer({ min: 1, max: 999_999_999 }), { nil: undefined }),
    addedAfter: fc.option(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()), { nil: undefined }),
    ids: fc.option(fc.array(goodId, { minLength: 1, maxLength: 4 }), { nil: undefined }),
    types: fc.option(fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{1,20}$/), { minLength: 1, maxLength: 4 }), { nil: undefined }),
  }, { noNullPrototype: true })
  .map((r) => {
    const p: Array<[string, unknown]> = [];
    if (r.limit !== undefined) p.push(['limit', String(r.limit)]);
    if (r.addedAfter !== undefined) p.push(['added_after', r.addedAfter]);
    if (r.ids !== undefined) p.push(['match[id]', r.ids.join(',')]);
    if (r.types !== undefined) p.push(['match[type]', r.types.join(',')]);
    return { params: p, endpoint: r.endpoint, limits: r.limits, expect: { limit: r.limit, addedAfter: r.addedAfter, ids: r.ids, types: r.types } };
  });

const ACCEPT_PIECES = ['application/taxii+json', 'application/stix+json', 'application/json', '*/*', 'application/*', 'text/html', ';', ',', '=', '"', '\\', 'version=2.1', 'version=2.0', 'version="2.1"', 'q=0', 'q=1', 'q=0.5', 'q=-1', 'q=abc', 'q=1e-9', 'q=', ' ', '\t', 'APPLICATION/TAXII+JSON', 'VERSION=2.1'];
const acceptHeader = fc.oneof(
  { arbitrary: fc.array(fc.constantFrom(...ACCEPT_PIECES), { maxLength: 16 }).map((a) => a.join('')), weight: 4 },
  { arbitrary: anyString, weight: 3 },
  { arbitrary: fc.tuple(fc.constantFrom('"', '\\', '"\\', ';', ',', ';q=', '\\"'), fc.integer({ min: 1, max: 3000 })).map(([u, n]) => u.repeat(n)), weight: 1 },
);
const acceptElement: fc.Arbitrary<AcceptElement> = fc.record({
  type: fc.constantFrom('application/taxii+json', 'APPLICATION/TAXII+JSON', ' application/taxii+json ', 'application/stix+json', '*/*', 'application/*', 'text/*', 'application/json', ''),
  version: fc.option(fc.constantFrom('2.1', '2.0', '2.1.0', 'V2.1', ''), { nil: undefined }),
  quoteVersion: fc.boolean(),
  q: fc.option(fc.constantFrom('0', '0.0', '0.001', '0.5', '1', '1.0', '2', '-1', 'abc', '', 'Infinity', '1e-3'), { nil: undefined }),
  extra: fc.constantFrom('', ';level=1', ';charset="utf-8"', ';a="x,y;z"', ';foo'),
  space: fc.constantFrom('', ' ', '\t'),
}, { noNullPrototype: true });

export const CORPUS_CHECKS: CorpusChecks = {
  'taxii-query': checkQuery,
  accept: checkAccept,
  'accept-model': checkAcceptModel,
};

export const PROPERTIES: FuzzProperty[] = [
  { name: 'parseTaxiiQuery: a consistent query or TaxiiError 400, for any parameters', runs: 1500, property: fc.property(queryInput, checkQuery) },
  { name: 'parseTaxiiQuery: well-formed parameters read back exactly', runs: 400, property: fc.property(wellFormed, checkWellFormedQuery) },
  { name: 'parseAccept/acceptsTaxii: total and consistent on any header', runs: 1200, property: fc.property(acceptHeader, checkAccept) },
  { name: 'acceptsTaxii: agrees with a model of the rules', runs: 800, property: fc.property(fc.array(acceptElement, { maxLength: 5 }), checkAcceptModel) },
];
