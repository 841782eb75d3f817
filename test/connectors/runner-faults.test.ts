import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runSources, type RunnerDeps, type RunReport } from '../../src/connectors/pipeline/runner.js';
import { resolveSources, type ResolvedSource } from '../../src/connectors/catalog/source-config.js';
import type { SourceDefinition } from '../../src/connectors/catalog/source-definition.js';
import { genericSource, type GenericOptions } from '../../src/connectors/catalog/sources/generic.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { parseDuration } from '../../src/connectors/catalog/url-template.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { FeedServer } from '../support/feed-server.js';
import { sqliteStore } from '../support/stores.js';

/**
 * Transport settings where no healthy transfer can reach a limit, however loaded the machine: one retry with a 1 ms
 * backoff (waits are recorded, not slept), generous stall and header deadlines (a source's own `fetch.timeoutMs`, 120 s
 * by default). The two tests that are about a limit set a small one and make the fault certain on the server's side.
 */
const TRANSPORT = { retries: 1, backoffMs: 1, idleTimeoutMs: 60_000, maxRetryAfterMs: 50 };
/** The limits of (a) and (h): small, so the test is quick; the server never sends what would beat them. */
const SHORT_MS = 200;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1, 12);
const { ingest } = resolveSources(CATALOG, {}, {});

/** A definition as catalog.test.ts runs one: enabled, no key, its minimum interval from the definition. */
function resolved(def: SourceDefinition, over: Partial<ResolvedSource> = {}): ResolvedSource {
  return {
    def, enabled: true, reason: undefined, apiKey: undefined, username: undefined, custom: true, scheduleMs: HOUR,
    minIntervalMs: def.minInterval ? parseDuration(def.minInterval)! : 0, ...over,
  };
}

const generic = (o: Partial<GenericOptions> & Pick<GenericOptions, 'id'>): SourceDefinition =>
  genericSource({ generic: 'text', url: `https://feeds.example.invalid/${o.id}.txt`, ...o });

const urlOf = (def: SourceDefinition) => def.fetch.url as string;

