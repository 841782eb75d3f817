import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { BUILTIN_COLLECTIONS } from '../../src/domain/collections.js';
import { parseAddressRange } from '../../src/domain/network.js';
import type { Config } from '../../src/config/config.js';
import { observation, source } from '../support/builders.js';
import { parsePrometheusText, sampleSum, sampleValue, type Family } from '../support/prom-text.js';
import { callJson, startServer, type TestServer } from '../support/server.js';

const TOKEN = 'metrics-token-' + 'q'.repeat(24);
const TAXII = 'application/taxii+json;version=2.1';

const metricsOn = (settings: Partial<Config['metrics']>) => (c: Config) => {
  c.metrics = { token: undefined, allow: [], allowText: [], ...settings };
};

async function scrape(base: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  const res = await fetch(`${base}/metrics`, { headers });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, text };
}

async function families(base: string): Promise<Map<string, Family>> {
  const r = await scrape(base);
  assert.equal(r.status, 200, r.text);
  return parsePrometheusText(r.text);
}

describe('GET /metrics: who may scrape', () => {
  it('is off (404) when neither a token nor addresses are configured', async () => {
    const srv = await startServer();
    try {
      assert.equal((await scrape(srv.base)).status, 404);
      assert.equal((await scrape(srv.base, {})).status, 404);
    } finally {
      await srv.close();
    }
  });

  it('with a token: 401 without it or with another, the text with it', async () => {
    const srv = await startServer(metricsOn({ token: TOKEN }));
    try {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, { authorization: `Bearer ${TOKEN}x` }]) {
        const r = await scrape(srv.base, headers);
        assert.equal(r.status, 401, JSON.stringify(headers));
        assert.match(r.type, /^application\/problem\+json/);
        assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="metrics"');
        assert.ok(!r.text.includes('socd_'), 'no figure in a refusal');
      }
      const ok = await scrape(srv.base);
      assert.equal(ok.status, 200);
      assert.match(ok.type, /^text\/plain; version=0\.0\.4/);
      assert.equal(ok.headers.get('cache-control'), 'no-store');
      assert.ok(parsePrometheusText(ok.text).has('socd_http_requests_total'));
    } finally {
      await srv.close();
    }
  });

  it('with addresses: served to a client inside them without a token, 403 to one outside', async () => {
    const inside = await startServer(metricsOn({ allow: [parseAddressRange('10.0.0.0/8')!, parseAddressRange('127.0.0.0/8')!] }));
    const outside = await startServer(metricsOn({ allow: [parseAddressRange('10.0.0.0/8')!, parseAddressRange('::1')!] }));
    try {
      assert.equal((await scrape(inside.base, {})).status, 200);
      const refused = await scrape(outside.base, {});
      assert.equal(refused.status, 403);
      assert.match(refused.type, /^application\/problem\+json/);
    } finally {
      await inside.close();
      await outside.close();
    }
  });

  it('with both: a client outside the addresses still gets in with the token', async () => {
    const srv = await startServer(metricsOn({ token: TOKEN, allow: [parseAddressRange('10.0.0.0/8')!] }));
    try {
      assert.equal((await scrape(srv.base, {})).status, 401);
      assert.equal((await scrape(srv.base)).status, 200);
    } finally {
      await srv.close();
    }
  });
});

