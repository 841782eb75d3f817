import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { observation, source } from '../support/builders.js';
import { startServer, type TestServer } from '../support/server.js';

/** Answers as parsed JSON: the tests read them field by field. */
type Json = Record<string, any>;

async function call(base: string, method: string, path: string, key: string | null, body?: string, type = 'application/json') {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  if (body !== undefined) headers['content-type'] = type;
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : undefined) as Json };
}

const now = Date.UTC(2026, 4, 17, 12);

describe('/api/v1/lookup through a real server', () => {
  let srv: TestServer;
  let free: string;
  let pro: string;
  let ids: Record<string, string>;
  before(async () => {
    srv = await startServer((c) => {
      c.plans.free.lookupBatch = 5;
    }, async (store) => {
      await store.upsertSource(source({ id: 'feed' }));
      await store.upsertObservations('feed', [
        observation({ type: 'ipv4', value: '185.220.101.5', tags: ['tor'], malware: ['none'], sectors: [], tlp: 'green' }),
        observation({ type: 'ipv4', value: '45.133.0.0/16' }),
        observation({ type: 'ipv4', value: '45.133.9.0/24', tags: ['narrow'] }),
        observation({ type: 'ipv6', value: '2001:db8:bad::/48' }),
        observation({ type: 'domain', value: 'evil.example' }),
        observation({ type: 'domain', value: 'gone.example' }),
        observation({ type: 'domain', value: 'partner.example' }),
      ], now);
      const one = async (type: 'ipv4' | 'domain' | 'ipv6', value: string) => (await store.lookupValues([{ type, value }]))[0]!.id;
      ids = {
        tor: await one('ipv4', '185.220.101.5'),
        net24: await one('ipv4', '45.133.9.0/24'),
        net16: await one('ipv4', '45.133.0.0/16'),
        evil: await one('domain', 'evil.example'),
        gone: await one('domain', 'gone.example'),
      };
      await store.revokeIocs([ids.gone!], now + 1);
      await store.addAllowEntry({ kind: 'suffix', type: 'domain', value: 'partner.example', reason: 'our partner', author: null, createdAt: now, expiresAt: null });
    });
    free = await srv.keyFor('free@example.com', 'free');
    pro = await srv.keyFor('pro@example.com', 'pro');
  });
  after(() => srv.close());

  it('GET ?value= answers one value with every verdict; a listed one carries score, band, sources, tags, malware, TLP and ids', async () => {
    const get = async (v: string) => (await call(srv.base, 'GET', `/api/v1/lookup?value=${encodeURIComponent(v)}`, free)).body;
    const tor = await get('185.220.101[.]5');
    assert.equal(tor.verdict, 'listed');
    assert.equal(tor.value, '185.220.101.5');
    assert.deepEqual(tor.ioc_ids, [ids.tor]);
    assert.deepEqual(tor.tags, ['tor']);
    assert.deepEqual(tor.malware, ['none']);
    assert.equal(tor.tlp, 'green');
    assert.equal(typeof tor.score, 'number');
    assert.match(tor.confidence, /^(low|medium|high)$/);
    assert.deepEqual(tor.sources.map((s: Json) => [s.source, s.first_seen]), [['feed', '2026-05-17T00:00:00.000Z']]);
    const inNet = await get('45.133.9.77');
    assert.equal(inNet.verdict, 'listed-network');
    assert.deepEqual(inNet.matched, { type: 'ipv4', value: '45.133.9.0/24' });
    assert.deepEqual(inNet.ioc_ids, [ids.net24, ids.net16]);
    assert.deepEqual(inNet.tags, ['narrow']);
    assert.equal((await get('2001:db8:bad:1::9')).verdict, 'listed-network');
    const host = await get('hxxps://cdn.evil[.]example/payload.exe');
    assert.equal(host.verdict, 'listed-host');
    assert.deepEqual(host.matched, { type: 'domain', value: 'evil.example' });
    assert.deepEqual(host.ioc_ids, [ids.evil]);
    const allowed = await get('mail.partner.example');
    assert.equal(allowed.verdict, 'allowlisted');
    assert.equal(allowed.allowlist_entry.value, '*.partner.example');
    assert.deepEqual((await get('gone.example')).verdict, 'revoked');
    assert.deepEqual((await get('gone.example')).ioc_ids, [ids.gone]);
    const unknown = await get('198.51.100.1');
    assert.equal(unknown.verdict, 'unknown');
    assert.deepEqual(unknown.ioc_ids, []);
  });

  it('GET without a value, or with one that is no IOC value, is a 400 problem; no key is a 401', async () => {
    for (const q of ['', '?value=', '?value=not%20a%20value']) {
      const r = await call(srv.base, 'GET', `/api/v1/lookup${q}`, free);
      assert.equal(r.status, 400, q);
      assert.match(r.type, /^application\/problem\+json/);
      assert.equal(r.body.parameter, 'value');
    }
    assert.equal((await call(srv.base, 'GET', '/api/v1/lookup?value=1.2.3.4', null)).status, 401);
  });

  it('POST a JSON array: a verdict per distinct value in order, and what does not normalize in `rejected` with its reason', async () => {
    const r = await call(srv.base, 'POST', '/api/v1/lookup', free, JSON.stringify(['45.133.1.1', 'EVIL.example', 'evil.example', 'nonsense', 'gone.example']));
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data.map((d: Json) => [d.input, d.value, d.verdict]), [
      ['45.133.1.1', '45.133.1.1', 'listed-network'],
      ['EVIL.example', 'evil.example', 'listed'],
      ['gone.example', 'gone.example', 'revoked'],
    ]);
    assert.equal(r.body.rejected.length, 1);
    assert.equal(r.body.rejected[0].input, 'nonsense');
    assert.match(r.body.rejected[0].reason, /cannot detect/);
    assert.equal(r.body.limit, 5);
  });

  it('POST free text (text/plain): the values in it, refanged, with their verdicts', async () => {
    const text = 'Ticket 4711: host contacted hxxp://evil[.]example/x and 185.220.101[.]5:443, then 45.133.9.8. Sender bob@partner.example. Nothing else.';
    const r = await call(srv.base, 'POST', '/api/v1/lookup', free, text, 'text/plain; charset=utf-8');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data.map((d: Json) => [d.type, d.value, d.verdict]), [
      ['url', 'http://evil.example/x', 'listed-host'],
      ['ipv4', '185.220.101.5', 'listed'],
      ['ipv4', '45.133.9.8', 'listed-network'],
      ['email', 'bob@partner.example', 'allowlisted'],
    ]);
    assert.deepEqual(r.body.rejected, []);
  });

  it('the batch size is per plan: over it is a 413 problem naming the limit; the Pro plan takes more', async () => {
    const six = JSON.stringify(['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4', '1.1.1.5', '1.1.1.6']);
    const r = await call(srv.base, 'POST', '/api/v1/lookup', free, six);
    assert.equal(r.status, 413);
    assert.match(r.type, /^application\/problem\+json/);
    assert.equal(r.body.limit, 5);
    assert.match(r.body.detail, /at most 5 values on the free plan/);
    const text = await call(srv.base, 'POST', '/api/v1/lookup', free, '1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6', 'text/plain');
    assert.equal(text.status, 413);
    const ok = await call(srv.base, 'POST', '/api/v1/lookup', pro, six);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.data.length, 6);
    assert.equal(ok.body.limit, 10_000);
  });

  it('bad bodies: not an array (400), items not scalars (400), another media type (415), over the body cap (413)', async () => {
    assert.equal((await call(srv.base, 'POST', '/api/v1/lookup', free, '{"value": "1.2.3.4"}')).status, 400);
    const numbers = await call(srv.base, 'POST', '/api/v1/lookup', free, '[1, 2, true]');
    assert.equal(numbers.status, 200, 'scalars are read as their text, and are no IOC values');
    assert.deepEqual(numbers.body.rejected.map((x: Json) => x.input), ['1', '2', 'true']);
    assert.equal((await call(srv.base, 'POST', '/api/v1/lookup', free, '[{"a": 1}]')).status, 400);
    assert.equal((await call(srv.base, 'POST', '/api/v1/lookup', free, '[')).status, 400);
    const xml = await call(srv.base, 'POST', '/api/v1/lookup', free, '<a/>', 'application/xml');
    assert.equal(xml.status, 415);
    assert.match(xml.type, /^application\/problem\+json/);
    const big = await call(srv.base, 'POST', '/api/v1/lookup', free, '.'.repeat(2 * 1024 * 1024), 'text/plain');
    assert.equal(big.status, 413);
    const dots = await call(srv.base, 'POST', '/api/v1/lookup', free, '.'.repeat(1000 * 1024), 'text/plain');
    assert.equal(dots.status, 200, 'a megabyte of dots is read and holds nothing');
    assert.deepEqual(dots.body.data, []);
    assert.equal((await call(srv.base, 'POST', '/api/v1/lookup', null, '["1.2.3.4"]')).status, 401);
  });

  it('is in the OpenAPI document with its examples', async () => {
    const doc = (await call(srv.base, 'GET', '/api/v1/openapi.json', null)).body;
    assert.ok(doc.paths['/api/v1/lookup'].get);
    const post = doc.paths['/api/v1/lookup'].post;
    assert.ok(post.requestBody.content['application/json']);
    assert.ok(post.requestBody.content['text/plain']);
  });
});
