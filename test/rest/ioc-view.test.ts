import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { IOC_TYPES } from '../../src/domain/ioc-types.js';
import { TLP_LEVELS } from '../../src/domain/tlp.js';
import { iocListText, iocView } from '../../src/rest/ioc-view.js';
import type { Ioc, IocListRow } from '../../src/store/types.js';

/** The row the store hands the list for an IOC: its lists as the JSON text stored (store/merge.ts listJson writes them so). */
const rowOf = (c: Ioc): IocListRow => ({
  id: c.id, type: c.type, value: c.value, score: c.score, firstSeen: c.firstSeen, lastSeen: c.lastSeen, addedAt: c.addedAt,
  labelsJson: `"sources":${JSON.stringify(c.sources)},"tags":${JSON.stringify(c.tags)},"malware":${JSON.stringify(c.malware)},` +
    `"sectors":${JSON.stringify(c.sectors)},"tlp":${JSON.stringify(c.tlp)},"status":${JSON.stringify(c.status)}`,
  validUntil: c.validUntil,
});

// Any text a feed may carry, lone surrogates, quotes, controls and `</script>` included.
const text = fc.oneof(fc.string({ unit: 'binary' }), fc.constant('</script><script>alert(1)</script>'), fc.constant('"\\\u0000\u2028\ud800'));
const time = fc.integer({ min: 0, max: 4_102_444_800_000 });
const ioc: fc.Arbitrary<Ioc> = fc.record({
  id: fc.uuid().map((u) => `indicator--${u}`),
  type: fc.constantFrom(...IOC_TYPES),
  value: text,
  score: fc.integer({ min: 0, max: 100 }),
  firstSeen: time,
  lastSeen: time,
  addedAt: time,
  updatedAt: time,
  sources: fc.array(fc.stringMatching(/^[a-z0-9-]{1,20}$/), { maxLength: 4 }),
  tags: fc.array(text, { maxLength: 4 }),
  malware: fc.array(text, { maxLength: 3 }),
  sectors: fc.array(fc.constantFrom('energy', 'health', 'finance'), { maxLength: 3 }),
  tlp: fc.constantFrom(...TLP_LEVELS),
  status: fc.constantFrom('active' as const, 'revoked' as const),
  validUntil: time,
  redistributable: fc.boolean(),
});

describe('iocListText', () => {
  it('is the JSON of the views, property for property and in the same order', () => {
    fc.assert(
      fc.property(fc.array(ioc, { maxLength: 5 }), fc.option(fc.string(), { nil: null }), fc.integer({ min: 1, max: 1000 }), (items, next, limit) => {
        const pagination = { limit, next_cursor: next, has_more: next !== null };
        const written = iocListText(items.map(rowOf), pagination);
        const expected = { data: items.map(iocView), pagination };
        assert.deepEqual(JSON.parse(written), expected);
        // Key order too: what clients that print the answer see.
        assert.equal(written, JSON.stringify(expected));
      }),
      { numRuns: 500 },
    );
  });

  it('writes an empty page', () => {
    assert.equal(iocListText([], { limit: 100, next_cursor: null, has_more: false }), '{"data":[],"pagination":{"limit":100,"next_cursor":null,"has_more":false}}');
  });
});
