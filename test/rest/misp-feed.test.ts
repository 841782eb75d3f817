import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MispFeedService } from '../../src/rest/misp-feed.js';
import { observation, source } from '../support/builders.js';
import { sqliteStore, TEST_IDENTITY } from '../support/stores.js';
import { turnsDuring } from '../support/turns.js';

/** The MISP feed's reads without HTTP (test/http/misp-feed.test.ts checks the documents a MISP instance reads). */
describe('MISP feed service', () => {
  it('sums the manifest in windows with turns of the event loop between them, and walks hashes.csv page by page, every IOC in its event', async () => {
    const store = await sqliteStore();
    try {
      const now = Date.UTC(2026, 4, 17, 12);
      await store.upsertSource(source({ id: 'feed' }));
      await store.upsertObservations('feed', Array.from({ length: 2_500 }, (_, i) => observation({ type: 'domain', value: `m${i}.example.net`, firstSeen: now, lastSeen: now })), now);
      const feed = new MispFeedService(store, TEST_IDENTITY, () => now);
      const { value: manifest, turns } = await turnsDuring(() => feed.manifest());
      // One event, (feed, today), of all 2,500 IOCs; SQLite sums them in windows of the source's sightings (64, 256,
      // 1,024, then the rest at most), with turns between them.
      assert.deepEqual(Object.keys(manifest), [feed.eventUuid('feed', '2026-05-17')]);
      assert.ok(turns >= 3, `${turns} turns`);
      const { score } = (await store.queryIocs({ limit: 1, status: 'all' })).items[0]!;
      assert.deepEqual(await store.sourceDays('feed', Date.UTC(2026, 4, 17) - 29 * 86_400_000), [{ day: 29, count: 2_500, updatedAt: now, maxScore: score, tlp: 0 }]);
      let lines = 0;
      for await (const chunk of feed.hashes()) lines += chunk.split('\n').length - 1;
      assert.equal(lines, 2_500);
    } finally {
      await store.close();
    }
  });
});
