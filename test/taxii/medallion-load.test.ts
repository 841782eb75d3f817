import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseMedallionData } from '../../src/taxii/medallion-load.js';
import { startServer, type TestServer } from '../support/server.js';

const FIXTURE = resolve(process.cwd(), 'test/fixtures/taxii/medallion-data.json');
const SHARED = '2a3b4c5d-6e7f-4081-9203-a4b5c6d7e8f9';
const IND = 'indicator--6b8f2c1d-3e4a-4b5c-9d6e-7f8a9b0c1d2e';

describe('moving from medallion: socd taxii load', () => {
  let srv: TestServer;
  let auth: string;

  before(async () => {
    srv = await startServer(() => {}, async (store) => {
      const { load, problems } = parseMedallionData(JSON.parse(readFileSync(FIXTURE, 'utf8')));
      assert.equal(problems.length, 2, problems.join('\n'));
      await store.loadTaxii(load, Date.UTC(2026, 4, 17));
    });
    auth = `Bearer ${await srv.keyFor('analyst@example.com', 'pro')}`;
  });
  after(() => srv.close());

  const get = async (path: string) => {
    const res = await fetch(srv.base + path, { headers: { authorization: auth } });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };

  it('keeps the discovery values and serves the loaded API roots beside ours', async () => {
    const d = (await get('/taxii2/')).body;
    assert.equal(d.title, 'Partner CTI exchange');
    assert.equal(d.contact, 'cti@partner.example');
    assert.deepEqual(d.api_roots.map((u: string) => new URL(u).pathname), ['/api/taxii2/api/', '/api/taxii2/archive/', '/api/taxii2/sharing/']);
    assert.equal(new URL(d.default).pathname, '/api/taxii2/sharing/');
    const root = (await get('/api/taxii2/sharing/')).body;
    assert.deepEqual([root.title, root.description, root.max_content_length], ['Partner sharing', 'Live exchange between the partner teams.', 5242880]);
    assert.equal((await get('/api/taxii2/nowhere/')).status, 404);
  });

  it('keeps collection ids, titles and permissions (hidden when neither is granted)', async () => {
    const list = (await get('/api/taxii2/sharing/collections/')).body.collections;
    assert.deepEqual(list.map((c: { id: string; title: string; can_read: boolean; can_write: boolean }) => [c.id, c.title, c.can_read, c.can_write]), [[SHARED, 'Shared indicators', true, true]]);
    assert.equal((await get('/api/taxii2/sharing/collections/3b4c5d6e-7f80-4192-a314-b5c6d7e8f9a0/')).status, 404);
    assert.equal((await get(`/api/taxii2/archive/collections/${SHARED}/`)).status, 404, 'a collection lives in its own root');
    assert.equal((await get('/api/taxii2/archive/collections/4c5d6e7f-8091-42a3-b425-c6d7e8f9a0b1/')).body.can_write, false);
  });

  it('keeps every date_added to the microsecond, versions, latest and statuses', async () => {
    const manifest = await get(`/api/taxii2/sharing/collections/${SHARED}/manifest/?match[version]=all`);
    assert.deepEqual(manifest.body.objects.map((m: { id: string; date_added: string; version: string }) => [m.id, m.date_added, m.version]), [
      [IND, '2025-03-01T10:00:01.123456Z', '2025-03-01T10:00:00.000Z'],
      [IND, '2025-03-02T11:00:01.654321Z', '2025-03-02T11:00:00.000Z'],
      ['malware--1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f', '2025-03-02T11:00:01.654321Z', '2025-03-02T11:00:00.000Z'],
    ]);
    assert.equal(manifest.headers.get('x-taxii-date-added-last'), '2025-03-02T11:00:01.654321Z');
    const latest = await get(`/api/taxii2/sharing/collections/${SHARED}/objects/${IND}/`);
    assert.equal(latest.body.objects[0].name, 'Partner C2 (confirmed)');
    // Two versions share a date_added: walking one at a time by next still gives each once.
    const seen: string[] = [];
    let url = `/api/taxii2/sharing/collections/${SHARED}/manifest/?match[version]=all&limit=1`;
    for (let i = 0; i < 10; i++) {
      const r = await get(url);
      seen.push(...r.body.objects.map((m: { id: string; version: string }) => `${m.id}@${m.version}`));
      if (!r.body.more) break;
      url = `/api/taxii2/sharing/collections/${SHARED}/manifest/?match[version]=all&limit=1&next=${encodeURIComponent(r.body.next)}`;
    }
    assert.equal(seen.length, 3);
    assert.equal(new Set(seen).size, 3);
    const status = await get('/api/taxii2/sharing/status/0f1e2d3c-4b5a-4697-8877-665544332211/');
    assert.equal(status.body.request_timestamp, '2025-03-04T05:06:07.123456Z');
    // New objects land after the history, in our strictly increasing time.
    const post = await fetch(`${srv.base}/api/taxii2/sharing/collections/${SHARED}/objects/`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/taxii+json;version=2.1' },
      body: JSON.stringify({ objects: [{ type: 'malware', spec_version: '2.1', id: 'malware--2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a', created: '2026-05-17T00:00:00.000Z', modified: '2026-05-17T00:00:00.000Z', name: 'New', is_family: true }] }),
    });
    assert.equal(post.status, 202);
    const after = await get(`/api/taxii2/sharing/collections/${SHARED}/manifest/?added_after=2025-03-02T11:00:01.654321Z`);
    assert.deepEqual(after.body.objects.map((m: { id: string }) => m.id), ['malware--2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a']);
  });

  it('is a CLI command that reports what it left out and loads nothing twice', () => {
    const dir = mkdtempSync(join(tmpdir(), 'socd-taxii-load-'));
    const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'socd.db')}`, SOCD_CONFIG: '', LOG_LEVEL: 'warn' };
    const run = () => spawnSync(process.execPath, [resolve(process.cwd(), 'bin/socd.js'), 'taxii', 'load', FIXTURE], { env, encoding: 'utf8' });
    const first = run();
    assert.equal(first.status, 2, 'problems were reported');
    assert.match(first.stderr, /api: cannot be loaded as an API root name/);
    assert.match(first.stderr, /an object without a STIX id was left out/);
    assert.match(first.stderr, /2 API roots, 3 collections, 4 object versions loaded \(0 already here\), 1 statuses, discovery values/);
    assert.match(run().stderr, /0 object versions loaded \(4 already here\)/);
  });
});
