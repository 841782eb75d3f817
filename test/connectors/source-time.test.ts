import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSourceTime } from '../../src/connectors/formats/source-time.js';
import type { FieldRule } from '../../src/connectors/catalog/source-definition.js';

type Format = FieldRule['dateFormat'];

/** [raw, format, expected ISO] */
const READ: ReadonlyArray<readonly [unknown, Format, string]> = [
  // ISO 8601 with a zone.
  ['2026-01-02T03:04:05Z', undefined, '2026-01-02T03:04:05.000Z'],
  ['2026-01-02t03:04:05z', undefined, '2026-01-02T03:04:05.000Z'],
  ['2026-01-02T03:04:05+02:00', undefined, '2026-01-02T01:04:05.000Z'],
  ['2026-01-02T03:04:05-05:30', undefined, '2026-01-02T08:34:05.000Z'],
  ['2026-01-02T03:04:05+0000', undefined, '2026-01-02T03:04:05.000Z'],
  ['2026-01-02T03:04:05+00:00', undefined, '2026-01-02T03:04:05.000Z'],
  ['2026-01-02T03:04Z', undefined, '2026-01-02T03:04:00.000Z'],
  ['2026-01-02 03:04:05 +01:00', undefined, '2026-01-02T02:04:05.000Z'],
  // Zone-less: UTC, never the machine's local time.
  ['2026-01-02 03:04:05', undefined, '2026-01-02T03:04:05.000Z'],
  ['2026-01-02T03:04:05', undefined, '2026-01-02T03:04:05.000Z'],
  ['2026-01-02 03:04', undefined, '2026-01-02T03:04:00.000Z'],
  ['2026-01-02 03:04:05 UTC', undefined, '2026-01-02T03:04:05.000Z'],
  ['2026-01-02 03:04:05 GMT', undefined, '2026-01-02T03:04:05.000Z'],
  ['  2026-01-02 03:04:05  ', undefined, '2026-01-02T03:04:05.000Z'],
  ['2026-01-02', undefined, '2026-01-02T00:00:00.000Z'],
  ['2024-02-29', undefined, '2024-02-29T00:00:00.000Z'],
  // Fractional seconds.
  ['2026-01-02T03:04:05.5Z', undefined, '2026-01-02T03:04:05.500Z'],
  ['2026-01-02T03:04:05.123Z', undefined, '2026-01-02T03:04:05.123Z'],
  ['2026-01-02 03:04:05.123456', undefined, '2026-01-02T03:04:05.123Z'],
  ['2026-01-02T03:04:05.999999Z', undefined, '2026-01-02T03:04:05.999Z'],
  ['2026-01-02T03:04:05.25+01:00', undefined, '2026-01-02T02:04:05.250Z'],
  // Epoch seconds and milliseconds, numbers and strings.
  [1767323045, undefined, '2026-01-02T03:04:05.000Z'],
  [1767323045.5, undefined, '2026-01-02T03:04:05.500Z'],
  [1767323045123, undefined, '2026-01-02T03:04:05.123Z'],
  ['1767323045', undefined, '2026-01-02T03:04:05.000Z'],
  ['1767323045.25', undefined, '2026-01-02T03:04:05.250Z'],
  ['1767323045123', undefined, '2026-01-02T03:04:05.123Z'],
  [1767323045, 'epoch-s', '2026-01-02T03:04:05.000Z'],
  [1767323045123, 'epoch-ms', '2026-01-02T03:04:05.123Z'],
  ['1767323045', 'epoch-s', '2026-01-02T03:04:05.000Z'],
  ['1767323045123', 'epoch-ms', '2026-01-02T03:04:05.123Z'],
  [86400, 'epoch-s', '1970-01-02T00:00:00.000Z'],
  ['86400000', 'epoch-ms', '1970-01-02T00:00:00.000Z'],
  // DD-MM-YYYY and MM/DD/YYYY when the definition says so, padded or not.
  ['02-01-2026', 'DD-MM-YYYY', '2026-01-02T00:00:00.000Z'],
  ['2-1-2026', 'DD-MM-YYYY', '2026-01-02T00:00:00.000Z'],
  ['31.12.2025', 'DD-MM-YYYY', '2025-12-31T00:00:00.000Z'],
  ['02/01/2026 03:04:05', 'DD-MM-YYYY', '2026-01-02T03:04:05.000Z'],
  ['02-01-2026 03:04', 'DD-MM-YYYY', '2026-01-02T03:04:00.000Z'],
  ['01/02/2026', 'MM/DD/YYYY', '2026-01-02T00:00:00.000Z'],
  ['1/2/2026', 'MM/DD/YYYY', '2026-01-02T00:00:00.000Z'],
  ['12/31/2025 23:59:59', 'MM/DD/YYYY', '2025-12-31T23:59:59.000Z'],
  // RFC 2822 with a zone.
  ['Fri, 02 Jan 2026 03:04:05 GMT', undefined, '2026-01-02T03:04:05.000Z'],
  ['Fri, 02 Jan 2026 03:04:05 +0100', undefined, '2026-01-02T02:04:05.000Z'],
  ['Fri, 02 Jan 2026 03:04:05 -0800', undefined, '2026-01-02T11:04:05.000Z'],
  ['2 Jan 2026 03:04:05 UTC', undefined, '2026-01-02T03:04:05.000Z'],
];

