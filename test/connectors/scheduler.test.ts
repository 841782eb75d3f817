import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunReport } from '../../src/connectors/pipeline/runner.js';
import { IngestScheduler, type SchedulerLog } from '../../src/connectors/pipeline/scheduler.js';
import { resolveSources } from '../../src/connectors/catalog/source-config.js';
import { decayedScore } from '../../src/domain/scoring.js';
import type { Store } from '../../src/store/store.js';
import { observation, source } from '../support/builders.js';
import { FeedServer } from '../support/feed-server.js';
import { sqliteStore, type SqliteTestStore } from '../support/stores.js';

/** No test here is about a limit: generous ones, which no healthy transfer reaches however loaded the machine. */
const TRANSPORT = { retries: 1, backoffMs: 1, idleTimeoutMs: 60_000, timeoutMs: 60_000, maxRetryAfterMs: 50 };
const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1, 12);
const url = (id: string) => `https://feeds.example.invalid/${id}.txt`;

/** A logger that keeps what it is told. */
class RecordingLog implements SchedulerLog {
  readonly calls: Array<{ level: 'info' | 'warn' | 'error'; obj: Record<string, unknown>; msg: string }> = [];
  info(obj: object, msg: string): void {
    this.calls.push({ level: 'info', obj: obj as Record<string, unknown>, msg });
  }
  warn(obj: object, msg: string): void {
    this.calls.push({ level: 'warn', obj: obj as Record<string, unknown>, msg });
  }
  error(obj: object, msg: string): void {
    this.calls.push({ level: 'error', obj: obj as Record<string, unknown>, msg });
  }
}

