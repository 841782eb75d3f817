import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlocklistService } from '../../src/rest/blocklist-service.js';
import { observation, source } from '../support/builders.js';
import { sqliteStore } from '../support/stores.js';
import { turnsDuring } from '../support/turns.js';

/** The blocklist service without HTTP (test/http checks the formats and validators a firewall reads). */
describe('blocklist service', () => {
  it('reads the list page by page with a turn of the event loop between pages, every value once', async () => {
    const store = await sqliteStore();
    try {
      await store.upsertSource(source({ id: 'feed' }));
      await store.upsertObservations('feed', Array.from({ length: 1_000 }, (_, i) => observation({ type: 'ipv4', value: `198.18.${i >> 8}.${i & 255}`, confidence: i % 100 })), Date.UTC(2026, 4, 17));
      // Pages of 300: four of them, three turns between.
      const list = await new BlocklistService(store, 300).prepare('ipv4', {});
      const { value: text, turns } = await turnsDuring(async () => {
        let all = '';
        for await (const chunk of list.chunks()) all += chunk;
        return all;
      });
      const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
      assert.equal(lines.length, 1_000);
      assert.equal(new Set(lines).size, 1_000);
      assert.ok(turns >= 3, `${turns} turns`);
    } finally {
      await store.close();
    }
  });
});