/** [raw, format]: unreadable → undefined. */
const UNREADABLE: ReadonlyArray<readonly [unknown, Format]> = [
  // Dates that do not exist.
  ['2026-02-31', undefined], ['2026-02-29', undefined], ['2026-13-01', undefined], ['2026-00-10', undefined],
  ['2026-01-00', undefined], ['2026-04-31 10:00:00', undefined], ['2026-01-32T00:00:00Z', undefined],
  ['2026-01-02 24:00:01', undefined],
  ['31-02-2026', 'DD-MM-YYYY'], ['01-13-2026', 'DD-MM-YYYY'], ['02/31/2026', 'MM/DD/YYYY'], ['13/01/2026', 'MM/DD/YYYY'],
  // The wrong layout for the format.
  ['2026-01-02', 'DD-MM-YYYY'], ['2026-01-02', 'MM/DD/YYYY'], ['02-01-26', 'DD-MM-YYYY'], ['1/2/2026 3:04', 'MM/DD/YYYY'],
  // Day-first dates without a format are not guessed.
  ['01/02/2026', undefined], ['31/12/2025', undefined],
  // No zone: never local time.
  ['Fri, 02 Jan 2026 03:04:05', undefined], ['January 2, 2026', undefined],
  // Garbage.
  ['', undefined], ['   ', undefined], ['yesterday', undefined], ['n/a', undefined], ['None', undefined], ['null', undefined],
  ['2026', undefined], ['20260102', undefined], ['12345678', undefined], ['2026-01-02X', undefined], ['not a date Z', undefined],
  ['abc', 'epoch-s'], ['abc', 'epoch-ms'],
  [0, undefined], [-1, undefined], [Number.NaN, undefined], [Number.POSITIVE_INFINITY, undefined], ['0', 'epoch-s'],
  [null, undefined], [undefined, undefined], [true, undefined], [{}, undefined], [['2026-01-02'], undefined],
  // Over-long strings, even readable ones.
  [`2026-01-02T03:04:05.${'1'.repeat(44)}Z`, undefined],
  ['x'.repeat(10_000), undefined],
];

const show = (v: unknown) => (typeof v === 'string' && v.length > 70 ? `${JSON.stringify(v.slice(0, 40))}… (${v.length} chars)` : typeof v === 'number' ? String(v) : JSON.stringify(v));

describe('parseSourceTime', () => {
  for (const [raw, format, expected] of READ) {
    it(`${show(raw)}${format ? ` as ${format}` : ''} → ${expected}`, () => {
      const t = parseSourceTime(raw, format);
      assert.ok(t !== undefined, 'readable');
      assert.equal(new Date(t).toISOString(), expected);
    });
  }

  for (const [raw, format] of UNREADABLE) {
    it(`${show(raw)}${format ? ` as ${format}` : ''} → undefined`, () => assert.equal(parseSourceTime(raw, format), undefined));
  }

  it('reads up to microseconds, refuses what is over 64 characters', () => {
    assert.equal(parseSourceTime('2026-01-02T03:04:05.123456Z'), Date.UTC(2026, 0, 2, 3, 4, 5, 123));
    assert.equal(parseSourceTime(`2026-01-02T03:04:05.${'1'.repeat(44)}Z`), undefined);
  });

  it('a number is seconds up to 1e11, milliseconds above, unless the format says', () => {
    assert.equal(parseSourceTime(1e11), 1e14);
    assert.equal(parseSourceTime(1e11 + 1), 1e11 + 1);
    assert.equal(parseSourceTime(1767323045123, 'epoch-s'), 1767323045123000);
    assert.equal(parseSourceTime(1767323045, 'epoch-ms'), 1767323045);
  });

  // Date.UTC rolls 12:60 over to 13:00; only a rollover into the next day is caught.
  for (const raw of ['2026-01-02 12:60:00', '2026-01-02 10:99:99', '2026-01-02T03:04:60Z']) {
    it(`${JSON.stringify(raw)} (minute or second out of range) → undefined`, () => {
      assert.equal(parseSourceTime(raw), undefined);
    });
  }

  // Anything ending with a zone word falls through to Date.parse, whose legacy parser reads words and a number as a date.
  for (const raw of ['version 2 GMT', 'Build 5 Z', 'abc 1 UTC', 'item 12 utc', 'x-1234']) {
    it(`garbage ending with a zone ${JSON.stringify(raw)} → undefined`, () => {
      assert.equal(parseSourceTime(raw), undefined);
    });
  }

  // `-2026` at the end passes for a `-HHMM` zone offset, so Date.parse guesses month-first in the machine's local time.
  for (const raw of ['02-01-2026', '12-31-2025']) {
    it(`${JSON.stringify(raw)} without a dateFormat → undefined`, () => {
      assert.equal(parseSourceTime(raw), undefined);
    });
  }
});
