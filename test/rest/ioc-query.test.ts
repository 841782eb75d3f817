import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ListLimits, parseIocListQuery } from '../../src/rest/ioc-query.js';
import { InvalidParameterError } from '../../src/errors/app-error.js';

// Unit tests of the REST query parser (GET /api/v1/iocs and the STIX export); test/http/rest-api.test.ts covers the
// same parameters end to end.
const PAGES: ListLimits = { defaultLimit: 100, maxLimit: 1000 };
const EXPORT: ListLimits = { defaultLimit: undefined, maxLimit: 1_000_000, cursor: false };

/** The parser's 400: an InvalidParameterError naming `parameter`, with a message matching `message`. */
function refused(raw: Record<string, unknown>, parameter: string, message: RegExp, limits = PAGES): InvalidParameterError {
  let thrown: unknown;
  try {
    parseIocListQuery(raw, limits);
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown instanceof InvalidParameterError, `expected an InvalidParameterError for ${JSON.stringify(raw)}, got ${String(thrown)}`);
  assert.equal(thrown.status, 400);
  assert.equal(thrown.code, 'invalid_parameter');
  assert.equal(thrown.details.parameter, parameter);
  assert.match(thrown.message, message);
  return thrown;
}

describe('parseIocListQuery: filters', () => {
  it('no parameters: active IOCs, the default page size, no cursor', () => {
    assert.deepEqual(parseIocListQuery({}, PAGES), {
      query: { status: 'active', limit: 100 },
      cursor: undefined,
      canonicalFilters: JSON.stringify([null, null, null, null, null, 'active', null]),
    });
  });

  it('an export without limit asks for everything', () => {
    assert.equal(parseIocListQuery({}, EXPORT).query.limit, Number.MAX_SAFE_INTEGER);
  });

  it('every filter, trimmed and lower-cased, in its query field', () => {
    const { query, cursor } = parseIocListQuery(
      { type: 'IPv4, domain,ipv4', since: '2026-05-17T00:00:00Z', industry: ' Energy ', confidence: 'HIGH', source: 'URLhaus', status: 'Revoked', limit: '25', cursor: 'abc' },
      PAGES,
    );
    assert.deepEqual(query, {
      status: 'revoked', limit: 25, types: ['ipv4', 'domain'], since: Date.UTC(2026, 4, 17), sector: 'energy', band: 'high', source: 'urlhaus',
    });
    assert.equal(cursor, 'abc');
  });

  it('status all is accepted', () => {
    assert.equal(parseIocListQuery({ status: 'all' }, PAGES).query.status, 'all');
  });

  it('q is normalized (refanged) and narrows the type filter to its own type', () => {
    assert.deepEqual(parseIocListQuery({ q: 'evil[.]example' }, PAGES).query, { status: 'active', limit: 100, types: ['domain'], value: 'evil.example' });
    assert.deepEqual(parseIocListQuery({ q: '203.0.113.7', type: 'ipv4,domain' }, PAGES).query.types, ['ipv4']);
    assert.deepEqual(parseIocListQuery({ q: '203.0.113.7', type: 'domain' }, PAGES).query.types, [], 'they disagree: nothing matches');
  });

  it('the canonical filters ignore the order of types and the limit, and differ by any filter', () => {
    const canon = (raw: Record<string, unknown>) => parseIocListQuery(raw, PAGES).canonicalFilters;
    assert.equal(canon({ type: 'ipv4,domain', limit: '5' }), canon({ type: 'domain,ipv4', limit: '50' }));
    const variants = [{}, { type: 'ipv4' }, { since: '2026-05-17' }, { industry: 'energy' }, { confidence: 'low' }, { source: 'urlhaus' }, { status: 'all' }, { q: '203.0.113.7' }];
    assert.equal(new Set(variants.map(canon)).size, variants.length);
  });
});

describe('parseIocListQuery: bounds', () => {
  it('limit from 1 to maxLimit', () => {
    assert.equal(parseIocListQuery({ limit: '1' }, PAGES).query.limit, 1);
    assert.equal(parseIocListQuery({ limit: '1000' }, PAGES).query.limit, 1000);
    for (const limit of ['0', '1001', '-1', '1.5', '1e3', ' 5', '', '1234567890']) {
      const err = refused({ limit }, 'limit', /is not an integer from 1 to 1000/);
      assert.equal(err.details.allowed, '1–1000');
    }
  });

  it('a long bad value is shortened in the message', () => {
    const err = refused({ source: `-${'x'.repeat(500)}` }, 'source', /is not a source id/);
    assert.ok(err.message.length < 300, err.message);
    assert.match(err.message, /…/);
  });

  it('source ids: at most 64 characters of a-z 0-9 . _ : -', () => {
    assert.equal(parseIocListQuery({ source: `a${'b'.repeat(63)}` }, PAGES).query.source, `a${'b'.repeat(63)}`);
    refused({ source: `a${'b'.repeat(64)}` }, 'source', /is not a source id/);
    refused({ source: 'a/b' }, 'source', /is not a source id/);
  });
});

describe('parseIocListQuery: bad input is a typed 400 naming the parameter', () => {
  it('unknown parameters, with the allowed ones', () => {
    const err = refused({ colour: 'red' }, 'colour', /unknown parameter/);
    assert.ok((err.details.allowed as readonly string[]).includes('cursor'));
    const noCursor = refused({ cursor: 'abc' }, 'cursor', /unknown parameter/, EXPORT);
    assert.ok(!(noCursor.details.allowed as readonly string[]).includes('cursor'), 'exports take no cursor');
  });

  it('a parameter given twice', () => {
    refused({ type: ['ipv4', 'domain'] }, 'type', /given more than once/);
  });

  it('each filter with a value it does not accept', () => {
    refused({ type: 'ipv4,bogus' }, 'type', /"bogus" is not an IOC type/);
    refused({ since: 'yesterday' }, 'since', /is not an ISO 8601 date-time/);
    refused({ industry: 'space' }, 'industry', /is not a CISA sector slug/);
    refused({ confidence: 'certain' }, 'confidence', /is not a confidence band/);
    refused({ status: 'deleted' }, 'status', /is not a status/);
    refused({ q: 'not an ioc at all' }, 'q', /./);
  });
});