describe('runner: faulty sources fail alone, with an error that names the fault', () => {
  const server = new FeedServer();
  let store: SqliteStore;
  /** Waits the transport asked for, by source (runSources runs them in order). */
  const sleepsBy = new Map<string, number[]>();
  let reports: RunReport[] = [];
  let hits429 = 0;

  const defs = {
    // Its own header deadline (the transport sets none): the server never answers, so it is certain to pass.
    timeout: ((d: SourceDefinition): SourceDefinition => ({ ...d, fetch: { ...d.fetch, timeoutMs: SHORT_MS } }))(generic({ id: 'f-timeout' })),
    reset: generic({ id: 'f-reset' }),
    csvReset: generic({ id: 'f-csv-reset', generic: 'csv', url: 'https://feeds.example.invalid/f-csv-reset.csv' }),
    http500: generic({ id: 'f-500' }),
    throttled: generic({ id: 'f-429' }),
    html: generic({ id: 'f-html', generic: 'csv', url: 'https://feeds.example.invalid/f-html.csv' }),
    gzip: generic({ id: 'f-gzip' }),
    large: ((d: SourceDefinition): SourceDefinition => ({ ...d, fetch: { ...d.fetch, maxBytes: 64 } }))(generic({ id: 'f-large' })),
    missing: generic({ id: 'f-404' }),
    healthy: generic({ id: 'healthy' }),
  };
  /** Run on its own, with a short stall limit (the only limit of the transport that covers every source). */
  const stall = generic({ id: 'f-stall' });
  let stallReport: RunReport | undefined;
  const healthyValues = ['45.133.1.10', '45.133.1.11', 'healthy-feed-bad.top'];

  before(async () => {
    await server.start();
    store = await sqliteStore();
    const h = server.handlers;
    // (a) never answers: the request deadline fires.
    h.set(urlOf(defs.timeout), () => {});
    // (b) headers and part of the body, then the connection is torn down.
    h.set(urlOf(defs.reset), (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('45.133.1.1\n45.133.1.2\n45.133.1', () => req.socket.destroy());
    });
    // (b') the same under the CSV reader (csv-parse behind a pipe, which does not forward errors by itself).
    h.set(urlOf(defs.csvReset), (req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write(`value,type\n${Array.from({ length: 2000 }, (_, i) => `45.136.${i >> 8}.${(i & 255) || 1},ipv4`).join('\n')}\n45.1`, () => req.socket.destroy());
    });
    // (c) 500 on every attempt.
    h.set(urlOf(defs.http500), (_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('oops'));
    // (d) 429 with Retry-After: 7, then the list.
    h.set(urlOf(defs.throttled), (_req, res) => {
      hits429++;
      if (hits429 === 1) res.writeHead(429, { 'retry-after': '7', 'content-type': 'text/plain' }).end('slow down');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('45.133.1.30\n45.133.1.31\n');
    });
    // (e) a login page answering 200 where a CSV was expected.
    h.set(urlOf(defs.html), (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>value\n45.133.1.40</body></html>'));
    // (f) a gzip file cut in the middle.
    const gz = gzipSync(Array.from({ length: 400 }, (_, i) => `45.134.${i >> 8}.${i & 255}`).join('\n'));
    h.set(urlOf(defs.gzip), (_req, res) => res.writeHead(200, { 'content-type': 'application/gzip' }).end(gz.subarray(0, Math.floor(gz.length / 2))));
    // (g) more than the 64-byte cap.
    h.set(urlOf(defs.large), (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/plain' }).end(Array.from({ length: 50 }, (_, i) => `45.135.0.${i + 1}`).join('\n')));
    // (h) headers and a first line, then nothing more, ever: the stall is certain, and the headers are not raced (the
    // header deadline is the default 120 s).
    h.set(urlOf(stall), (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('45.133.1.50\n');
    });
    // (i) 404: no handler, the feed server answers 404.
    h.set(urlOf(defs.healthy), (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`# healthy list\n${healthyValues.join('\n')}\n`));

    let pending: number[] = [];
    const deps: RunnerDeps = {
      store, settings: ingest, clock: () => T0, rewriteUrl: server.rewrite, transport: TRANSPORT,
      sleep: async (ms) => void pending.push(ms),
    };
    reports = await runSources(Object.values(defs).map((d) => resolved(d)), deps, {
      onReport: (r) => {
        sleepsBy.set(r.source, pending);
        pending = [];
      },
    });
    [stallReport] = await runSources([resolved(stall)], { ...deps, transport: { ...TRANSPORT, idleTimeoutMs: SHORT_MS } });
  });
  after(async () => {
    await server.stop();
    await store.close();
  });

  const reportOf = (id: string) => {
    const r = [...reports, ...(stallReport ? [stallReport] : [])].find((x) => x.source === id);
    assert.ok(r, `a report for ${id}`);
    return r;
  };
  const assertFailed = async (id: string, error: RegExp) => {
    const r = reportOf(id);
    assert.equal(r.outcome, 'failed', `${id}: ${r.error}`);
    assert.match(r.error ?? '', error, id);
    const run = await store.lastRun(id, ['failed']);
    assert.ok(run, `${id}: the failed run is recorded`);
    assert.equal(run.outcome, 'failed');
    assert.equal(run.error, r.error, `${id}: the recorded error is the report's`);
    assert.equal(run.id, r.runId);
    assert.equal(await store.lastRun(id, ['ok', 'not-modified']), undefined, `${id}: no successful run`);
  };

  it('runs every source once, in order', () => {
    assert.deepEqual(reports.map((r) => r.source), Object.values(defs).map((d) => d.id));
  });

  it('(a) a server that never answers: timeout, not retried', async () => {
    await assertFailed('f-timeout', new RegExp(`^timeout: no answer within ${SHORT_MS} ms`));
    assert.equal(server.requests.filter((q) => q.url === urlOf(defs.timeout)).length, 1, 'a timeout is not retried');
  });

  it('(b) a connection reset mid-body: network', async () => {
    await assertFailed('f-reset', /^network: /);
  });

  it("(b') a connection reset mid-body under the CSV reader: network, and the process does not crash", async () => {
    await assertFailed('f-csv-reset', /^network: /);
  });

  it('(c) HTTP 500 on every attempt: http, after the retries with backoff', async () => {
    await assertFailed('f-500', /^http: HTTP 500 after 2 attempts/);
    assert.equal(server.requests.filter((q) => q.url === urlOf(defs.http500)).length, 2);
    assert.deepEqual(sleepsBy.get('f-500'), [1], 'one backoff of backoffMs');
  });

  it('(d) 429 with Retry-After: 7 then 200: waits (Retry-After capped at maxRetryAfterMs) and succeeds', async () => {
    const r = reportOf('f-429');
    assert.equal(r.outcome, 'ok', String(r.error));
    assert.equal(r.error, null);
    // fetch-source sleeps min(Retry-After, maxRetryAfterMs): 7000 ms asked, 50 ms allowed by the test transport.
    assert.deepEqual(sleepsBy.get('f-429'), [Math.min(7000, TRANSPORT.maxRetryAfterMs)]);
    assert.equal(hits429, 2);
    const run = await store.lastRun('f-429', ['ok']);
    assert.equal(run?.outcome, 'ok');
    assert.equal(run?.inserted, 2);
    const stored = (await store.queryIocs({ source: 'f-429', status: 'active', limit: 10 })).items.map((i) => i.value).sort();
    assert.deepEqual(stored, ['45.133.1.30', '45.133.1.31']);
  });

  it('(e) an HTML page instead of a CSV: refused, naming HTML', async () => {
    await assertFailed('f-html', /HTML page/);
    assert.equal((await store.queryIocs({ value: '45.133.1.40', status: 'all', limit: 1 })).items.length, 0);
  });

  it('(f) a truncated gzip body: bad-gzip', async () => {
    await assertFailed('f-gzip', /^bad-gzip: /);
  });

  it('(g) a body over fetch.maxBytes: too-large', async () => {
    await assertFailed('f-large', /^too-large: .*64 bytes/);
  });

  it('(h) a body that stops coming: stalled, and what came before it is not stored as a success', async () => {
    await assertFailed('f-stall', new RegExp(`^stalled: no data for ${SHORT_MS} ms`));
  });

  it('(i) 404: http, not retried', async () => {
    await assertFailed('f-404', /^http: HTTP 404/);
    assert.equal(server.requests.filter((q) => q.url === urlOf(defs.missing)).length, 1, 'a 404 is not retried');
  });

  it('the healthy source after them runs and stores its IOCs', async () => {
    const r = reportOf('healthy');
    assert.equal(r.outcome, 'ok', String(r.error));
    assert.equal(r.inserted, healthyValues.length);
    const items = (await store.queryIocs({ source: 'healthy', status: 'active', limit: 10 })).items;
    assert.deepEqual(items.map((i) => `${i.type} ${i.value}`).sort(), ['domain healthy-feed-bad.top', 'ipv4 45.133.1.10', 'ipv4 45.133.1.11']);
    assert.equal((await store.lastRun('healthy', ['ok']))?.inserted, healthyValues.length);
    const latest = await store.latestRuns();
    assert.equal(latest.find((x) => x.sourceId === 'healthy')?.outcome, 'ok');
    assert.equal(latest.find((x) => x.sourceId === 'f-500')?.outcome, 'failed');
  });
});

describe('runner: run history of one source', () => {
  const server = new FeedServer();
  let store: SqliteStore;
  const sleeps: number[] = [];
  before(() => server.start());
  after(() => server.stop());
  beforeEach(async () => {
    store = await sqliteStore();
    server.handlers.clear();
    server.requests.length = 0;
  });
  afterEach(() => store.close());

  const deps = (now: number): RunnerDeps => ({
    store, settings: ingest, clock: () => now, rewriteUrl: server.rewrite, transport: TRANSPORT, sleep: async (ms) => void sleeps.push(ms),
  });
  const run = async (src: ResolvedSource, now: number, opts: { force?: boolean } = {}) => {
    const [r] = await runSources([src], deps(now), opts);
    return r!;
  };
  const find = async (value: string) => (await store.queryIocs({ value, status: 'all', limit: 1 })).items[0];
  const sightingOf = async (value: string, source: string) => {
    const ioc = await find(value);
    assert.ok(ioc, `${value} is stored`);
    const s = (await store.getIoc(ioc.id))!.sightings.find((x) => x.source === source);
    assert.ok(s, `${value} has a sighting by ${source}`);
    return s;
  };

  it('a snapshot keeps its values through a failure, delists what the next success drops, and an empty 200 delists nothing', async () => {
    const def = generic({ id: 'snap-list' });
    const url = urlOf(def);
    let answer: (res: ServerResponse) => void = () => {};
    server.handlers.set(url, (_req: IncomingMessage, res) => answer(res));
    const A = '45.133.2.1';
    const B = '45.133.2.2';
    const C = '45.133.2.3';
    const text = (body: string) => (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/plain' }).end(body);

    answer = text(`${A}\n${B}\n${C}\n`);
    const first = await run(resolved(def), T0);
    assert.equal(first.outcome, 'ok', String(first.error));
    assert.equal(first.inserted, 3);

    answer = (res) => res.writeHead(500).end();
    const failed = await run(resolved(def), T0 + HOUR);
    assert.equal(failed.outcome, 'failed');
    assert.match(failed.error!, /^http: HTTP 500/);
    assert.equal(failed.delisted, 0);
    for (const v of [A, B, C]) {
      assert.equal((await find(v))?.status, 'active', `${v} stays live after a failed run`);
      assert.equal((await sightingOf(v, 'snap-list')).endedAt, null, `${v}: sighting not ended by a failure`);
    }

    answer = text(`${A}\n${B}\n`);
    const t2 = T0 + 2 * HOUR;
    const second = await run(resolved(def), t2);
    assert.equal(second.outcome, 'ok', String(second.error));
    assert.equal(second.delisted, 1);
    assert.equal((await store.lastRun('snap-list', ['ok']))?.delisted, 1);
    assert.equal((await sightingOf(C, 'snap-list')).endedAt, t2, 'C: its sighting ends at the run');
    assert.equal((await find(C))?.status, 'revoked', 'C, listed by no other source, is revoked');
    assert.equal((await store.queryIocs({ value: C, status: 'active', limit: 1 })).items.length, 0);
    for (const v of [A, B]) {
      assert.equal((await find(v))?.status, 'active');
      assert.equal((await sightingOf(v, 'snap-list')).endedAt, null);
    }

    answer = text('');
    const empty = await run(resolved(def), T0 + 3 * HOUR);
    assert.equal(empty.outcome, 'failed');
    assert.match(empty.error!, /no usable record: nothing delisted/);
    assert.equal(empty.delisted, 0);
    const recorded = await store.lastRun('snap-list', ['failed']);
    assert.equal(recorded?.id, empty.runId);
    assert.equal(recorded?.error, empty.error);
    for (const v of [A, B]) {
      assert.equal((await find(v))?.status, 'active', `${v} survives an empty snapshot`);
      assert.equal((await sightingOf(v, 'snap-list')).endedAt, null);
    }
  });

  it('ETag: a 304 on the second run is not-modified, keeps the IOCs live and refreshes lastSeen', async () => {
    const def = generic({ id: 'etag-list' });
    const url = urlOf(def);
    server.handlers.set(url, (req, res) => {
      if (req.headers['if-none-match'] === '"v1"') return res.writeHead(304, { etag: '"v1"' }).end();
      res.writeHead(200, { etag: '"v1"', 'content-type': 'text/plain' }).end('45.133.3.1\nheld-domain-etag.top\n');
    });
    const first = await run(resolved(def), T0);
    assert.equal(first.outcome, 'ok', String(first.error));
    assert.equal((await store.lastRun('etag-list', ['ok']))?.etag, '"v1"');
    assert.equal(server.requests[0]?.headers['if-none-match'], undefined);

    const t2 = T0 + 2 * HOUR;
    const second = await run(resolved(def), t2);
    assert.equal(second.outcome, 'not-modified', String(second.error));
    assert.equal(second.error, null);
    assert.equal(second.delisted, 0);
    assert.equal(server.requests[1]?.headers['if-none-match'], '"v1"', 'the validator of the last download is sent');
    assert.equal((await store.lastRun('etag-list', ['not-modified']))?.id, second.runId);
    for (const v of ['45.133.3.1', 'held-domain-etag.top']) {
      const ioc = await find(v);
      assert.equal(ioc?.status, 'active', v);
      assert.equal(ioc?.lastSeen, t2, `${v}: lastSeen is the 304 run's time`);
      const s = await sightingOf(v, 'etag-list');
      assert.equal(s.lastSeen, t2, `${v}: the sighting is seen again`);
      assert.equal(s.endedAt, null);
    }
  });

  it('minInterval: a second run within the interval is too-soon (nothing fetched) unless forced', async () => {
    const def: SourceDefinition = { ...generic({ id: 'slow-list' }), minInterval: '1h' };
    const src = resolved(def);
    assert.equal(src.minIntervalMs, HOUR);
    server.handlers.set(urlOf(def), (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('45.133.4.1\n'));
    assert.equal((await run(src, T0)).outcome, 'ok');
    assert.equal(server.requests.length, 1);

    const soon = await run(src, T0 + 30 * 60_000);
    assert.equal(soon.outcome, 'too-soon');
    assert.match(soon.error!, /one download per 1h; next at 2026-11-01T13:00:00.000Z/);
    assert.equal(soon.runId, undefined);
    assert.equal(server.requests.length, 1, 'too-soon fetches nothing');

    const forced = await run(src, T0 + 30 * 60_000, { force: true });
    assert.equal(forced.outcome, 'ok', String(forced.error));
    assert.equal(server.requests.length, 2);

    // The interval counts from the latest successful run (the forced one).
    assert.equal((await run(src, T0 + 61 * 60_000)).outcome, 'too-soon');
    assert.equal((await run(src, T0 + 91 * 60_000)).outcome, 'ok');
    assert.equal(server.requests.length, 3);
  });

  it('needs-key: a keyed catalog source without its key is skipped, recorded with the reason, nothing fetched', async () => {
    const { sources } = resolveSources(CATALOG, {}, {});
    const abuse = sources.find((s) => s.def.id === 'abuseipdb');
    assert.ok(abuse);
    assert.equal(abuse.enabled, true);
    assert.match(abuse.reason ?? '', /^needs-key/);
    const r = await run(abuse, T0);
    assert.equal(r.outcome, 'skipped');
    assert.match(r.error!, /^needs-key: set SOCD_ABUSEIPDB_KEY/);
    const recorded = await store.lastRun('abuseipdb', ['skipped']);
    assert.ok(recorded, 'the skipped run is recorded');
    assert.match(recorded.error ?? '', /^needs-key/);
    assert.equal(server.requests.length, 0, 'nothing fetched');
  });

  it('disabled: outcome disabled, nothing fetched, no run', async () => {
    const def = generic({ id: 'off-list' });
    const { sources } = resolveSources([def], { sources: { 'off-list': { enabled: false } } }, {});
    const src = sources[0]!;
    assert.equal(src.enabled, false);
    server.handlers.set(urlOf(def), (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('45.133.5.1\n'));
    const r = await run(src, T0);
    assert.equal(r.outcome, 'disabled');
    assert.equal(r.error, 'disabled in the configuration');
    assert.equal(server.requests.length, 0, 'nothing fetched');
    assert.equal((await store.latestRuns()).some((x) => x.sourceId === 'off-list'), false);
    assert.equal((await store.queryIocs({ status: 'all', source: 'off-list', limit: 1 })).items.length, 0);
  });
});
