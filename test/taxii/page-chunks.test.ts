import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cutAtBudget, logPageOf, objectPageOf } from '../../src/store/log-page.js';
import type { LogEntry, LogPage, LogQuery } from '../../src/store/types.js';
import { readLogPage, readObjectPage } from '../../src/taxii/page-chunks.js';
import { turnsDuring } from '../support/turns.js';

/** A version log in memory, paged as the stores page it: after the position, `limit` rows, cut at the byte budget. */
function memoryLog(entries: LogEntry[]): { pageLog: (q: LogQuery) => Promise<LogPage>; reads: () => number } {
  let reads = 0;
  return {
    reads: () => reads,
    pageLog: async (q) => {
      reads++;
      const from = entries.filter((e) => !q.after || e.dateAdded > q.after.dateAdded || (e.dateAdded === q.after.dateAdded && e.seq > q.after.seq));
      const { rows, before } = cutAtBudget(from.slice(0, q.limit + 1), q.maxBytes, (e) => e.json);
      const page = logPageOf(rows, q.limit, before);
      return { items: page.rows, more: page.more };
    },
  };
}

const entriesOf = (sizes: number[], sameInstant: boolean[]) => {
  let at = 1_000;
  return sizes.map((n, i) => {
    if (!sameInstant[i]) at += 1;
    return { dateAdded: at, seq: i + 1, stixId: `x--${i}`, modified: 1, specVersion: '2.1', json: `{"i":${i},"p":"${'é'.repeat(n)}"}` };
  });
};

describe('TAXII pages read in chunks', () => {
  it('gives the page one read would, objects, positions, more and byte budget alike, at any chunk size', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 40 }).chain((sizes) => fc.tuple(fc.constant(sizes), fc.array(fc.boolean(), { minLength: sizes.length, maxLength: sizes.length }))),
      fc.integer({ min: 1, max: 45 }), fc.integer({ min: 1, max: 7 }), fc.option(fc.integer({ min: 0, max: 1500 }), { nil: undefined }), fc.nat(40),
      async ([sizes, same], limit, chunk, maxBytes, start) => {
        const entries = entriesOf(sizes, same);
        const log = memoryLog(entries);
        const at = entries[Math.min(start, entries.length - 1)];
        const q: LogQuery = { collection: 'x', limit, versions: { last: true, first: false, all: false, modified: [] }, maxBytes, after: start > 0 && at ? { dateAdded: at.dateAdded, seq: at.seq } : undefined };
        const readObjects = async (r: LogQuery) => objectPageOf(await log.pageLog(r));
        const whole = await readObjects(q);
        const chunked = await readObjectPage(readObjects, q, chunk);
        assert.equal(chunked.json.toString('utf8'), whole.json.toString('utf8'));
        assert.deepEqual({ ...chunked, json: undefined }, { ...whole, json: undefined });
        const { maxBytes: _m, ...manifest } = q;
        assert.deepEqual(await readLogPage(log.pageLog, manifest, chunk), await log.pageLog(manifest));
      },
    ), { numRuns: 600 });
  });

  it('reads a large page in several reads, with turns of the event loop between them, and a small one in one', async () => {
    const entries = entriesOf(Array.from({ length: 2_500 }, () => 3), []);
    const log = memoryLog(entries);
    const q: LogQuery = { collection: 'x', limit: 2_400, versions: { last: true, first: false, all: false, modified: [] } };
    const { value: page, turns } = await turnsDuring(() => readObjectPage(async (r) => objectPageOf(await log.pageLog(r)), q));
    assert.equal(page.count, 2_400);
    assert.equal(log.reads(), 3);
    assert.ok(turns >= 2, `${turns} turns`);
    await readLogPage(log.pageLog, { ...q, limit: 1_000 });
    assert.equal(log.reads(), 4);
  });
});
