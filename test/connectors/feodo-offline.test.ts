import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runSource } from '../../src/connectors/pipeline/runner.js';
import { resolveSources, type ResolvedSource } from '../../src/connectors/catalog/source-config.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { feodo } from '../../src/connectors/catalog/sources/feodo.js';
import { FeedServer } from '../support/feed-server.js';
import { sqliteStore } from '../support/stores.js';

const DAY = 86_400_000;
const T1 = Date.UTC(2026, 10, 10, 12);
const day = (t: number) => new Date(t).toISOString().slice(0, 10);
const { ingest } = resolveSources(CATALOG, {}, {});
const src: ResolvedSource = { def: feodo, enabled: true, reason: undefined, apiKey: undefined, username: undefined, custom: false, scheduleMs: 3_600_000, minIntervalMs: 0 };
const URL = 'https://feodotracker.abuse.ch/downloads/ipblocklist.json';

/** One Feodo entry in the documented layout of ipblocklist.json. */
const entry = (status: 'online' | 'offline', lastOnline: string | null) => ({
  ip_address: '194.180.48.30', port: 8080, status, hostname: null, as_number: 213790, as_name: 'LIMITED-NETWORK-LTD', country: 'NL',
  first_seen: '2026-11-09 07:21:33', last_online: lastOnline, malware: 'Emotet',
});

/**
 * Issue 12 §2.4: Feodo Tracker keeps C2s it marks `offline` on its list for a while; its own blocklist serves only the
 * online ones. An offline C2 is kept with a low confidence, aged from when it was last online, and dropped a short
 * while after; back online, it is a full-strength C2 again.
 */
describe('feodo: offline C2s are scored and aged down', () => {
  const server = new FeedServer();
  before(() => server.start());
  after(() => server.stop());

  it('online → full score; offline → low score from last_online; offline past the validity → delisted; online again → full', async () => {
    const store = await sqliteStore();
    try {
      let body: unknown[] = [];
      server.handlers.set(URL, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
      const run = async (now: number) => {
        const r = await runSource(src, { store, settings: ingest, clock: () => now, rewriteUrl: server.rewrite, sleep: async () => {} });
        assert.equal(r.outcome, 'ok', `run at ${new Date(now).toISOString()} failed: ${r.error}`);
        return r;
      };
      const ioc = async () => (await store.queryIocs({ value: '194.180.48.30', status: 'all', limit: 1 })).items[0]!;
      const sighting = async () => (await store.getIoc((await ioc()).id))!.sightings.find((s) => s.source === 'feodo')!;

      body = [entry('online', day(T1))];
      await run(T1);
      const online = await ioc();
      assert.equal(online.status, 'active');
      assert.equal(online.score, 80, 'an online C2 scores the source prior (0.8) in full');
      assert.equal((await sighting()).confidence, 100);

      // The next day Feodo marks it offline, last online yesterday.
      body = [entry('offline', day(T1))];
      await run(T1 + DAY);
      const offline = await ioc();
      assert.equal(offline.status, 'active', 'still listed, still served');
      assert.equal((await sighting()).confidence, 25, 'an offline C2 carries a low native confidence');
      assert.ok(offline.score < 30, `an offline C2 is low confidence, not an active C2 at full score (score ${offline.score})`);
      assert.equal((await sighting()).lastSeen, Date.parse(`${day(T1)}T00:00:00Z`), 'aged from when it was last online, not from now');

      // Still on Feodo's list, offline for more than the short validity: it is no longer an indicator.
      const late = await run(T1 + 9 * DAY);
      assert.equal(late.skipped.expired, 1);
      assert.equal(late.delisted, 1, 'the sighting ends at once (a snapshot that no longer vouches for it)');
      assert.equal((await ioc()).status, 'revoked');

      // A C2 with no last_online at all (never seen online) ages from first_seen, never from "now".
      body = [entry('offline', null)];
      const never = await run(T1 + 9 * DAY + 3_600_000);
      assert.equal(never.skipped.expired, 1, 'first seen 2026-11-09, offline: past its validity too');
      assert.equal((await ioc()).status, 'revoked');

      // Back online: a full-strength C2 again (the low confidence does not stick).
      body = [entry('online', day(T1 + 10 * DAY))];
      await run(T1 + 10 * DAY);
      const back = await ioc();
      assert.equal(back.status, 'active');
      assert.equal((await sighting()).confidence, 100);
      assert.equal(back.score, 80);
    } finally {
      await store.close();
    }
  });
});
