import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cutAtBudget, logPageOf } from '../../src/store/log-page.js';

/** The rule spelled out: the rows before the first whose UTF-8 bytes, added to those before it, pass the budget. */
function cutByBytes(texts: string[], maxBytes: number): number {
  let bytes = 0;
  for (let i = 0; i < texts.length; i++) {
    bytes += Buffer.byteLength(texts[i]!, 'utf8');
    if (i > 0 && bytes > maxBytes) return i;
  }
  return texts.length;
}

describe('cutAtBudget', () => {
  it('keeps exactly the rows whose UTF-8 bytes fit the budget, the first always, whatever the characters', () => {
    // Texts of ASCII, 2- and 3-byte characters and astral ones (two UTF-16 units, four bytes): the shortcut on text
    // lengths must never keep a row the byte count would cut, nor cut one it would keep.
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '"'), maxLength: 40 });
    fc.assert(fc.property(fc.array(text, { maxLength: 12 }), fc.integer({ min: 0, max: 400 }), (texts, maxBytes) => {
      const { rows, before } = cutAtBudget([...texts], maxBytes, (t) => t);
      const kept = cutByBytes(texts, maxBytes);
      assert.deepEqual(rows, texts.slice(0, kept));
      assert.equal(before, kept < texts.length ? texts.length : undefined);
    }), { numRuns: 2000 });
  });

  it('marks a page cut at the budget as followed by more, as logPageOf reads it', () => {
    const { rows, before } = cutAtBudget(['x'.repeat(60), 'y'.repeat(60), 'z'], 100, (t) => t);
    assert.deepEqual(logPageOf(rows, 10, before), { rows: ['x'.repeat(60)], more: true });
    const whole = cutAtBudget(['€'.repeat(30), 'z'], 100, (t) => t);
    assert.deepEqual(logPageOf(whole.rows, 10, whole.before), { rows: ['€'.repeat(30), 'z'], more: false });
  });
});
