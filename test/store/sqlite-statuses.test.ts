import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { STATUS_PART_UNITS, statusParts } from '../../src/store/sqlite/taxii-collections.js';
import { sqliteStore } from '../support/stores.js';

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** SQLite keeps a long TAXII status in parts (migration 25), written with turns of the event loop between them. */
describe('SQLite: long TAXII statuses in parts', () => {
  it('cuts a text into parts that join to it, none longer than the bound, none between the halves of a pair', () => {
    const texts = fc.array(fc.oneof(fc.constantFrom('a', 'é', '🦠', '日', '"'), fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 300 })
      .map((pieces) => pieces.join('').repeat(1 + Math.floor((STATUS_PART_UNITS * 2.5) / 300)));
    fc.assert(fc.property(texts, (text) => {
      const parts = statusParts(text);
      assert.equal(parts.join(''), text);
      assert.ok(parts.length >= 1 && parts.every((p) => p.length <= STATUS_PART_UNITS));
      for (let i = 1; i < parts.length; i++) {
        const before = parts[i - 1]!;
        assert.ok(!(isHigh(before.charCodeAt(before.length - 1)) && isLow(parts[i]!.charCodeAt(0))), `part ${i} starts inside a pair`);
      }
    }), { numRuns: 40 });
    assert.deepEqual(statusParts(''), ['']);
    assert.deepEqual(statusParts('x'.repeat(STATUS_PART_UNITS)), ['x'.repeat(STATUS_PART_UNITS)]);
  });

  it('writes a long status over several turns, found whole or not at all meanwhile, and prunes its parts with it', async () => {
    const store = await sqliteStore();
    try {
      const now = Date.UTC(2026, 4, 17);
      const successes = Array.from({ length: 20_000 }, (_, i) => ({ id: `indicator--${String(i).padStart(8, '0')}-1b1b-4c2c-8d3d-4e4e4e4e4e4e`, version: '2026-05-17T00:00:00.000Z', ...(i % 97 === 0 ? { message: '🦠' } : {}) }));
      const status = { id: '8a8a8a8a-9b9b-4c0c-8d1d-2e2e2e2e2e2e', collection: 'team', accountId: null, json: JSON.stringify({ status: 'complete', successes }) };
      const seen: Array<string | undefined> = [];
      let done = false;
      const saving = store.saveStatus(status, now, now - 86_400_000).then(() => (done = true));
      while (!done) {
        seen.push((await store.getStatus(status.id))?.json);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await saving;
      const parts = store.conn.db.prepare('SELECT count(*) FROM status_parts WHERE id = ?').pluck().get(status.id) as number;
      assert.equal(parts, statusParts(status.json).length - 1);
      assert.ok(parts >= 10, String(parts));
      // Other work ran between the parts, and never saw a status in part.
      assert.ok(seen.length >= parts, `${seen.length} turns`);
      assert.ok(seen.every((json) => json === undefined || json === status.json));
      assert.equal((await store.getStatus(status.id))?.json, status.json);
      await store.saveStatus({ id: '9b9b9b9b-0c0c-4d1d-8e2e-3f3f3f3f3f3f', collection: 'team', accountId: null, json: '{}' }, now + 2 * 86_400_000, now + 1);
      assert.equal(store.conn.db.prepare('SELECT count(*) FROM status_parts').pluck().get(), 0);
      assert.equal(await store.getStatus(status.id), undefined);
    } finally {
      await store.close();
    }
  });
});