describe('GET /metrics: the figures equal the API\'s', () => {
  let srv: TestServer;
  let admin: string;
  let free: string;
  const feed = CATALOG[0]!.id;
  const T0 = Date.UTC(2026, 10, 1, 12);

  before(async () => {
    srv = await startServer((c) => {
      metricsOn({ token: TOKEN })(c);
      c.plans.free.rateLimit.max = 3;
    });
    admin = await srv.keyFor('admin@example.com', 'admin');
    free = await srv.keyFor('free@example.com', 'free');
    await srv.store.upsertSource(source({ id: feed }));
    const batch = [
      ...Array.from({ length: 7 }, (_, i) => observation({ type: 'ipv4', value: `198.51.100.${i + 1}`, confidence: 40 + i * 9 })),
      ...Array.from({ length: 4 }, (_, i) => observation({ type: 'domain', value: `bad${i}.example.net`, confidence: 90 })),
      observation({ type: 'sha256', value: 'ab'.repeat(32), confidence: 70 }),
    ];
    await srv.store.upsertObservations(feed, batch, T0);
    await srv.store.revokeIocs((await srv.store.lookupValues(batch.slice(0, 2))).map((m) => m.id), T0 + 1000);
    const ok = await srv.store.startRun(feed, T0);
    await srv.store.finishRun(ok, {
      outcome: 'ok', records: 14, inserted: 12, updated: 0, unchanged: 0, delisted: 0, rejected: 2, excluded: 3, allowlisted: 1, bytes: 900,
      error: null, etag: null, lastModified: null, finishedAt: T0 + 2500,
    });
    const failed = await srv.store.startRun(feed, T0 + 3_600_000);
    await srv.store.finishRun(failed, {
      outcome: 'failed', records: 3, inserted: 0, updated: 1, unchanged: 0, delisted: 0, rejected: 3, excluded: 4, allowlisted: 0, bytes: 10,
      error: 'http: HTTP 502', etag: null, lastModified: null, finishedAt: T0 + 3_600_000 + 750,
    });
  });
  after(() => srv.close());

  it('IOC totals by type and status equal GET /api/v1/stats', async () => {
    const stats = (await callJson(srv.base, 'GET', '/api/v1/stats', admin)).body;
    const m = await families(srv.base);
    assert.equal(sampleSum(m, 'socd_iocs'), stats.totals.all);
    assert.equal(stats.totals.all, 12, 'the IOCs written');
    for (const [status, n] of Object.entries(stats.totals.by_status)) assert.equal(sampleSum(m, 'socd_iocs', { status }), n, status);
    for (const [type, n] of Object.entries(stats.totals.by_type)) assert.equal(sampleValue(m, 'socd_iocs', { type, status: 'active' }), n, type);
    assert.equal(sampleValue(m, 'socd_iocs', { type: 'ipv4', status: 'revoked' }), 2);
    // The log's last seq: what the store says, and it grew by the revocations' versions.
    assert.equal(sampleValue(m, 'socd_version_log_size'), await srv.store.versionLogSize());
    assert.ok(sampleValue(m, 'socd_version_log_size')! >= 14);
    assert.equal(sampleValue(m, 'socd_database_info', { kind: 'sqlite' }), 1);
    assert.equal(sampleValue(m, 'socd_metrics_store_up'), 1);
    assert.equal(m.get('socd_db_pool_connections')?.samples.length ?? 0, 0, 'SQLite has no pool');
  });

  it('a source\'s last run and last success equal GET /api/v1/sources/{id}', async () => {
    const view = (await callJson(srv.base, 'GET', `/api/v1/sources/${feed}`, admin)).body;
    const m = await families(srv.base);
    const l = { source: feed };
    const run = view.last_run;
    assert.equal(run.outcome, 'failed');
    assert.equal(sampleValue(m, 'socd_source_last_run_start_timestamp_seconds', l), Date.parse(run.started_at) / 1000);
    assert.equal(sampleValue(m, 'socd_source_last_run_end_timestamp_seconds', l), Date.parse(run.finished_at) / 1000);
    assert.equal(sampleValue(m, 'socd_source_last_run_duration_seconds', l), run.duration_ms / 1000);
    assert.equal(sampleValue(m, 'socd_source_last_run_outcome', { source: feed, outcome: 'failed' }), 1);
    assert.equal(sampleValue(m, 'socd_source_last_run_outcome', { source: feed, outcome: 'ok' }), 0);
    assert.equal(sampleValue(m, 'socd_source_last_run_records', l), run.records);
    assert.equal(sampleValue(m, 'socd_source_last_run_new', l), run.new);
    assert.equal(sampleValue(m, 'socd_source_last_run_updated', l), run.updated);
    assert.equal(sampleValue(m, 'socd_source_last_run_rejected', l), run.rejected);
    assert.equal(sampleValue(m, 'socd_source_last_run_excluded', l), run.excluded);
    assert.equal(run.excluded, 4, 'the latest run\'s figure, not an earlier one\'s');
    assert.equal(sampleValue(m, 'socd_source_last_run_allowlisted', l), run.allowlisted);
    assert.equal(sampleValue(m, 'socd_source_last_success_timestamp_seconds', l), Date.parse(view.health.last_success_at) / 1000);
    assert.equal(sampleValue(m, 'socd_source_consecutive_failures', l), view.health.consecutive_failures);
    assert.equal(view.health.consecutive_failures, 1);
    // Every catalog source has its schedule; one that never ran has no run figures.
    const other = CATALOG[1]!.id;
    assert.ok(sampleValue(m, 'socd_source_schedule_seconds', { source: other })! > 0);
    assert.equal(sampleValue(m, 'socd_source_last_run_start_timestamp_seconds', { source: other }), undefined);
  });

  it('counts requests by route pattern and status, never by raw URL', async () => {
    const before = await families(srv.base);
    const count = (m: Map<string, Family>, labels: Record<string, string>) => sampleSum(m, 'socd_http_requests_total', labels);
    const ioc = (await callJson(srv.base, 'GET', '/api/v1/iocs?limit=1', admin)).body.data[0].id as string;
    for (let i = 0; i < 2; i++) assert.equal((await callJson(srv.base, 'GET', `/api/v1/iocs/${ioc}`, admin)).status, 200);
    assert.equal((await callJson(srv.base, 'GET', '/api/v1/iocs/not-an-id', admin)).status, 400);
    assert.equal((await callJson(srv.base, 'GET', '/api/v1/no/such/route', admin)).status, 404);
    const now = await families(srv.base);
    const route = '/api/v1/iocs/:id';
    assert.equal(count(now, { route, status_code: '200' }) - count(before, { route, status_code: '200' }), 2);
    assert.equal(count(now, { route, status_code: '400', status_class: '4xx' }) - count(before, { route, status_code: '400' }), 1);
    assert.equal(count(now, { route: 'unmatched', status_code: '404' }) - count(before, { route: 'unmatched', status_code: '404' }), 1);
    assert.equal(sampleSum(now, 'socd_http_request_duration_seconds_count', { route, status_class: '2xx' }) - sampleSum(before, 'socd_http_request_duration_seconds_count', { route, status_class: '2xx' }), 2);
    const routes = new Set(now.get('socd_http_requests_total')!.samples.map((s) => s.labels.route));
    assert.ok(![...routes].some((r) => r!.includes(ioc) || r!.includes('not-an-id') || r!.includes('no/such')), [...routes].join(' '));
    // The scrapes themselves are counted.
    assert.ok(count(now, { route: '/metrics', status_code: '200' }) >= 1);
  });

  it('a 429 moves the rate-limit refusal counter', async () => {
    const before = sampleSum(await families(srv.base), 'socd_rate_limit_refusals_total', { surface: 'rest' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await callJson(srv.base, 'GET', '/api/v1/iocs?limit=1', free)).status);
    const refused = statuses.filter((s) => s === 429).length;
    assert.ok(refused >= 2, statuses.join(' '));
    const m = await families(srv.base);
    assert.equal(sampleSum(m, 'socd_rate_limit_refusals_total', { surface: 'rest' }) - before, refused);
    assert.ok(sampleSum(m, 'socd_http_requests_total', { status_code: '429' }) >= refused);
    // The same key's budget is spent on TAXII too: that refusal counts under its own surface.
    const taxii = await fetch(`${srv.base}/api/taxii2/api/collections/`, { headers: { authorization: `Bearer ${free}`, accept: TAXII } });
    assert.equal(taxii.status, 429);
    const after = await families(srv.base);
    assert.equal(sampleSum(after, 'socd_rate_limit_refusals_total', { surface: 'taxii' }), 1);
    assert.equal(sampleSum(after, 'socd_rate_limit_refusals_total', { surface: 'rest' }) - before, refused);
  });

  it('counts TAXII polls by collection, only for collections that exist', async () => {
    const all = BUILTIN_COLLECTIONS[0]!;
    const poll = (id: string, endpoint = 'objects') =>
      fetch(`${srv.base}/api/taxii2/api/collections/${id}/${endpoint}/?limit=2`, { headers: { authorization: `Bearer ${admin}`, accept: TAXII } });
    const polls = (m: Map<string, Family>) => sampleSum(m, 'socd_taxii_polls_total', { root: 'api', collection: all.id, endpoint: 'objects' });
    const before = polls(await families(srv.base));
    for (let i = 0; i < 3; i++) assert.equal((await poll(all.id)).status, 200);
    assert.equal((await poll(all.id, 'manifest')).status, 200);
    const unknown = '00000000-0000-4000-8000-000000000000';
    assert.equal((await poll(unknown)).status, 404);
    const m = await families(srv.base);
    assert.equal(polls(m) - before, 3);
    assert.equal(sampleValue(m, 'socd_taxii_polls_total', { root: 'api', collection: all.id, endpoint: 'manifest' }), 1);
    assert.equal(sampleSum(m, 'socd_taxii_polls_total', { collection: unknown }), 0, 'no series for an unknown collection');
  });

  it('carries process memory and event-loop lag (prom-client default metrics on our registry)', async () => {
    const m = await families(srv.base);
    assert.ok(sampleValue(m, 'process_resident_memory_bytes')! > 0);
    assert.equal(m.get('nodejs_eventloop_lag_seconds')?.type, 'gauge');
    assert.ok(m.get('nodejs_heap_size_used_bytes'));
  });
});
