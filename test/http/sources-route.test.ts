import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { loadConfig } from '../../src/config/config.js';
import { observation, source } from '../support/builders.js';
import { startServer, type TestServer } from '../support/server.js';

const ITEM_KEYS = [
  'aggregate_of', 'api_key_from', 'api_key_set', 'custom', 'enabled', 'health', 'homepage', 'id', 'last_run', 'license', 'mode', 'name',
  'redistributable', 'reliability', 'schedule', 'set_by_api', 'status_reason',
];
const RUN_KEYS = ['allowlisted', 'bytes', 'delisted', 'duration_ms', 'error', 'excluded', 'finished_at', 'new', 'outcome', 'records', 'rejected', 'started_at', 'unchanged', 'updated'];
const SECRET = 'secret-key-123';

async function getJson(base: string, path: string, key: string | null) {
  const res = await fetch(base + path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: text ? JSON.parse(text) : undefined };
}

describe('GET /api/v1/sources', () => {
  let srv: TestServer;
  let free: string;
  before(async () => {
    srv = await startServer();
    free = await srv.keyFor('free@example.com', 'free');
  });
  after(() => srv.close());

  it('refuses a request without a key, or with an unknown key, with a 401 problem', async () => {
    for (const key of [null, 'sk_live_' + 'z'.repeat(40)]) {
      const { status, type, body } = await getJson(srv.base, '/api/v1/sources', key);
      assert.equal(status, 401, `key ${key}`);
      assert.match(type, /^application\/problem\+json/);
      assert.equal(body.status, 401);
      assert.equal(body.code, 'unauthorized');
    }
  });

  it('lists the catalog in order with every field, for a free-plan key; no run yet', async () => {
    const { status, type, body } = await getJson(srv.base, '/api/v1/sources', free);
    assert.equal(status, 200);
    assert.match(type, /^application\/json/);
    assert.deepEqual(Object.keys(body), ['data']);
    assert.ok(Array.isArray(body.data));
    assert.ok(body.data.length >= 40, `${body.data.length} sources`);
    assert.deepEqual(body.data.map((s: { id: string }) => s.id), CATALOG.map((d) => d.id), 'catalog order');
    for (const item of body.data) {
      assert.deepEqual(Object.keys(item).sort(), ITEM_KEYS, item.id);
      assert.equal(typeof item.name, 'string');
      assert.equal(typeof item.homepage, 'string');
      assert.equal(typeof item.license, 'string');
      assert.equal(typeof item.redistributable, 'boolean');
      assert.equal(typeof item.enabled, 'boolean');
      assert.ok(item.status_reason === null || typeof item.status_reason === 'string', item.id);
      assert.ok(['snap', 'inc'].includes(item.mode), item.id);
      assert.equal(typeof item.schedule, 'string');
      assert.ok(item.reliability >= 0 && item.reliability <= 1, item.id);
      assert.ok(Array.isArray(item.aggregate_of));
      assert.equal(item.custom, false);
      assert.equal(item.last_run, null, `${item.id}: no run yet`);
      const def = CATALOG.find((d) => d.id === item.id)!;
      assert.equal(item.name, def.name);
      assert.equal(item.reliability, def.reliability);
      assert.deepEqual(item.aggregate_of, def.aggregateOf ?? []);
    }
    const abuse = body.data.find((s: { id: string }) => s.id === 'abuseipdb');
    assert.match(abuse.status_reason, /^needs-key/, 'a keyed source without its key says so');
  });

  it('shows the last run recorded in the store', async () => {
    const id = CATALOG[0]!.id;
    const started = Date.UTC(2026, 10, 1, 12, 0, 0, 250);
    const run = await srv.store.startRun(id, started);
    await srv.store.finishRun(run, {
      outcome: 'failed', records: 10, inserted: 4, updated: 3, unchanged: 2, delisted: 1, rejected: 1, excluded: 6, allowlisted: 2, bytes: 2048,
      error: 'http: HTTP 502 after 2 attempts', etag: '"e1"', lastModified: null, finishedAt: started + 1750,
    });
    const { body } = await getJson(srv.base, '/api/v1/sources', free);
    const item = body.data.find((s: { id: string }) => s.id === id);
    assert.deepEqual(Object.keys(item.last_run).sort(), RUN_KEYS);
    assert.deepEqual(item.last_run, {
      started_at: '2026-11-01T12:00:00.250Z', finished_at: '2026-11-01T12:00:02.000Z', outcome: 'failed', records: 10, new: 4,
      updated: 3, unchanged: 2, delisted: 1, rejected: 1, excluded: 6, allowlisted: 2, bytes: 2048, duration_ms: 1750, error: 'http: HTTP 502 after 2 attempts',
    });
    assert.equal(body.data.filter((s: { last_run: unknown }) => s.last_run !== null).length, 1, 'only that source has a run');

    // A run in progress: no finish, no duration.
    const next = await srv.store.startRun(id, started + 3_600_000);
    const again = (await getJson(srv.base, '/api/v1/sources', free)).body.data.find((s: { id: string }) => s.id === id);
    assert.equal(again.last_run.outcome, 'running');
    assert.equal(again.last_run.started_at, '2026-11-01T13:00:00.250Z');
    assert.equal(again.last_run.finished_at, null);
    assert.equal(again.last_run.duration_ms, null);
    await srv.store.finishRun(next, {
      outcome: 'ok', records: 5, inserted: 5, updated: 0, unchanged: 0, delisted: 0, rejected: 0, excluded: 0, allowlisted: 0, bytes: 100, error: null, etag: null,
      lastModified: null, finishedAt: started + 3_600_000 + 500,
    });
    const done = (await getJson(srv.base, '/api/v1/sources', free)).body.data.find((s: { id: string }) => s.id === id);
    assert.equal(done.last_run.outcome, 'ok');
    assert.equal(done.last_run.new, 5);
    assert.equal(done.last_run.error, null);
    assert.equal(done.last_run.duration_ms, 500);
  });

  it('is described in the OpenAPI document', async () => {
    const { status, body } = await getJson(srv.base, '/api/v1/openapi.json', free);
    assert.equal(status, 200);
    const op = body.paths['/api/v1/sources']?.get;
    assert.ok(op, 'GET /api/v1/sources is in the document');
    assert.ok(op.responses['200'], 'with its 200 answer');
  });

  it('GET /api/v1/iocs?source= keeps the IOCs that source saw', async () => {
    await srv.store.upsertSource(source({ id: 'feed-x' }));
    await srv.store.upsertSource(source({ id: 'feed-y' }));
    await srv.store.upsertObservations('feed-x', [
      observation({ type: 'ipv4', value: '203.0.113.71' }),
      observation({ type: 'domain', value: 'shared-source-test.example' }),
    ], Date.UTC(2026, 4, 17));
    await srv.store.upsertObservations('feed-y', [
      observation({ type: 'ipv4', value: '203.0.113.72' }),
      observation({ type: 'domain', value: 'shared-source-test.example' }),
    ], Date.UTC(2026, 4, 17, 1));
    const values = async (id: string) => {
      const { status, body } = await getJson(srv.base, `/api/v1/iocs?source=${id}&limit=100`, free);
      assert.equal(status, 200);
      return body.data.map((d: { value: string }) => d.value);
    };
    assert.deepEqual(await values('feed-x'), ['203.0.113.71', 'shared-source-test.example']);
    assert.deepEqual(await values('feed-y'), ['shared-source-test.example', '203.0.113.72']);
    assert.deepEqual(await values('feed-none'), []);
    const shared = (await getJson(srv.base, '/api/v1/iocs?source=feed-y&type=domain', free)).body.data[0];
    assert.deepEqual(shared.sources, ['feed-x', 'feed-y']);
  });
});

