import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mergeBlocklistPages } from '../../src/store/blocklist-select.js';

const inOrder = (a: { score: number; rowId: number }, b: { score: number; rowId: number }) => b.score - a.score || b.rowId - a.rowId;

describe('mergeBlocklistPages', () => {
  it('gives the first `limit` entries of both pages in blocklist order, as sorting them together would', () => {
    // Distinct row ids (an IOC is in one window); scores from a small range, so that ties are common.
    const pages = fc.uniqueArray(fc.record({ score: fc.integer({ min: 0, max: 5 }), rowId: fc.integer({ min: 1, max: 500 }) }), { selector: (e) => e.rowId, maxLength: 60 })
      .chain((all) => fc.tuple(fc.constant(all), fc.array(fc.boolean(), { minLength: all.length, maxLength: all.length })));
    fc.assert(fc.property(pages, fc.integer({ min: 0, max: 70 }), ([all, side], limit) => {
      const a = all.filter((_, i) => side[i]).sort(inOrder);
      const b = all.filter((_, i) => !side[i]).sort(inOrder);
      assert.deepEqual(mergeBlocklistPages(a, b, limit), [...all].sort(inOrder).slice(0, limit));
    }), { numRuns: 500 });
  });
});
