import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isoMs, parseIsoTime } from '../../src/domain/iso-time.js';

describe('parseIsoTime', () => {
  it('reads dates and date-times, with and without offsets and fractions', () => {
    const cases: Array<[string, string]> = [
      ['2026-05-17', '2026-05-17T00:00:00.000Z'],
      ['2026-05-17T10:20:30Z', '2026-05-17T10:20:30.000Z'],
      ['2026-05-17T10:20:30.123Z', '2026-05-17T10:20:30.123Z'],
      ['2026-05-17T10:20:30.123456Z', '2026-05-17T10:20:30.123Z'],
      ['2026-05-17T10:20:30+02:00', '2026-05-17T08:20:30.000Z'],
      ['2026-05-17T10:20:30-0130', '2026-05-17T11:50:30.000Z'],
      ['2026-05-17 10:20', '2026-05-17T10:20:00.000Z'],
      ['2024-02-29T00:00:00.000Z', '2024-02-29T00:00:00.000Z'],
      ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ];
    for (const [raw, iso] of cases) assert.equal(new Date(parseIsoTime(raw)!).toISOString(), iso, raw);
  });

  it('refuses impossible or malformed dates, in the fast path and the general one', () => {
    for (const raw of [
      '2026-02-30T00:00:00.000Z', '2026-02-29T00:00:00Z', '1900-02-29T00:00:00.000Z', '2026-13-01T00:00:00.000Z',
      '2026-04-31', '2026-05-17T24:00:00.000Z', '2026-05-17T10:60:00Z', '2026-05-17T10:20:61.000Z',
      '0099-01-01T00:00:00.000Z', '0050-01-01', '2026-05-17T10:20:30.12aZ', '2026-05-17X10:20:30.123Z',
      'yesterday', '', '2026-5-17', '2026-05-17T10:20:30+25:00', `2026-05-17${'0'.repeat(50)}`,
    ]) {
      assert.equal(parseIsoTime(raw), undefined, raw);
    }
  });
});

describe('isoMs', () => {
  it('writes exactly what toISOString writes, over every range it may meet', () => {
    const range = fc.oneof(
      fc.integer({ min: -62_167_219_200_000 - 10, max: 253_402_300_800_000 + 10 }),
      fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
      fc.integer({ min: -1000, max: 1000 }),
      fc.constantFrom(0, -0, 951_782_400_000, 951_868_799_999, 253_402_300_799_999, -62_167_219_200_000, 8.64e15, -8.64e15),
    );
    fc.assert(fc.property(range, (ms) => assert.equal(isoMs(ms), new Date(ms).toISOString())), { numRuns: 20_000 });
    // Twice, so the cached day prefixes are read back too.
    fc.assert(fc.property(fc.integer({ min: 1_790_000_000_000, max: 1_800_000_000_000 }), (ms) => assert.equal(isoMs(ms), new Date(ms).toISOString())), { numRuns: 20_000 });
  });

  it('throws as toISOString does for a time that is not one, and formats fractions as it does', () => {
    assert.throws(() => isoMs(Number.NaN), RangeError);
    assert.throws(() => isoMs(8.64e15 + 1), RangeError);
    assert.equal(isoMs(1.5), new Date(1.5).toISOString());
  });
});
