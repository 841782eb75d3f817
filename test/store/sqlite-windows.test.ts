import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogQuery, VersionSelection } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import { sqliteStore } from '../support/stores.js';

/** Counts the turns of the event loop while `work` runs: a chain of setImmediate callbacks, one a turn. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { value: await work(), turns };
  } finally {
    running = false;
  }
}

/**
 * SQLite runs its statements on the event loop: a TAXII page whose filter passes over many members (an exact version
 * no member has) is read in windows, a turn each (store/log-page.ts windowedScan), so that other clients are served
 * between them. The answers are the contract's (store-taxii.contract.ts); these are the turns.
 */
describe('SQLite: filtered TAXII pages read in windows of members', () => {
  it('gives the event loop turns while it scans, and reads an unfiltered page in one statement', async () => {
    const store = await sqliteStore();
    try {
      await store.upsertSource(source({ id: 'feed' }));
      const values = Array.from({ length: 3_000 }, (_, i) => observation({ type: 'domain', value: `host${i}.example.net` }));
      await store.upsertObservations('feed', values, Date.UTC(2026, 4, 17));
      const last: VersionSelection = { last: true, first: false, all: false, modified: [] };
      const q = (versions: VersionSelection, extra: Partial<LogQuery> = {}): LogQuery => ({ collection: 'all-iocs', limit: 1, versions, ...extra });
      // No member has version 1: every member is read. Windows start at 64 members and at most quadruple, so 3,000
      // take at least four (64 + 256 + 1,024 + 4,096), with a turn between each two.
      const absent = await turnsDuring(() => store.pageObjects(q({ ...last, last: false, modified: [1] })));
      assert.deepEqual([absent.value.count, absent.value.more], [0, false]);
      assert.ok(absent.turns >= 3, `${absent.turns} turns`);
      const rows = await turnsDuring(() => store.pageLog(q({ ...last, last: false, modified: [1] })));
      assert.deepEqual(rows.value, { items: [], more: false });
      assert.ok(rows.turns >= 3, `${rows.turns} turns`);
      // The same walk's last version, found past every window but the last.
      const whole = (await store.pageLog(q(last, { limit: 10_000 }))).items;
      assert.ok(whole.length >= 3_000);
      const found = await turnsDuring(() => store.pageLog(q({ ...last, last: false, modified: [whole.at(-1)!.modified] }, { after: whole.at(-3)! })));
      const matching = whole.slice(-2).filter((e) => e.modified === whole.at(-1)!.modified);
      assert.deepEqual(found.value.items.map((e) => e.seq), matching.slice(0, 1).map((e) => e.seq));
      assert.equal(found.value.more, matching.length > 1);
      // A walk of latest versions is one statement, with no turn.
      const plain = await turnsDuring(() => store.pageObjects(q(last, { limit: 100 })));
      assert.equal(plain.value.count, 100);
      assert.equal(plain.turns, 0);
    } finally {
      await store.close();
    }
  });
});
