import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../support/server.js';

const TAXII = 'application/taxii+json;version=2.1';
const SHARE = { id: '5b9e7a3c-2f41-4d8e-9c6a-1e2f3a4b5c6d', alias: 'team-share' };
const SECRET = { id: '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', alias: 'secret' };

const indicator = (id: string, modified: string, extra: Record<string, unknown> = {}) => ({
  type: 'indicator', spec_version: '2.1', id, created: '2026-05-01T00:00:00.000Z', modified,
  name: 'Shared C2', description: 'from the partner team', indicator_types: ['malicious-activity'],
  pattern: "[ipv4-addr:value = '203.0.113.77']", pattern_type: 'stix', pattern_version: '2.1', valid_from: '2026-05-01T00:00:00.000Z', ...extra,
});

describe('TAXII writable collections', () => {
  let srv: TestServer;
  let reader: string;
  let writer: string;
  let boss: string;
  let admin: string;
  const ID = 'indicator--3f6c1a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

  before(async () => {
    srv = await startServer((c) => {
      c.taxii.maxContentLength = 20_000;
      c.taxii.collections = [
        { ...SHARE, root: 'api', title: 'Team share', description: 'shared with partners', read: { plans: ['pro', 'admin'], accounts: [] }, write: { plans: ['admin'], accounts: ['writer@example.com'] } },
        { ...SECRET, root: 'api', title: 'Secret', description: '', read: { plans: [], accounts: ['boss@example.com'] }, write: { plans: [], accounts: ['boss@example.com'] } },
      ];
    });
    const bearer = async (email: string, plan: 'pro' | 'admin') => `Bearer ${await srv.keyFor(email, plan)}`;
    reader = await bearer('reader@example.com', 'pro');
    writer = await bearer('writer@example.com', 'pro');
    boss = await bearer('boss@example.com', 'pro');
    admin = await bearer('root@example.com', 'admin');
  });
  after(() => srv.close());

  const call = async (method: string, path: string, auth: string | null, body?: string, contentType = TAXII) => {
    const res = await fetch(srv.base + path, {
      method,
      headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': contentType } : {}) },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
  };
  const objects = (c: string) => `/api/taxii2/api/collections/${c}/objects/`;

  it('lists a collection with can_read/can_write of the calling key, and hides what a key may not see', async () => {
    const seen = async (auth: string) => (await call('GET', '/api/taxii2/api/collections/', auth)).body.collections as Array<{ alias: string; can_read: boolean; can_write: boolean }>;
    const r = (await seen(reader)).find((c) => c.alias === 'team-share')!;
    assert.deepEqual([r.can_read, r.can_write], [true, false]);
    const w = (await seen(writer)).find((c) => c.alias === 'team-share')!;
    assert.deepEqual([w.can_read, w.can_write], [true, true]);
    assert.equal((await seen(reader)).some((c) => c.alias === 'secret'), false);
    assert.equal((await seen(boss)).some((c) => c.alias === 'secret'), true);
    assert.equal((await call('GET', `/api/taxii2/api/collections/${SECRET.id}/`, reader)).status, 404);
    assert.equal((await call('GET', objects('secret'), reader)).status, 404);
    assert.equal((await call('GET', `/api/taxii2/api/collections/${SHARE.id}/`, reader)).body.alias, 'team-share');
  });

  it('checks in order: 401, then 404/403, then 415 and 413 (from Content-Length), then 422', async () => {
    const envelope = JSON.stringify({ objects: [indicator(ID, '2026-05-01T00:00:00.000Z')] });
    assert.equal((await call('POST', objects('team-share'), null, envelope, 'text/plain')).status, 401);
    assert.equal((await call('POST', objects('secret'), reader, envelope, 'text/plain')).status, 404);
    assert.equal((await call('POST', objects('team-share'), reader, envelope, 'text/plain')).status, 403);
    assert.equal((await call('POST', objects('all-iocs'), admin, envelope)).status, 403, 'built-in collections are read-only');
    for (const type of ['application/json', 'application/taxii+json;version=2.0', 'text/plain']) {
      const r = await call('POST', objects('team-share'), writer, envelope, type);
      assert.equal(r.status, 415, type);
      assert.equal(r.headers.get('content-type'), TAXII);
      assert.equal(r.body.http_status, '415');
    }
    const big = await call('POST', objects('team-share'), writer, JSON.stringify({ objects: [], pad: 'x'.repeat(30_000) }));
    assert.equal(big.status, 413);
    for (const body of ['not json', '[]', '{"objects": "nope"}', '{"more": false}']) {
      const r = await call('POST', objects('team-share'), writer, body);
      assert.equal(r.status, 422, body);
      assert.equal(r.body.http_status, '422');
    }
  });

  it('adds valid objects, reports each failure, keeps the status, and counts duplicates as successes', async () => {
    const bad = { type: 'indicator', spec_version: '2.1', id: 'indicator--00000000-0000-4000-8000-00000000000a', created: '2026-05-01T00:00:00.000Z', modified: '2026-05-01T00:00:00.000Z', pattern_type: 'stix', valid_from: '2026-05-01T00:00:00.000Z' };
    const broken = indicator('indicator--00000000-0000-4000-8000-00000000000b', '2026-05-01T00:00:00.000Z', { pattern: "[ipv4-addr:value = '1.2.3.4'" });
    const first = await call('POST', objects('team-share'), writer, JSON.stringify({ objects: [indicator(ID, '2026-05-01T00:00:00.000Z'), bad, broken, 'nope'] }));
    assert.equal(first.status, 202);
    assert.equal(first.headers.get('content-type'), TAXII);
    const s = first.body;
    assert.match(s.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual([s.status, s.total_count, s.success_count, s.failure_count, s.pending_count], ['complete', 4, 1, 3, 0]);
    assert.deepEqual(s.successes, [{ id: ID, version: '2026-05-01T00:00:00.000Z' }]);
    assert.equal(s.failures.length, 3);
    assert.match(s.failures.find((f: { id: string }) => f.id === bad.id).message, /pattern/);
    assert.match(s.failures.find((f: { id: string }) => f.id === broken.id).message, /pattern: .*never closed/);
    assert.equal(s.pendings, undefined);
    assert.match(s.request_timestamp, /\.\d{6}Z$/);
    const status = await call('GET', `/api/taxii2/api/status/${s.id}/`, writer);
    assert.deepEqual(status.body, s);
    // Only the account that made the request (and admins) can see it; to another key it does not exist.
    assert.equal((await call('GET', `/api/taxii2/api/status/${s.id}/`, reader)).status, 404);
    assert.equal((await call('GET', `/api/taxii2/api/status/${s.id}/`, boss)).status, 404);
    assert.deepEqual((await call('GET', `/api/taxii2/api/status/${s.id}/`, admin)).body, s);

    // A bundle body is accepted too; the same version again is a success with a message; a newer one is a version.
    const second = await call('POST', objects('team-share'), writer, JSON.stringify({
      type: 'bundle', id: 'bundle--1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d',
      objects: [indicator(ID, '2026-05-01T00:00:00.000Z'), indicator(ID, '2026-05-02T00:00:00.000Z', { description: 'updated' })],
    }));
    assert.deepEqual([second.body.success_count, second.body.failure_count], [2, 0]);
    assert.match(second.body.successes[0].message, /already/);
    assert.equal(second.body.successes[1].message, undefined);

    const latest = await call('GET', objects('team-share'), reader);
    assert.deepEqual(latest.body.objects.map((o: { id: string; modified: string }) => [o.id, o.modified]), [[ID, '2026-05-02T00:00:00.000Z']]);
    assert.equal((await call('GET', `${objects('team-share')}?match[version]=all`, reader)).body.objects.length, 2);
    assert.deepEqual((await call('GET', `${objects('team-share')}${ID}/versions/`, reader)).body.versions, ['2026-05-01T00:00:00.000Z', '2026-05-02T00:00:00.000Z']);
    const manifest = await call('GET', `/api/taxii2/api/collections/team-share/manifest/`, reader);
    assert.equal(manifest.body.objects[0].version, '2026-05-02T00:00:00.000Z');
    assert.equal((await call('GET', '/api/taxii2/api/status/3f1b2c4d-1111-4222-8333-444455556666/', writer)).status, 404);
  });

  it('accepts what the STIX 2.1 schemas accept: SCOs without spec_version or modified, upper-case UUIDs; refuses STIX 2.0 SDOs', async () => {
    const ip = { type: 'ipv4-addr', id: 'ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd', value: '198.51.100.3' };
    const file = { type: 'file', spec_version: '2.1', id: 'file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d', hashes: { 'SHA-256': 'ceafbfd424be2ca4a5f0402cae090dda2fb0526cf521b60b60077c0f622b285a' }, name: 'qwerty.dll' };
    const artifact = { type: 'artifact', spec_version: '2.1', id: 'artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641', mime_type: 'application/zip', url: 'https://example.com/sample.zip', hashes: { 'SHA-256': '6b4e7ba2d1a8c1a45e8b4ba5e1b7f0d0a5c2c3f7f2b3b0b8e2c5d4f1a9b7c3d2' } };
    const upper = indicator('indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F', '2026-05-03T00:00:00.000Z');
    const sdo20 = { type: 'malware', id: 'malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b', created: '2016-04-06T20:07:09.000Z', modified: '2016-04-06T20:07:09.000Z', name: 'Poison Ivy', labels: ['trojan'] };
    const before = Date.now();
    const r = await call('POST', objects('team-share'), writer, JSON.stringify({ objects: [ip, file, artifact, upper, sdo20] }));
    assert.equal(r.status, 202);
    assert.deepEqual(r.body.successes.map((x: { id: string }) => x.id), [ip.id, file.id, artifact.id, upper.id]);
    assert.deepEqual(r.body.failures.map((x: { id: string; message: string }) => [x.id, /STIX 2\.0/.test(x.message)]), [[sdo20.id, true]]);
    // An SCO without modified or created is versioned by the time it was added.
    const version = Date.parse(r.body.successes[0].version);
    assert.ok(version >= before - 1000 && version <= Date.now() + 1000, r.body.successes[0].version);
    const got = await call('GET', `${objects('team-share')}${ip.id}/?match[version]=${r.body.successes[0].version}`, reader);
    assert.deepEqual(got.body.objects, [ip]);
    assert.deepEqual((await call('GET', `${objects('team-share')}${upper.id}/`, reader)).body.objects.map((o: { id: string }) => o.id), [upper.id]);
    assert.equal((await call('GET', `${objects('team-share')}?match[id]=${upper.id}`, reader)).body.objects.length, 1);
    const again = await call('POST', objects('team-share'), writer, JSON.stringify({ objects: [ip] }));
    assert.match(again.body.successes[0].message, /already/);
    assert.equal(again.body.successes[0].version, r.body.successes[0].version);
    for (const o of [ip, file, artifact, upper]) assert.equal((await call('DELETE', `${objects('team-share')}${o.id}/`, writer)).status, 200);
  });

  it('stores exactly the indicators whose STIX pattern parses, and says why the others were refused', async () => {
    const invalid = [
      '[file:size = ]',
      "[ipv4-addr:value = '198.51.100.1'] WITHIN -5 SECONDS",
      "[ipv4-addr:value = '198.51.100.1'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
      "[x-thing:when = t'2024-13-01T12:00:00Z']",
      "[x-thing:when = t'2024-01-15T12:30:45']",
      "[artifact:payload_bin = b'====']",
      "[file:hashes.'SHA-256' = 'f00']",
      "[ipv4-addr:value = '198.51.100.1'] within 5 SECONDS",
    ];
    const valid = [
      "[file:hashes.'SHA-256' = 'ceafbfd424be2ca4a5f0402cae090dda2fb0526cf521b60b60077c0f622b285a'] AND [process:name MATCHES '^evil'] WITHIN 300 SECONDS",
      "([network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24'] FOLLOWEDBY [domain-name:value LIKE '%.example.com']) REPEATS 2 TIMES",
      "[x509-certificate:validity_not_after < t'2026-01-01T00:00:00Z' OR x509-certificate:issuer NOT IN ('CN=a', 'CN=b')] START t'2025-01-01T00:00:00Z' STOP t'2026-01-01T00:00:00Z'",
    ];
    const id = (i: number) => `indicator--00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`;
    const objs = [...invalid, ...valid].map((pattern, i) => indicator(id(i), '2026-05-01T00:00:00.000Z', { pattern }));
    const r = await call('POST', objects('team-share'), writer, JSON.stringify({ objects: objs }));
    assert.deepEqual(r.body.successes.map((x: { id: string }) => x.id), valid.map((_, i) => id(invalid.length + i)));
    assert.deepEqual(r.body.failures.map((x: { id: string }) => x.id), invalid.map((_, i) => id(i)));
    for (const f of r.body.failures as Array<{ message: string }>) assert.match(f.message, /^pattern: .*offset \d+/, f.message);
    for (let i = 0; i < valid.length; i++) assert.equal((await call('DELETE', `${objects('team-share')}${id(invalid.length + i)}/`, writer)).status, 200);
  });

  it('deletes with both rights: one version, then all; the object is then gone (404)', async () => {
    const one = `${objects('team-share')}${ID}/`;
    assert.equal((await call('DELETE', one, reader)).status, 403, 'read without write');
    const delFirst = await call('DELETE', `${one}?match[version]=2026-05-02T00:00:00.000Z`, writer);
    assert.equal(delFirst.status, 200);
    assert.equal(delFirst.text, '');
    assert.equal(delFirst.headers.get('content-type'), TAXII);
    const left = await call('GET', one, reader);
    assert.deepEqual(left.body.objects.map((o: { modified: string }) => o.modified), ['2026-05-01T00:00:00.000Z'], 'the older version is the latest again');
    assert.equal((await call('DELETE', one, writer)).status, 200);
    assert.equal((await call('GET', one, reader)).status, 404);
    assert.deepEqual((await call('GET', objects('team-share'), reader)).body, {});
    assert.equal((await call('DELETE', one, writer)).status, 404);
  });
});

describe('TAXII settings: more API roots and page limits', () => {
  it('serves a configured root with its own collections, and pages with the configured limits', async () => {
    const srv = await startServer((c) => {
      c.taxii.roots = [{ name: 'partners', title: 'Partners', description: 'exchange with partners', maxContentLength: 4096 }];
      c.taxii.collections = [{ id: '8d2e3f40-5a6b-4c7d-9e8f-a0b1c2d3e4f5', root: 'partners', alias: 'inbox', title: 'Inbox', description: '', read: { plans: ['pro'], accounts: [] }, write: { plans: ['pro'], accounts: [] } }];
      c.taxii.defaultPageLimit = 3;
      c.taxii.maxPageLimit = 5;
    });
    try {
      const auth = { authorization: `Bearer ${await srv.keyFor('p@example.com', 'pro')}` };
      const get = async (path: string) => (await fetch(srv.base + path, { headers: auth })).json() as Promise<any>;
      const discovery = await get('/taxii2/');
      assert.deepEqual(discovery.api_roots.map((u: string) => new URL(u).pathname), ['/api/taxii2/api/', '/api/taxii2/partners/']);
      assert.equal((await get('/api/taxii2/partners/')).max_content_length, 4096);
      assert.deepEqual((await get('/api/taxii2/partners/collections/')).collections.map((c: { alias: string }) => c.alias), ['inbox']);
      assert.equal((await get('/api/taxii2/api/collections/')).collections.some((c: { alias: string }) => c.alias === 'inbox'), false);
      assert.equal((await get('/api/taxii2/api/collections/all-iocs/objects/')).objects.length, 3, 'the configured default');
      assert.equal((await get('/api/taxii2/api/collections/all-iocs/objects/?limit=100')).objects.length, 5, 'clamped to the configured maximum');
      assert.equal((await get('/api/taxii2/api/')).x_socd_max_page_limit, 5);
    } finally {
      await srv.close();
    }
  });
});
