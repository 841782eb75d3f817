import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cutAtBudget, joinedObjectPage, logPageOf, objectPageOf, parsePositions, windowedScan } from '../../src/store/log-page.js';
import { WindowSize } from '../../src/store/scan-window.js';
import type { LogEntry, LogQuery } from '../../src/store/types.js';

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

describe('joinedObjectPage', () => {
  /** What the database answers for `rows` (joinedPageSql): the texts joined as bytes, and date_added:seq:bytes of each. */
  const answer = (rows: readonly LogEntry[]): [Buffer | null, string | null] => rows.length === 0
    ? [null, null]
    : [Buffer.from(rows.map((r) => r.json).join(','), 'utf8'), rows.map((r) => `${r.dateAdded}:${r.seq}:${Buffer.byteLength(r.json, 'utf8')}`).join(',')];
  const entries = (texts: string[], start: number, steps: number[]): LogEntry[] => {
    let added = start;
    return texts.map((json, i) => {
      added += steps[i % steps.length]!;
      return { dateAdded: added, seq: 1000 + i, stixId: `indicator--${i}`, modified: 0, specVersion: '2.1', json };
    });
  };

  it('is the page the rows make when read one by one: the same objects, positions, and more, at any limit and budget', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '"', ','), maxLength: 40 });
    fc.assert(fc.property(
      fc.array(text, { maxLength: 12 }), fc.integer({ min: 1, max: 12 }), fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 2 ** 52 }),
      (texts, limit, maxBytes, steps, start) => {
        // As logPageSql reads them: limit + 1 rows in (date_added, seq) order; date_added may repeat (seq breaks the tie).
        const rows = entries(texts, start, steps).slice(0, limit + 1);
        const { rows: cut, before } = cutAtBudget([...rows], maxBytes, (r) => r.json);
        const read = logPageOf(cut, limit, before);
        const expected = objectPageOf({ items: read.rows, more: read.more });
        const [objects, positions] = answer(rows);
        const page = joinedObjectPage(objects, positions, limit, maxBytes);
        assert.ok(page);
        assert.equal(page.json.toString('utf8'), expected.json.toString('utf8'));
        assert.deepEqual({ ...page, json: undefined }, { ...expected, json: undefined });
      },
    ), { numRuns: 2000 });
  });

  it('answers nothing when the rows did not come in log order or the bytes do not add up, so the caller reads them one by one', () => {
    const rows = entries(['{"a":1}', '{"b":2}', '{"c":3}'], 1_000_000, [1]);
    const [objects, positions] = answer(rows);
    assert.ok(joinedObjectPage(objects, positions, 10, undefined));
    // The aggregate took the rows in another order than the positions say.
    const swapped = answer([rows[1]!, rows[0]!, rows[2]!]);
    assert.equal(joinedObjectPage(swapped[0], swapped[1], 10, undefined), undefined);
    // Two rows of one date_added out of seq order.
    const tie = answer([{ ...rows[0]!, seq: 5 }, { ...rows[1]!, dateAdded: rows[0]!.dateAdded, seq: 4 }]);
    assert.equal(joinedObjectPage(tie[0], tie[1], 10, undefined), undefined);
    // Texts that are not those the positions measure.
    assert.equal(joinedObjectPage(Buffer.concat([objects!, Buffer.from(' ')]), positions, 10, undefined), undefined);
    assert.deepEqual(joinedObjectPage(null, null, 10, 100), { json: Buffer.alloc(0), count: 0, firstAdded: undefined, last: undefined, more: false });
  });
});

describe('parsePositions', () => {
  const triple = fc.tuple(fc.maxSafeInteger(), fc.maxSafeNat(), fc.nat());
  it('reads date_added:seq:bytes triples as the database writes integers, whatever their size or sign', () => {
    fc.assert(fc.property(fc.array(triple, { minLength: 1, maxLength: 20 }), (rows) => {
      const text = rows.map((r) => r.join(':')).join(',');
      assert.deepEqual(parsePositions(text), rows.flat());
    }), { numRuns: 2000 });
  });

  it('answers nothing for text that is not such triples, so that the caller reads the rows one by one', () => {
    for (const text of ['', '1:2', '1:2:3,', '1:2:3,4:5', '1:2:3:4', '1,2,3', '1::3', '-:2:3', '1:2:3 ', '1.5:2:3', '1:2:1e3',
      '--1:2:3', '1-:2:3', `${Number.MAX_SAFE_INTEGER + 2}:1:1`, '99999999999999999999:1:1']) {
      assert.equal(parsePositions(text), undefined, text);
    }
    // Any string at all: undefined, or exactly what splitting it would read.
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('0', '1', '9', ':', ',', '-', ' ', 'x'), maxLength: 30 }), (text) => {
      const got = parsePositions(text);
      if (got === undefined) return;
      const split = text.split(',').map((row) => row.split(':'));
      assert.ok(split.every((row) => row.length === 3 && row.every((f) => /^-?[0-9]+$/.test(f))), text);
      assert.deepEqual(got, split.flat().map(Number), text);
    }), { numRuns: 3000 });
  });
});