describe('IngestScheduler.runDue: schedules from the last run, fails alone, ages IOCs hourly', () => {
  const server = new FeedServer();
  let store: SqliteTestStore;
  let spied: Store;
  const decays: number[] = [];
  const log = new RecordingLog();
  let now = T0;
  let scheduler: IngestScheduler;

  const { sources, ingest } = resolveSources([], {
    customSources: [
      { id: 'list-a', generic: 'text', url: url('list-a'), schedule: '1h' },
      { id: 'list-b', generic: 'text', url: url('list-b'), schedule: '1h' },
      // No handler on the feed server: 404 on every run.
      { id: 'list-broken', generic: 'text', url: url('list-broken'), schedule: '1h' },
      { id: 'list-off', generic: 'text', url: url('list-off'), schedule: '1h' },
      // A source that needs a key nobody set.
      { id: 'list-keyed', name: 'Keyed list', fetch: { url: url('list-keyed') }, shape: { kind: 'line' }, apiKey: { env: 'SOCD_LIST_KEYED_KEY', header: 'X-Key' }, schedule: '1h' },
    ],
    sources: { 'list-off': { enabled: false } },
  }, {});
  const requestsFor = (id: string) => server.requests.filter((r) => r.url === url(id)).length;
  const ids = (reports: RunReport[]) => reports.map((r) => r.source);
  const decayedIp = '198.51.100.99';
  const decayedLastSeen = T0 - 10 * DAY;

  before(async () => {
    await server.start();
    for (const [id, body] of [['list-a', '45.133.10.1\n45.133.10.2\n'], ['list-b', '# b\nscheduler-test-b.top\n'], ['list-off', '45.133.10.9\n'], ['list-keyed', '45.133.10.8\n']]) {
      server.handlers.set(url(id!), (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(body));
    }
    store = await sqliteStore();
    // An IOC whose score moves with the clock: its decay shows when a decay pass ran.
    await store.upsertSource(source({ id: 'seed', reliability: 0.8 }));
    await store.upsertObservations('seed', [observation({ type: 'ipv4', value: decayedIp, firstSeen: decayedLastSeen, lastSeen: decayedLastSeen })], decayedLastSeen);
    spied = new Proxy(store, {
      get(target, prop) {
        if (prop === 'decayIocs') {
          return async (at: number) => {
            decays.push(at);
            return target.decayIocs(at);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    scheduler = new IngestScheduler(sources, {
      store: spied, settings: ingest, clock: () => now, rewriteUrl: server.rewrite, transport: TRANSPORT, sleep: async () => {},
    }, log);
  });
  after(async () => {
    await scheduler.stop();
    await server.stop();
    await store.close();
  });

  const scoreOfSeed = async () => (await store.queryIocs({ status: 'all', value: decayedIp, limit: 1 })).items[0]!.score;

  it('resolves the sources as the test means them', () => {
    assert.deepEqual(sources.map((s) => [s.def.id, s.enabled, s.reason?.replace(/:.*/, '') ?? null, s.scheduleMs]), [
      ['list-a', true, null, 60 * MINUTE],
      ['list-b', true, null, 60 * MINUTE],
      ['list-broken', true, null, 60 * MINUTE],
      ['list-off', false, 'disabled in the configuration', 60 * MINUTE],
      ['list-keyed', true, 'needs-key', 60 * MINUTE],
    ]);
  });

  it('first pass: runs every enabled source, logs the failure with warn, and ages IOCs', async () => {
    assert.equal(await scoreOfSeed(), 80, 'scored when written, at its last sighting');
    now = T0;
    const reports = await scheduler.runDue();
    assert.deepEqual(ids(reports), ['list-a', 'list-b', 'list-broken']);
    assert.deepEqual(reports.map((r) => r.outcome), ['ok', 'ok', 'failed']);
    assert.equal(reports[0]!.inserted, 2);
    assert.equal(reports[1]!.inserted, 1);
    assert.match(reports[2]!.error ?? '', /^http: HTTP 404/);
    assert.deepEqual(['list-a', 'list-b', 'list-broken'].map(requestsFor), [1, 1, 1]);

    const warned = log.calls.filter((c) => c.level === 'warn');
    assert.equal(warned.length, 1);
    assert.equal(warned[0]!.msg, 'source run failed');
    assert.equal(warned[0]!.obj.source, 'list-broken');
    assert.equal(warned[0]!.obj.outcome, 'failed');
    assert.match(String(warned[0]!.obj.error), /^http: HTTP 404/);
    assert.deepEqual(log.calls.filter((c) => c.msg === 'source run').map((c) => [c.level, c.obj.source, c.obj.outcome, c.obj.new]), [
      ['info', 'list-a', 'ok', 2],
      ['info', 'list-b', 'ok', 1],
    ]);

    assert.deepEqual(decays, [T0], 'decay runs on the first pass');
    assert.equal(await scoreOfSeed(), decayedScore(80, 'ipv4', decayedLastSeen, T0));
    assert.ok((await scoreOfSeed()) < 80);
    const aged = log.calls.filter((c) => c.msg === 'IOCs aged');
    assert.equal(aged.length, 1);
    assert.equal(aged[0]!.level, 'info');
    assert.deepEqual(aged[0]!.obj, { rescored: 1, revoked: 0, versions: 0 });
  });

  it('ten minutes later with a 1h schedule: runs nothing (the failed source waits too), no decay', async () => {
    const logged = log.calls.length;
    const scored = await scoreOfSeed();
    now = T0 + 10 * MINUTE;
    assert.deepEqual(await scheduler.runDue(), []);
    assert.deepEqual(['list-a', 'list-b', 'list-broken'].map(requestsFor), [1, 1, 1], 'nothing fetched');
    assert.deepEqual(decays, [T0], 'no second decay within the hour');
    assert.equal(log.calls.length, logged, 'nothing to log');
    assert.equal(await scoreOfSeed(), scored);
  });

  it('61 minutes later: runs them again, and ages IOCs again', async () => {
    now = T0 + 61 * MINUTE;
    const reports = await scheduler.runDue();
    assert.deepEqual(ids(reports), ['list-a', 'list-b', 'list-broken']);
    assert.deepEqual(reports.map((r) => r.outcome), ['ok', 'ok', 'failed']);
    assert.deepEqual(['list-a', 'list-b', 'list-broken'].map(requestsFor), [2, 2, 2]);
    assert.equal(log.calls.filter((c) => c.level === 'warn').length, 2, 'the failure is logged again');
    assert.deepEqual(decays, [T0, T0 + 61 * MINUTE]);
    const runs = new Map((await store.latestRuns()).map((r) => [r.sourceId, r]));
    assert.equal(runs.get('list-a')?.startedAt, T0 + 61 * MINUTE);
    assert.equal(runs.get('list-broken')?.outcome, 'failed');
    assert.equal(runs.get('list-broken')?.startedAt, T0 + 61 * MINUTE);
  });

  it('a disabled or needs-key source never runs: no request, no run recorded', async () => {
    now = T0 + 10 * DAY;
    const reports = await scheduler.runDue();
    assert.deepEqual(ids(reports), ['list-a', 'list-b', 'list-broken']);
    assert.equal(requestsFor('list-off'), 0);
    assert.equal(requestsFor('list-keyed'), 0);
    const runs = (await store.latestRuns()).map((r) => r.sourceId);
    assert.ok(!runs.includes('list-off'));
    assert.ok(!runs.includes('list-keyed'));
    assert.equal(log.calls.some((c) => c.obj.source === 'list-off' || c.obj.source === 'list-keyed'), false);
    assert.equal(log.calls.filter((c) => c.level === 'error').length, 0);
  });
});

describe('IngestScheduler: several processes on one database, one ingests', () => {
  const server = new FeedServer();
  let store: SqliteTestStore;
  let now = T0;
  const { sources, ingest } = resolveSources([], { customSources: [{ id: 'shared-list', generic: 'text', url: url('shared-list'), schedule: '1m' }] }, {});
  const make = () => new IngestScheduler(sources, { store, settings: ingest, clock: () => now, rewriteUrl: server.rewrite, transport: TRANSPORT, sleep: async () => {} }, new RecordingLog());

  before(async () => {
    await server.start();
    server.handlers.set(url('shared-list'), (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('45.133.20.1\n'));
    store = await sqliteStore();
  });
  after(async () => {
    await server.stop();
    await store.close();
  });

  it('the first to pass leads; the other runs nothing while the lease lives, and takes over when it is given up or lapses', async () => {
    const a = make();
    const b = make();
    assert.notEqual(a.holder, b.holder);
    assert.deepEqual((await a.runDue()).map((r) => r.source), ['shared-list']);
    assert.equal(a.isLeader, true);
    now += 30_000;
    assert.deepEqual(await a.runDue(), [], 'a renews; nothing is due yet');
    now += 31_000;
    assert.deepEqual(await b.runDue(), [], 'b is not the leader: nothing runs, though the source is due');
    assert.equal(b.isLeader, false);
    // A renews at its pass (and every 15 s while it lives); B still waits.
    assert.deepEqual((await a.runDue()).map((r) => r.source), ['shared-list']);
    now += 30_000;
    assert.deepEqual(await b.runDue(), [], 'within the renewed lease');
    // A dies without a word: its lease lapses 45 s after its last renewal, then B takes over and runs what is due.
    now += 30_000;
    assert.deepEqual((await b.runDue()).map((r) => r.source), ['shared-list']);
    assert.equal(b.isLeader, true);
    assert.equal(server.requests.length, 3, 'one download per pass of whoever leads');
    // A clean stop hands over at once.
    await b.stop();
    const c = make();
    assert.equal((await c.runDue()).length, 0, 'nothing is due yet, but c now leads');
    assert.equal(c.isLeader, true);
    await c.stop();
  });
});
