import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveSources } from '../../src/connectors/catalog/source-config.js';
import { apiKeyProblem, applySetting, scheduleProblem, SourceRegistry } from '../../src/connectors/catalog/source-overrides.js';
import { IngestScheduler } from '../../src/connectors/pipeline/scheduler.js';
import type { SourceSetting } from '../../src/store/types.js';
import { FeedServer } from '../support/feed-server.js';
import { sqliteStore, type SqliteTestStore } from '../support/stores.js';

const TRANSPORT = { retries: 1, backoffMs: 1, idleTimeoutMs: 60_000, timeoutMs: 60_000, maxRetryAfterMs: 50 };
const url = (id: string) => `https://feeds.example.invalid/${id}.txt`;
const T0 = Date.UTC(2026, 11, 1, 12);
const HOUR = 3_600_000;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const setting = (over: Partial<SourceSetting>): SourceSetting => ({ sourceId: 'x', enabled: null, schedule: null, apiKey: null, updatedAt: T0, updatedBy: null, ...over });

describe('applySetting: env > API > configuration file > catalog default', () => {
  const keyed = (file: Record<string, unknown>, env: Record<string, string> = {}) => resolveSources([], {
    customSources: [{ id: 'keyed', name: 'Keyed', fetch: { url: url('keyed') }, shape: { kind: 'line' }, apiKey: { env: 'SOCD_KEYED_KEY', header: 'X-Key' }, schedule: '1h' }],
    ...file,
  }, env).sources[0]!;

  it('an API key fills a missing key and replaces the file\'s, never the environment\'s', () => {
    const none = keyed({});
    assert.match(none.reason ?? '', /^needs-key/);
    const api = applySetting(none, setting({ apiKey: 'from-api' }));
    assert.deepEqual([api.apiKey, api.keyFrom, api.reason], ['from-api', 'api', undefined]);
    const overFile = applySetting(keyed({ sources: { keyed: { apiKey: 'from-file' } } }), setting({ apiKey: 'from-api' }));
    assert.deepEqual([overFile.apiKey, overFile.keyFrom], ['from-api', 'api']);
    const env = applySetting(keyed({}, { SOCD_KEYED_KEY: 'from-env' }), setting({ apiKey: 'from-api' }));
    assert.deepEqual([env.apiKey, env.keyFrom], ['from-env', 'env']);
  });

  it('enabled and schedule set over the API win over the file; null leaves the file\'s', () => {
    const off = keyed({ sources: { keyed: { enabled: false, apiKey: 'k' } } });
    assert.equal(off.enabled, false);
    const on = applySetting(off, setting({ enabled: true, schedule: '6h' }));
    assert.deepEqual([on.enabled, on.reason, on.def.schedule, on.scheduleMs], [true, undefined, '6h', 6 * HOUR]);
    const disabled = applySetting(keyed({ sources: { keyed: { apiKey: 'k' } } }), setting({ enabled: false }));
    assert.equal(disabled.enabled, false);
    assert.match(disabled.reason ?? '', /disabled by an administrator/);
    assert.equal(applySetting(off, setting({})).reason, 'disabled in the configuration');
  });

  it('checks schedules and keys as the configuration file does', () => {
    for (const ok of ['1m', '15m', '6h', '1d']) assert.equal(scheduleProblem(ok), undefined, ok);
    for (const bad of ['30s', '0m', 'often', '', 5, null]) assert.ok(scheduleProblem(bad), String(bad));
    assert.equal(apiKeyProblem('abc-DEF_123.='), undefined);
    for (const bad of ['', ' a', 'a ', 'a\nb', 'é', 'k'.repeat(1025), 7]) assert.ok(apiKeyProblem(bad), JSON.stringify(bad));
  });
});

describe('IngestScheduler over a SourceRegistry: settings apply at the next pass, queued runs of disabled sources end skipped', () => {
  const feed = new FeedServer();
  let store: SqliteTestStore;
  let now = T0;
  let scheduler: IngestScheduler;
  const { sources, ingest } = resolveSources([], {
    customSources: [
      { id: 'list-a', generic: 'text', url: url('list-a'), schedule: '1h' },
      { id: 'list-b', generic: 'text', url: url('list-b'), schedule: '1h' },
    ],
  }, {});
  const runsOf = (id: string) => feed.requests.filter((r) => r.url === url(id)).length;

  before(async () => {
    await feed.start();
    feed.handlers.set(url('list-a'), (_req, res) => res.writeHead(200).end('45.133.30.1\n'));
    feed.handlers.set(url('list-b'), (_req, res) => res.writeHead(200).end('45.133.30.2\n'));
    store = await sqliteStore();
    const registry = new SourceRegistry(sources, store);
    scheduler = new IngestScheduler(() => registry.all(), { store, settings: ingest, clock: () => now, rewriteUrl: feed.rewrite, transport: TRANSPORT }, quiet);
  });
  after(async () => {
    await scheduler.stop();
    await store.close();
    await feed.stop();
  });

  it('a source disabled over the API stops being scheduled; enabled again, it runs; a longer schedule is followed', async () => {
    await store.updateSourceSetting('list-b', { enabled: false }, now, 'admin@example.com');
    assert.deepEqual((await scheduler.runDue()).map((r) => r.source), ['list-a']);
    now += HOUR;
    await store.updateSourceSetting('list-b', { enabled: null }, now, null);
    await store.updateSourceSetting('list-a', { schedule: '1d' }, now, null);
    assert.deepEqual((await scheduler.runDue()).map((r) => r.source), ['list-b'], 'list-a now waits a day');
    now += 24 * HOUR;
    assert.deepEqual((await scheduler.runDue()).map((r) => r.source), ['list-a', 'list-b']);
    assert.equal(runsOf('list-a'), 2);
  });

  it('runs a queued request first and once in the pass; a request for a source disabled since ends skipped with the reason', async () => {
    const a = await store.requestRun('list-a', now);
    const b = await store.requestRun('list-b', now);
    await store.updateSourceSetting('list-b', { enabled: false }, now, null);
    const reports = await scheduler.runDue();
    assert.deepEqual(reports.map((r) => [r.source, r.runId]), [['list-a', a.run.id]], 'the request, not a second scheduled run');
    assert.equal((await store.getRun(a.run.id))?.outcome, 'ok');
    const skipped = await store.getRun(b.run.id);
    assert.equal(skipped?.outcome, 'skipped');
    assert.match(skipped?.error ?? '', /disabled by an administrator/);
    assert.deepEqual(await store.queuedRuns(10), []);
  });
});