describe('GET /api/v1/sources with a configured key', () => {
  let srv: TestServer;
  let free: string;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'socd-sources-'));
    const file = join(dir, 'socd.config.json');
    writeFileSync(file, JSON.stringify({ sources: { abuseipdb: { apiKey: SECRET }, feodo: { enabled: false } } }));
    const configured = loadConfig({ DATABASE_URL: 'sqlite::memory:', SOCD_CONFIG: file }, dir);
    srv = await startServer((c) => {
      c.file = configured.file;
    });
    free = await srv.keyFor('free@example.com', 'free');
  });
  after(() => srv.close());

  it('never shows key material, and the configuration shows in enabled and status_reason', async () => {
    const { status, text, body } = await getJson(srv.base, '/api/v1/sources', free);
    assert.equal(status, 200);
    assert.ok(!text.includes(SECRET), 'the key is nowhere in the body');
    for (const item of body.data) assert.deepEqual(Object.keys(item).sort(), ITEM_KEYS, `${item.id}: no key field`);
    const abuse = body.data.find((s: { id: string }) => s.id === 'abuseipdb');
    assert.equal(abuse.enabled, true);
    assert.equal(abuse.api_key_set, true, 'says a key is there');
    assert.equal(abuse.api_key_from, 'config', 'and where it comes from');
    assert.equal(abuse.status_reason, null, 'the key is set: it may run');
    const feodo = body.data.find((s: { id: string }) => s.id === 'feodo');
    assert.equal(feodo.enabled, false);
    assert.equal(feodo.status_reason, 'disabled in the configuration');
    // Also not in the OpenAPI document or an error answer.
    assert.ok(!(await getJson(srv.base, '/api/v1/openapi.json', free)).text.includes(SECRET));
    assert.ok(!(await getJson(srv.base, '/api/v1/sources', null)).text.includes(SECRET));
  });
});
