import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { bandOf } from '../../src/domain/confidence.js';
import { callJson, startServer, type TestServer } from '../support/server.js';
import { observation, source } from '../support/builders.js';

/** Issue 16: the reads the console needs beside the lists, through a real server. */
describe('/api/v1/stats, /collections, /iocs/{id}/versions and /iocs/export', () => {
  let srv: TestServer;
  let pro: string;
  let free: string;
  const T = Date.now() - 3_600_000;
  before(async () => {
    srv = await startServer(undefined, async (store) => {
      await store.upsertSource(source({ id: 'feed' }));
      const batch = [
        ...Array.from({ length: 30 }, (_, i) => observation({ type: 'ipv4', value: `203.0.113.${i + 1}`, confidence: i * 3, sectors: i % 3 === 0 ? ['energy'] : [], firstSeen: T, lastSeen: T })),
        ...Array.from({ length: 12 }, (_, i) => observation({ type: 'domain', value: `bad${i}.example.net`, confidence: 90, firstSeen: T, lastSeen: T })),
        observation({ type: 'url', value: 'http://evil.example.org/<script>alert(1)</script>', confidence: 80, firstSeen: T, lastSeen: T }),
        observation({ type: 'url', value: `http://long.example.org/${'A'.repeat(5000)}`, confidence: 40, firstSeen: T, lastSeen: T }),
      ];
      const run = await store.startRun('feed', T);
      const result = await store.upsertObservations('feed', batch, T);
      await store.finishRun(run, {
        outcome: 'ok', records: batch.length, inserted: result.inserted, updated: 0, unchanged: 0, delisted: 0, rejected: 0, excluded: 0, allowlisted: 0, bytes: 0,
        error: null, etag: null, lastModified: null, finishedAt: T + 1000,
      });
    });
    pro = await srv.keyFor('pro@example.com', 'pro');
    free = await srv.keyFor('free@example.com', 'free');
  });
  after(() => srv.close());

  /** Every IOC through the REST list (status all), to count independently of the tallies. */
  async function everyIoc() {
    const all: Array<{ id: string; type: string; score: number; status: string; sectors: string[] }> = [];
    let cursor: string | null = null;
    do {
      const page = await callJson(srv.base, 'GET', `/api/v1/iocs?status=all&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, pro);
      all.push(...(page.body.data as typeof all));
      cursor = page.body.pagination.next_cursor;
    } while (cursor);
    return all;
  }

  it('stats: totals equal the IOCs the list holds, by status, type and band; the run\'s new IOCs by day and source', async () => {
    const first = await callJson(srv.base, 'POST', '/api/v1/iocs/' + (await everyIoc())[0]!.id + '/revoke', await srv.keyFor('an@example.com', 'admin'), { reason: 'test' });
    assert.equal(first.status, 200);
    const res = await callJson(srv.base, 'GET', '/api/v1/stats', free);
    assert.equal(res.status, 200);
    const iocs = await everyIoc();
    const active = iocs.filter((i) => i.status === 'active');
    assert.equal(res.body.totals.all, iocs.length);
    assert.deepEqual(res.body.totals.by_status, { active: active.length, revoked: iocs.length - active.length });
    const byType: Record<string, number> = {};
    const byBand: Record<string, number> = { low: 0, medium: 0, high: 0 };
    for (const i of active) {
      byType[i.type] = (byType[i.type] ?? 0) + 1;
      byBand[bandOf(i.score)]!++;
    }
    assert.deepEqual(res.body.totals.by_type, byType);
    assert.deepEqual(res.body.totals.by_band, byBand);
    const day = new Date(T).toISOString().slice(0, 10);
    assert.deepEqual(res.body.added_per_day.filter((d: { source: string }) => d.source === 'feed'), [{ day, source: 'feed', new: 44 }]);
  });

  it('collections: the readable ones with URLs and counts from the tallies; free accounts are told TAXII needs Pro', async () => {
    const res = await callJson(srv.base, 'GET', '/api/v1/collections', pro);
    assert.equal(res.status, 200);
    // This host is not in SOCD_ALLOWED_HOSTS: the URLs are the public URL's.
    const publicUrl = srv.config.publicUrl;
    assert.equal(res.body.discovery_url, `${publicUrl}/api/taxii2/`);
    const byAlias = new Map<string, { object_count: number; id: string; api_root_url: string; objects_url: string; can_read: boolean }>(res.body.data.map((c: { alias: string }) => [c.alias, c]));
    const iocs = await everyIoc();
    assert.equal(byAlias.get('all-iocs')?.object_count, iocs.length);
    assert.equal(byAlias.get('ips')?.object_count, iocs.filter((i) => i.type === 'ipv4' || i.type === 'ipv6').length);
    assert.equal(byAlias.get('high-confidence')?.object_count, iocs.filter((i) => i.score >= 70).length);
    assert.equal(byAlias.get('sector-energy')?.object_count, iocs.filter((i) => i.sectors.includes('energy')).length);
    const all = byAlias.get('all-iocs')!;
    assert.equal(all.can_read, true);
    assert.equal(all.api_root_url, `${publicUrl}/api/taxii2/api/`);
    // The URLs are the ones TAXII answers.
    const taxii = await fetch(all.objects_url.replace(publicUrl, srv.base) + '?limit=1', { headers: { authorization: `Bearer ${pro}`, accept: 'application/taxii+json;version=2.1' } });
    assert.equal(taxii.status, 200);
    const refused = await callJson(srv.base, 'GET', '/api/v1/collections', free);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'plan_required');
  });

  it('versions: newest first, the first is the current STIX object; a revocation is the newest; by value too; Pro only', async () => {
    const id = (await callJson(srv.base, 'GET', '/api/v1/iocs/bad3.example.net', pro)).body.id as string;
    await callJson(srv.base, 'POST', `/api/v1/iocs/${id}/revoke`, await srv.keyFor('an2@example.com', 'admin'), { reason: 'false positive' });
    const res = await callJson(srv.base, 'GET', `/api/v1/iocs/${id}/versions`, pro);
    assert.equal(res.status, 200);
    assert.equal(res.body.id, id);
    assert.equal(res.body.more, false);
    const versions = res.body.data as Array<{ modified: string; revoked: boolean; object: { id: string; modified: string; revoked?: boolean } }>;
    assert.equal(versions.length, 2);
    assert.equal(versions[0]!.revoked, true);
    assert.equal(versions[0]!.object.revoked, true);
    assert.equal(versions[1]!.revoked, false);
    assert.ok(versions[0]!.modified > versions[1]!.modified);
    for (const v of versions) {
      assert.equal(v.object.id, id);
      assert.equal(v.object.modified, v.modified);
    }
    assert.deepEqual((await callJson(srv.base, 'GET', '/api/v1/iocs/bad3%5B.%5Dexample.net/versions', pro)).body.data, versions, 'by (defanged) value');
    assert.equal((await callJson(srv.base, 'GET', `/api/v1/iocs/${id}/versions`, free)).status, 403);
    assert.equal((await callJson(srv.base, 'GET', '/api/v1/iocs/nothing.example/versions', pro)).status, 404);
    // A 5,000-character URL is reachable by value too (path parameters up to 8,192 characters).
    const long = `http://long.example.org/${'A'.repeat(5000)}`;
    const byValue = await callJson(srv.base, 'GET', `/api/v1/iocs/${encodeURIComponent(long)}`, pro);
    assert.equal(byValue.status, 200);
    assert.equal(byValue.body.value, long);
    assert.equal((await callJson(srv.base, 'GET', `/api/v1/iocs/${encodeURIComponent(long)}/versions`, pro)).body.data.length, 1);
  });

  it('export: the whole selection as CSV or JSON with the list filters, as a download; bad filters are 400s before any byte', async () => {
    const csv = await fetch(`${srv.base}/api/v1/iocs/export?type=domain&status=all`, { headers: { authorization: `Bearer ${free}` } });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', /^attachment; filename="socd-iocs-\d{4}-\d{2}-\d{2}\.csv"$/);
    const rows = parse(await csv.text(), { columns: true }) as Array<{ type: string; value: string }>;
    assert.equal(rows.length, 12);
    assert.ok(rows.every((r) => r.type === 'domain'));
    const json = await fetch(`${srv.base}/api/v1/iocs/export?format=json&type=url`, { headers: { authorization: `Bearer ${free}` } });
    const items = (await json.json()) as Array<{ value: string }>;
    assert.ok(items.some((i) => i.value === 'http://evil.example.org/<script>alert(1)</script>'), 'the value as data, unchanged');
    assert.equal(items.length, 2);
    for (const q of ['format=stix', 'format=xml', 'type=nope', 'confidence=extreme', 'since=yesterday', 'cursor=abc']) {
      const bad = await callJson(srv.base, 'GET', `/api/v1/iocs/export?${q}`, free);
      assert.equal(bad.status, 400, q);
      assert.match(bad.type, /json/, q);
    }
  });
});
