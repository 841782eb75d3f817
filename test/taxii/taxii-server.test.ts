import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUILTIN_COLLECTIONS } from '../../src/domain/collections.js';
import { observation, source } from '../support/builders.js';
import { startServer, type TestServer } from '../support/server.js';
import { schemaErrors, strictWarnings } from '../support/stix-validator.js';
import { TEST_IDENTITY_ID } from '../support/stores.js';

const TAXII = 'application/taxii+json;version=2.1';
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TAXII_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

describe('TAXII 2.1 server', () => {
  let srv: TestServer;
  let basic: string;
  let free: string;
  const SAME_MS = 20_000;

  before(async () => {
    srv = await startServer();
    const pro = await srv.keyFor('analyst@example.com', 'pro');
    basic = `Basic ${Buffer.from(`analyst@example.com:${pro}`).toString('base64')}`;
    free = `Bearer ${await srv.keyFor('free@example.com', 'free')}`;
    await srv.store.upsertSource(source({ id: 'feed', name: 'Feed' }));
    // 20,000 IOCs written in the same millisecond: date_added must still order them, µs apart.
    const now = Date.UTC(2026, 4, 17, 12);
    await srv.store.upsertObservations('feed', Array.from({ length: SAME_MS }, (_, i) => observation({ type: 'ipv4', value: `198.18.${i >> 8}.${i & 255}` })), now);
    await srv.store.upsertObservations('feed', [
      observation({ type: 'domain', value: 'evil.example', sectors: ['energy'] }),
      observation({ type: 'cve', value: 'CVE-2024-3094' }),
    ], now + 1);
    // A second version of one IOC.
    await srv.store.upsertObservations('feed', [observation({ type: 'domain', value: 'evil.example', tags: ['phishing'], sectors: ['energy'] })], now + 2);
  });
  after(() => srv.close());

  const get = async (path: string, headers: Record<string, string> = { authorization: basic }) => {
    const res = await fetch(srv.base + path, { headers });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const objectsUrl = (alias: string) => `/api/taxii2/api/collections/${alias}/objects/`;

  it('discovery at /taxii2/ and /api/taxii2/, with or without the slash, in the exact media type', async () => {
    for (const path of ['/taxii2/', '/taxii2', '/api/taxii2/', '/api/taxii2', '//api//taxii2/']) {
      const r = await get(path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.get('content-type'), TAXII, path);
      assert.equal(typeof r.body.title, 'string');
      assert.ok(r.body.api_roots.includes(r.body.default));
      assert.match(r.body.default, /\/api\/taxii2\/api\/$/);
    }
    // The seed's curl: -u EMAIL:KEY.
    assert.equal((await get('/api/taxii2/', { authorization: basic })).status, 200);
  });

  it('refuses without a key (401, Basic challenge), a free key (403 naming Pro) and other versions (406)', async () => {
    const none = await get('/api/taxii2/', {});
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('content-type'), TAXII);
    assert.match(none.headers.get('www-authenticate')!, /^Basic realm="[^"]+", charset="UTF-8"/);
    assert.equal(none.body.http_status, '401');
    assert.equal(typeof none.body.title, 'string');
    const wrongUser = await get('/api/taxii2/', { authorization: `Basic ${Buffer.from(`other@example.com:${Buffer.from(basic.slice(6), 'base64').toString().split(':')[1]}`).toString('base64')}` });
    assert.equal(wrongUser.status, 401);
    const freeKey = await get(objectsUrl('all-iocs'), { authorization: free });
    assert.equal(freeKey.status, 403);
    assert.equal(freeKey.body.http_status, '403');
    assert.match(freeKey.body.description, /Pro plan/);
    for (const accept of ['application/taxii+json;version=2.0', 'application/json', 'text/html']) {
      const r = await get('/api/taxii2/api/', { authorization: basic, accept });
      assert.equal(r.status, 406, accept);
      assert.equal(r.headers.get('content-type'), TAXII);
      assert.equal(r.body.http_status, '406');
    }
    for (const accept of ['*/*', 'application/*', 'application/taxii+json', `${TAXII}, application/json;q=0.5`]) {
      assert.equal((await get('/api/taxii2/api/', { authorization: basic, accept })).status, 200, accept);
    }
  });

  it('API root, collections by id or alias, and 404s as error resources', async () => {
    const root = await get('/api/taxii2/api/');
    assert.deepEqual(root.body.versions, [TAXII]);
    assert.equal(typeof root.body.max_content_length, 'number');
    const list = await get('/api/taxii2/api/collections/');
    assert.equal(list.body.collections.length, BUILTIN_COLLECTIONS.length);
    for (const c of list.body.collections) {
      assert.match(c.id, UUID4);
      assert.deepEqual([c.can_read, c.can_write, c.media_types], [true, false, ['application/stix+json;version=2.1']]);
    }
    assert.deepEqual(list.body.collections.slice(0, 8).map((c: { alias: string }) => c.alias), ['all-iocs', 'ips', 'domains', 'urls', 'hashes', 'cves', 'emails', 'high-confidence']);
    const ips = list.body.collections[1];
    assert.deepEqual((await get(`/api/taxii2/api/collections/${ips.id}/`)).body, ips);
    assert.deepEqual((await get('/api/taxii2/api/collections/ips/')).body, ips);
    for (const path of ['/api/taxii2/nope/', '/api/taxii2/api/collections/nope/', '/api/taxii2/api/collections/all-iocs/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/', '/api/taxii2/api/status/3f1b2c4d-1111-4222-8333-444455556666/', '/api/taxii2/api/nothing/here/']) {
      const r = await get(path);
      assert.equal(r.status, 404, path);
      assert.equal(r.headers.get('content-type'), TAXII);
      assert.equal(r.body.http_status, '404');
    }
  });

  it('walks 20,000 objects added in one millisecond by next, each exactly once, in order, with µs date headers', async () => {
    const seen: string[] = [];
    let url = `${objectsUrl('ips')}?limit=997`;
    let lastHeader = '';
    for (let pages = 0; pages < 100; pages++) {
      const r = await get(url);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('x-taxii-date-added-first')!, TAXII_TIME);
      assert.match(r.headers.get('x-taxii-date-added-last')!, TAXII_TIME);
      assert.ok(r.headers.get('x-taxii-date-added-first')! > lastHeader);
      lastHeader = r.headers.get('x-taxii-date-added-last')!;
      seen.push(...r.body.objects.map((o: { id: string }) => o.id));
      if (!r.body.more) {
        assert.equal(r.body.next, undefined);
        break;
      }
      assert.equal(typeof r.body.next, 'string', 'more: true always comes with a next');
      // Clients change limit between pages: the token still holds.
      url = `${objectsUrl('ips')}?limit=${pages % 2 ? 997 : 2500}&next=${encodeURIComponent(r.body.next)}`;
    }
    const indicators = seen.filter((id) => id.startsWith('indicator--'));
    assert.equal(indicators.length, SAME_MS);
    assert.equal(new Set(seen).size, seen.length);
    assert.equal(seen[0], TEST_IDENTITY_ID, 'the identity first, then the markings, then the IOCs');
  });

  it('walks the same objects by added_after = X-TAXII-Date-Added-Last, and added_after is exclusive', async () => {
    const seen: string[] = [];
    let addedAfter: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const r = await get(`${objectsUrl('ips')}?limit=1500${addedAfter ? `&added_after=${addedAfter}` : ''}`);
      if (r.body.objects === undefined) {
        assert.deepEqual(r.body, {}, 'an empty result is {}');
        break;
      }
      seen.push(...r.body.objects.map((o: { id: string }) => o.id));
      addedAfter = r.headers.get('x-taxii-date-added-last')!;
    }
    assert.equal(seen.filter((id) => id.startsWith('indicator--')).length, SAME_MS);
    assert.equal(new Set(seen).size, seen.length);
  });

  it('serves manifests, one object, its versions, and the match filters', async () => {
    const manifest = await get(`/api/taxii2/api/collections/domains/manifest/`);
    const records = manifest.body.objects as Array<{ id: string; date_added: string; version: string; media_type: string }>;
    const domain = records.find((m) => m.id.startsWith('indicator--'))!;
    assert.match(domain.date_added, TAXII_TIME);
    assert.equal(domain.media_type, 'application/stix+json;version=2.1');
    const objectUrl = `/api/taxii2/api/collections/domains/objects/${domain.id}/`;
    const latest = await get(objectUrl);
    assert.equal(latest.body.objects.length, 1);
    assert.deepEqual(latest.body.objects[0].labels, ['phishing', 'sector:energy']);
    assert.equal(latest.body.objects[0].modified, domain.version);
    const all = await get(`${objectUrl}?match[version]=all`);
    assert.equal(all.body.objects.length, 2);
    const first = await get(`${objectUrl}?match[version]=first`);
    assert.deepEqual(first.body.objects[0].labels, ['sector:energy']);
    const exact = await get(`${objectUrl}?match[version]=${all.body.objects[0].modified}`);
    assert.equal(exact.body.objects[0].modified, all.body.objects[0].modified);
    const versions = await get(`${objectUrl}versions/`);
    assert.deepEqual(versions.body.versions, all.body.objects.map((o: { modified: string }) => o.modified));
    assert.equal(versions.body.more, false);
    assert.match(versions.headers.get('x-taxii-date-added-last')!, TAXII_TIME);
    // The energy sector collection holds the domain (and the shared objects), not the IPs.
    const energy = await get(`${objectsUrl('sector-energy')}?match[type]=indicator`);
    assert.deepEqual(energy.body.objects.map((o: { pattern: string }) => o.pattern), ["[domain-name:value = 'evil.example']"]);
    const cves = await get(`${objectsUrl('cves')}?match[type]=vulnerability,indicator`);
    assert.deepEqual(cves.body.objects.map((o: { name: string }) => o.name), ['CVE-2024-3094']);
    assert.deepEqual((await get(`${objectsUrl('all-iocs')}?match[type]=malware`)).body, {});
    const byId = await get(`${objectsUrl('all-iocs')}?match[id]=${domain.id},${TEST_IDENTITY_ID}`);
    assert.deepEqual(byId.body.objects.map((o: { id: string }) => o.id).sort(), [domain.id, TEST_IDENTITY_ID].sort());
    for (const o of [...energy.body.objects, ...cves.body.objects, ...(await get(`${objectsUrl('all-iocs')}?limit=10`)).body.objects]) {
      assert.deepEqual([...schemaErrors(o), ...strictWarnings(o)], [], o.id);
    }
  });

  it('answers 400 error resources for malformed parameters and foreign next tokens', async () => {
    const cases = ['limit=0', 'limit=abc', 'added_after=2026-05-17', 'match[version]=newest', 'match[id]=x', 'next=forged.token',
      'match[type]=indicator&match[type]=malware'];
    for (const qs of cases) {
      const r = await get(`${objectsUrl('all-iocs')}?${qs}`);
      assert.equal(r.status, 400, qs);
      assert.equal(r.headers.get('content-type'), TAXII);
      assert.equal(r.body.http_status, '400');
    }
    const page = await get(`${objectsUrl('ips')}?limit=5`);
    const other = await get(`${objectsUrl('all-iocs')}?next=${encodeURIComponent(page.body.next)}`);
    assert.equal(other.status, 400, 'a token is bound to its collection and filters');
    assert.equal((await get(`${objectsUrl('all-iocs')}?limit=100`)).body.objects.length, 100, "the seed's curl");
  });
});
