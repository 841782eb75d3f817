import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runSource } from '../../src/connectors/pipeline/runner.js';
import { resolveSources } from '../../src/connectors/catalog/source-config.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { normalizeAny } from '../../src/domain/normalize.js';
import type { IocType } from '../../src/domain/ioc-types.js';
import { FEEDS, FeedServer } from '../support/feed-server.js';
import { sqliteStore } from '../support/stores.js';

interface Expectation {
  now: string;
  apiKey?: string;
  responses: Record<string, string>;
  seed?: Array<{ type: IocType; value: string }>;
  count: number;
  iocs: Array<{ type: IocType; value: string; tags: string[]; malware: string[]; sectors: string[]; firstSeen: string; lastSeen: string; confidence: number | null }>;
  absent?: string[];
  /** Records rejected with a warning (default: not checked). */
  rejected?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Every catalog source, against its recorded sample in the provider's documented format, served by a local server:
 * the run must succeed and store exactly the IOCs, types, labels and times the sample implies.
 */
describe('catalog sources ingest their documented formats', () => {
  const server = new FeedServer();
  before(() => server.start());
  after(() => server.stop());
  const { ingest } = resolveSources(CATALOG, {});

  it('has at least 35 sources, each with a sample', () => {
    assert.ok(CATALOG.length >= 35, `${CATALOG.length} sources`);
    assert.equal(new Set(CATALOG.map((d) => d.id)).size, CATALOG.length, 'ids are unique');
    for (const d of CATALOG) assert.ok(existsSync(path.join(FEEDS, `${d.id}.expect.json`)), `${d.id} has test/fixtures/feeds/${d.id}.expect.json`);
  });

  for (const def of CATALOG) {
    it(def.id, async () => {
      const expect = JSON.parse(readFileSync(path.join(FEEDS, `${def.id}.expect.json`), 'utf8')) as Expectation;
      const now = Date.parse(expect.now);
      server.handlers.clear();
      server.requests.length = 0;
      for (const [url, file] of Object.entries(expect.responses)) server.file(url, file);
      const store = await sqliteStore();
      try {
        if (expect.seed) {
          await store.upsertSource({ id: 'seed', name: 'seed', reliability: 0.5, redistributable: true, aggregate: false, tlp: 'clear' });
          await store.upsertObservations('seed', expect.seed.map((s) => ({
            type: s.type, value: s.value, confidence: null, tags: [], malware: [], sectors: [], tlp: null, firstSeen: now - 86_400_000, lastSeen: now - 86_400_000, reference: null,
          })), now - 86_400_000);
        }
        const report = await runSource(
          { def, enabled: true, reason: undefined, apiKey: expect.apiKey, username: undefined, custom: false, scheduleMs: 3_600_000, minIntervalMs: 0 },
          { store, settings: ingest, clock: () => now, rewriteUrl: server.rewrite, sleep: async () => {} },
        );
        assert.equal(report.outcome, 'ok', `run failed: ${report.error}; problems: ${report.problems.join(' | ')}`);
        if (expect.rejected !== undefined) assert.equal(report.rejected, expect.rejected, `rejections: ${report.problems.join(' | ')}`);
        const unfetched = Object.keys(expect.responses).filter((u) => !server.requests.some((r) => r.url === u));
        assert.deepEqual(unfetched, [], 'every response of the sample was requested');
        const ua = server.requests[0]?.headers['user-agent'] ?? '';
        assert.match(ua, /SOC-Defenders\/\d/, 'a descriptive User-Agent');
        if (def.apiKey?.header && expect.apiKey) assert.equal(server.requests[0]?.headers[def.apiKey.header.toLowerCase()], expect.apiKey, 'the key header is sent');

        const page = await store.queryIocs({ source: def.id, status: 'all', limit: 10_000 });
        const stored = page.items.map((i) => `${i.type} ${i.value}`).sort();
        assert.equal(page.items.length, expect.count, `stored ${page.items.length}: ${stored.join(', ')}`);
        for (const e of expect.iocs) {
          const found = (await store.queryIocs({ value: e.value, types: [e.type], status: 'all', limit: 2 })).items[0];
          assert.ok(found, `${e.type} ${e.value} is stored (stored: ${stored.join(', ')})`);
          const detail = await store.getIoc(found.id);
          const sighting = detail!.sightings.find((s) => s.source === def.id)!;
          assert.deepEqual(
            { tags: found.tags, malware: found.malware, sectors: found.sectors, firstSeen: iso(sighting.firstSeen), lastSeen: iso(sighting.lastSeen), confidence: sighting.confidence },
            { tags: e.tags, malware: e.malware, sectors: e.sectors, firstSeen: e.firstSeen, lastSeen: e.lastSeen, confidence: e.confidence },
            `${e.type} ${e.value}`,
          );
          assert.equal(found.redistributable, def.redistributable || (expect.seed !== undefined), `${e.value}: redistributable follows the licence`);
        }
        for (const raw of expect.absent ?? []) {
          const n = normalizeAny(raw);
          if (!n.ok) continue;
          const hit = (await store.queryIocs({ value: n.value, types: [n.type], status: 'all', limit: 1 })).items[0];
          assert.equal(hit, undefined, `${raw} must not be stored`);
        }
      } finally {
        await store.close();
      }
    });
  }
});