describe('WindowSize', () => {
  it('starts at a few pages of members, then sizes each window for WINDOW_MS from the last, at most four times it, within bounds', () => {
    const size = new WindowSize(100);
    assert.equal(size.members, 404);
    size.took(WindowSize.WINDOW_MS / 2); // twice as fast as wanted
    assert.equal(size.members, 808);
    size.took(0); // too fast to measure: four times, no more
    assert.equal(size.members, 3232);
    size.took(WindowSize.WINDOW_MS * 4); // four times too slow
    assert.equal(size.members, 808);
    for (let i = 0; i < 20; i++) size.took(0);
    assert.equal(size.members, WindowSize.MAX);
    for (let i = 0; i < 20; i++) size.took(1_000);
    assert.equal(size.members, WindowSize.MIN);
    // Nothing known of the kind: as many as fit WINDOW_MS at DEFAULT_COST_MS (800), however large the page.
    assert.equal(new WindowSize(1_000_000).members, Math.floor(WindowSize.WINDOW_MS / WindowSize.DEFAULT_COST_MS));
    assert.equal(new WindowSize(1_000_000, 0).members, WindowSize.MAX);
    assert.equal(new WindowSize(1).members, WindowSize.MIN);
  });

  it('starts smaller where an earlier scan found members slow, and shares WINDOW_MS among the scans running at once', () => {
    const slow = WindowSize.WINDOW_MS / 100; // 100 members a window
    assert.equal(new WindowSize(100, slow).members, 100);
    assert.equal(new WindowSize(100, slow / 1000).members, 404, 'a fast collection still starts at a few pages');
    assert.equal(new WindowSize(100, slow, 4).members, WindowSize.MIN);
    const shared = new WindowSize(100);
    shared.took(WindowSize.WINDOW_MS, 2); // a full turn's time alone, half of it is its share
    assert.equal(shared.members, 202);
    assert.equal(shared.cost, WindowSize.WINDOW_MS / 404);
  });

  it('any sequence of timings keeps the size within its bounds', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { maxLength: 30 }), (limit, times) => {
      const size = new WindowSize(limit);
      for (const ms of times) {
        const was = size.members;
        size.took(ms);
        assert.ok(Number.isInteger(size.members) && size.members >= WindowSize.MIN && size.members <= WindowSize.MAX);
        assert.ok(size.members <= Math.max(WindowSize.MIN, 4 * was));
      }
    }));
  });
});

describe('windowedScan', () => {
  const q = (extra: Partial<LogQuery>): LogQuery => ({ collection: 'all-iocs', limit: 100, versions: { last: true, first: false, all: false, modified: [] }, ...extra });
  it('reads in windows the scans a filter may thin out, and nothing driven by a few versions', () => {
    assert.equal(windowedScan(q({})), false, 'a built-in walk of latest versions');
    assert.equal(windowedScan(q({ versions: { last: false, first: false, all: true, modified: [] } })), false);
    assert.equal(windowedScan(q({ versions: { last: false, first: false, all: false, modified: [1] } })), true);
    assert.equal(windowedScan(q({ versions: { last: true, first: false, all: false, modified: [1] } })), true);
    assert.equal(windowedScan(q({ versions: { last: false, first: true, all: false, modified: [] } })), true);
    assert.equal(windowedScan(q({ types: ['indicator'] })), true);
    assert.equal(windowedScan(q({ types: ['identity'] })), false, 'driven by the versions no IOC owns');
    assert.equal(windowedScan(q({ ids: ['indicator--0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e'], versions: { last: false, first: true, all: false, modified: [] } })), false);
    assert.equal(windowedScan(q({ collection: 'team' })), true, 'a written collection chooses its latest versions per object');
  });
});
