import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogQuery, VersionSelection } from '../../src/store/types.js';
import { observation, source } from '../support/builders.js';
import { sqliteStore } from '../support/stores.js';
import { turnsDuring } from '../support/turns.js';

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

  it('reads a REST walk with a band few IOCs have in windows, and one the tallies bound in one statement', async () => {
    const store = await sqliteStore();
    try {
      await store.upsertSource(source({ id: 'feed' }));
      const values = Array.from({ length: 3_000 }, (_, i) => observation({ type: 'domain', value: `walk${i}.example.net`, confidence: i === 2_999 ? 95 : 10 }));
      await store.upsertObservations('feed', values, Date.UTC(2026, 4, 17));
      // Everything active: the tallies show the active walk passes over nothing, so it is one statement.
      const dense = await turnsDuring(() => store.listIocs({ status: 'active', limit: 100 }));
      assert.equal(dense.value.items.length, 100);
      assert.equal(dense.turns, 0);
      // A confidence band only the last IOC has: 2,999 IOCs passed over, in windows (64, 256, 1,024, 4,096).
      const high = await turnsDuring(() => store.listIocs({ status: 'active', band: 'high', limit: 1 }));
      assert.deepEqual(high.value.items.map((r) => r.value), ['walk2999.example.net']);
      assert.ok(high.turns >= 3, `${high.turns} turns`);
    } finally {
      await store.close();
    }
  });

  it('reads the active walk in windows when the oldest IOCs are revoked, and the STIX export\'s pages', async () => {
    // A store of its own: the first scan's cost per entry (scan-window.ts) would let the next fit in one turn.
    const store = await sqliteStore();
    try {
      await store.upsertSource(source({ id: 'feed' }));
      await store.upsertObservations('feed', Array.from({ length: 3_000 }, (_, i) => observation({ type: 'domain', value: `walk${i}.example.net` })), Date.UTC(2026, 4, 17));
      // The oldest 2,900 revoked: the active walk passes over them.
      const all = (await store.queryIocs({ status: 'all', limit: 10_000 })).items;
      await store.revokeIocs(all.slice(0, 2_900).map((r) => r.id), Date.UTC(2026, 4, 18));
      const active = await turnsDuring(() => store.listIocs({ status: 'active', limit: 1 }));
      assert.deepEqual(active.value.items.map((r) => r.id), [all[2_900]!.id]);
      assert.ok(active.turns >= 3, `${active.turns} turns`);
      // The STIX export's pages too (shareable IOCs only: the tallies cannot bound them). Windows grow at most
      // fourfold from 64 entries, whatever the last scan's cost.
      const exported = await turnsDuring(() => store.pageStixObjects({ status: 'active', limit: 1 }));
      assert.deepEqual(exported.value.objects.map((o) => (JSON.parse(o) as { id: string }).id), [all[2_900]!.id]);
      assert.ok(exported.turns >= 3, `${exported.turns} turns`);
    } finally {
      await store.close();
    }
  });

  it('reads a blocklist page driven by a rare sector in windows of its IOCs, the best of each merged', async () => {
    const store = await sqliteStore();
    try {
      await store.upsertSource(source({ id: 'feed' }));
      // 3,000 IPv4s in 30 transactions (30 instants), every 15th in a sector: a page of 20 or 50 is driven by the
      // sector's 200 IOCs (fewer than √(20 × 3,000)), read in windows from 64 of them; smaller pages by score.
      for (let b = 0; b < 30; b++) {
        await store.upsertObservations('feed', Array.from({ length: 100 }, (_, k) => {
          const i = b * 100 + k;
          return observation({ type: 'ipv4', value: `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, confidence: (i * 37) % 100, sectors: i % 15 === 0 ? ['dams'] : [] });
        }), Date.UTC(2026, 4, 17) + b * 1_000);
      }
      // In blocklist order: score, then id (the walk's order here), highest first.
      const listed = (await store.queryIocs({ status: 'active', sector: 'dams', types: ['ipv4'], limit: 10_000 })).items;
      assert.equal(listed.length, 200);
      const expected = listed.map((r, at) => ({ value: r.value, score: r.score, at })).sort((x, y) => y.score - x.score || y.at - x.at).map((r) => r.value);
      for (const limit of [1, 5, 20, 50]) {
        const got: string[] = [];
        let after: { score: number; rowId: number } | undefined;
        let turns = 0;
        for (;;) {
          const page = await turnsDuring(() => store.blocklistPage({ type: 'ipv4', sector: 'dams', limit, ...(after ? { after } : {}) }));
          turns += page.turns;
          got.push(...page.value.map((e) => e.value));
          if (page.value.length < limit) break;
          after = page.value.at(-1)!;
        }
        assert.deepEqual(got, expected, `limit ${limit}`);
        // (At 20 the first window holds 84 of the 200; at 50 it holds 204, all of them.)
        if (limit === 20) assert.ok(turns >= 1, `limit ${limit}: ${turns} turns`);
      }
    } finally {
      await store.close();
    }
  });
});

/** The decay pass (store.ts decayIocs) on SQLite: transactions of bounded work, a turn of the event loop between them. */
describe('SQLite: a decay pass in short transactions', () => {
  it('revokes every expired IOC, once, over several turns of the event loop, and skips ranges of revoked ones', async () => {
    const store = await sqliteStore();
    try {
      await store.upsertSource(source({ id: 'feed' }));
      const t = Date.UTC(2026, 4, 17);
      await store.upsertObservations('feed', Array.from({ length: 3_000 }, (_, i) => observation({ type: 'ipv4', value: `198.18.${i >> 8}.${i & 255}`, firstSeen: t, lastSeen: t })), t);
      // The oldest third revoked already: the pass steps over them by id range.
      const all = (await store.queryIocs({ status: 'all', limit: 10_000 })).items;
      await store.revokeIocs(all.slice(0, 1_000).map((r) => r.id), t + 1);
      // Years later every IOC has expired: 2,000 final versions to render, far more than one transaction's 10 ms.
      const pass = await turnsDuring(() => store.decayIocs(t + 2_000 * 86_400_000));
      assert.deepEqual(pass.value, { rescored: 0, revoked: 2_000, versions: 2_000 });
      assert.ok(pass.turns >= 2, `${pass.turns} turns`);
      assert.equal((await store.queryIocs({ status: 'active', limit: 10 })).items.length, 0);
      assert.deepEqual(await store.decayIocs(t + 2_000 * 86_400_000), { rescored: 0, revoked: 0, versions: 0 });
    } finally {
      await store.close();
    }
  });
});

describe('SQLite: the end of a snapshot in short transactions', () => {
  it('ends every unseen sighting and revokes the IOCs left without one, over several turns of the event loop', async () => {
    const store = await sqliteStore();
    try {
      await store.upsertSource(source({ id: 'feed' }));
      const t = Date.UTC(2026, 4, 17);
      await store.upsertObservations('feed', Array.from({ length: 3_000 }, (_, i) => observation({ type: 'ipv4', value: `198.18.${i >> 8}.${i & 255}` })), t);
      // A run that saw none of them: 3,000 sightings end, 3,000 final versions rendered.
      const ended = await turnsDuring(() => store.endUnseenSightings('feed', 1, t + 60_000));
      assert.equal(ended.value, 3_000);
      assert.ok(ended.turns >= 2, `${ended.turns} turns`);
      assert.equal((await store.queryIocs({ status: 'active', limit: 10 })).items.length, 0);
      assert.equal((await store.queryIocs({ status: 'revoked', limit: 10_000 })).items.length, 3_000);
    } finally {
      await store.close();
    }
  });

  it('finds the few unseen sightings of a large source in windows of its sightings, with turns between them', async () => {
    const store = await sqliteStore();
    try {
      await store.upsertSource(source({ id: 'feed' }));
      const t = Date.UTC(2026, 4, 17);
      const values = Array.from({ length: 3_000 }, (_, i) => observation({ type: 'ipv4', value: `198.18.${i >> 8}.${i & 255}` }));
      await store.upsertObservations('feed', values, t, { run: 1 });
      await store.upsertObservations('feed', values.slice(1), t + 60_000, { run: 2 });
      // One sighting to end, one transaction: the turns are the windows' (64, 256, 1,024, then the rest at most).
      const ended = await turnsDuring(() => store.endUnseenSightings('feed', 2, t + 60_000));
      assert.equal(ended.value, 1);
      assert.ok(ended.turns >= 3, `${ended.turns} turns`);
      assert.deepEqual((await store.queryIocs({ status: 'revoked', limit: 10 })).items.map((r) => r.value), ['198.18.0.0']);
    } finally {
      await store.close();
    }
  });
});

describe('SQLite: revocations in short transactions', () => {
  it('revokes many IOCs over several turns of the event loop, each once, and counts only those it revoked', async () => {
    const store = await sqliteStore();
    try {
      await store.upsertSource(source({ id: 'feed' }));
      const t = Date.UTC(2026, 4, 17);
      await store.upsertObservations('feed', Array.from({ length: 3_000 }, (_, i) => observation({ type: 'ipv4', value: `198.18.${i >> 8}.${i & 255}` })), t);
      const ids = (await store.queryIocs({ status: 'active', limit: 10_000 })).items.map((r) => r.id);
      await store.revokeIocs(ids.slice(0, 10), t + 1);
      // 3,000 ids, 10 already revoked, one named twice, one that is no id at all, one of no IOC.
      const asked = [...ids, ids[500]!, 'not-an-id', 'indicator--00000000-0000-4000-8000-000000000000'];
      const revoked = await turnsDuring(() => store.revokeIocs(asked, t + 2));
      assert.equal(revoked.value, 2_990);
      // 2,990 final versions rendered, about 10 ms of them a transaction: several transactions, a turn between each two.
      assert.ok(revoked.turns >= 2, `${revoked.turns} turns`);
      assert.equal((await store.queryIocs({ status: 'active', limit: 10 })).items.length, 0);
      assert.equal((await store.queryIocs({ status: 'revoked', limit: 10_000 })).items.length, 3_000);
    } finally {
      await store.close();
    }
  });
});

describe('SQLite: observations written in slices', () => {
  it('applies a large chunk in slices with turns of the event loop between them, every IOC stored once', async () => {
    const store = await sqliteStore();
    try {
      await store.upsertSource(source({ id: 'feed' }));
      const t = Date.UTC(2026, 4, 17);
      async function* oneChunk() {
        yield Array.from({ length: 2_000 }, (_, i) => observation({ type: 'ipv4', value: `198.18.${i >> 8}.${i & 255}` }));
      }
      // One chunk of 2,000 (the connector runner's size) in slices of 500: three turns between them.
      const written = await turnsDuring(() => store.upsertObservationStream('feed', oneChunk(), { batchSize: 25_000, clock: () => t }));
      assert.deepEqual(written.value, { inserted: 2_000, updated: 0, unchanged: 0, ignored: 0 });
      assert.ok(written.turns >= 3, `${written.turns} turns`);
      assert.equal((await store.queryIocs({ status: 'active', limit: 10_000 })).items.length, 2_000);
    } finally {
      await store.close();
    }
  });
});
