import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RouteOptions } from 'fastify';
import { Authenticator } from '../../src/auth/authenticator.js';
import { TokenSigner } from '../../src/auth/signed-token.js';
import { loadConfig } from '../../src/config/config.js';
import { wireApp } from '../../src/cli/wiring.js';
import { sqliteStore, TEST_IDENTITY } from '../support/stores.js';
import { observation, source } from '../support/builders.js';
import { startServer, type TestServer } from '../support/server.js';

describe('REST /api/v1/iocs through a listening server', () => {
  let srv: TestServer;
  let pro: string;
  let free: string;
  const get = async (path: string, key: string | null = pro, headers: Record<string, string> = {}) => {
    const res = await fetch(srv.base + path, { headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } });
    const text = await res.text();
    return { res, status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    srv = await startServer();
    pro = await srv.keyFor('pro@example.com', 'pro');
    free = await srv.keyFor('free@example.com', 'free');
    await srv.store.upsertSource(source({ id: 'feed-a', reliability: 0.9 }));
    await srv.store.upsertSource(source({ id: 'feed-b', reliability: 0.2 }));
    const t0 = Date.UTC(2026, 0, 1);
    const batch = [];
    for (let i = 0; i < 250; i++) batch.push(observation({ type: 'ipv4', value: `198.51.100.${i}`, sectors: i % 10 === 0 ? ['energy'] : [] }));
    await srv.store.upsertObservations('feed-a', batch, t0);
    await srv.store.upsertObservations('feed-b', [
      observation({ type: 'domain', value: 'xn--80ak6aa92e.com', tags: ['phishing'] }),
      observation({ type: 'cve', value: 'CVE-2024-3094' }),
      observation({ type: 'url', value: 'http://evil.example/a?b=c' }),
    ], t0 + 60_000);
  });
  after(() => srv.close());

  it('answers the documented shape with every IOC field', async () => {
    const { status, body, res } = await get('/api/v1/iocs?limit=2');
    assert.equal(status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    assert.deepEqual(Object.keys(body), ['data', 'pagination']);
    assert.equal(body.data.length, 2);
    assert.deepEqual(Object.keys(body.data[0]).sort(), [
      'added_at', 'confidence', 'first_seen', 'id', 'last_seen', 'malware', 'score', 'sectors', 'sources', 'status', 'tags', 'tlp', 'type', 'valid_until', 'value',
    ]);
    assert.equal(body.data[0].value, '198.51.100.0');
    assert.equal(body.data[0].confidence, 'high');
    assert.equal(body.data[0].score, 90);
    assert.deepEqual(body.data[0].sources, ['feed-a']);
    assert.deepEqual(body.pagination.limit, 2);
    assert.equal(body.pagination.has_more, true);
    assert.equal(typeof body.pagination.next_cursor, 'string');
  });

  it('walks every IOC exactly once by cursor; the page size may change between pages', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let limit = 7;
    for (let i = 0; i < 200; i++) {
      const { status, body }: { status: number; body: any } = await get(`/api/v1/iocs?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(status, 200);
      seen.push(...body.data.map((d: { value: string }) => d.value));
      cursor = body.pagination.next_cursor;
      assert.equal(body.pagination.has_more, cursor !== null);
      if (!cursor) break;
      limit = limit === 7 ? 100 : 7;
    }
    assert.equal(seen.length, 253);
    assert.equal(new Set(seen).size, 253);
    assert.equal(seen.at(-1), 'http://evil.example/a?b=c');
  });

  it('binds a cursor to its filters and refuses forged ones', async () => {
    const first = await get('/api/v1/iocs?type=ipv4&limit=5');
    const cursor = encodeURIComponent(first.body.pagination.next_cursor);
    assert.equal((await get(`/api/v1/iocs?type=ipv4&limit=50&cursor=${cursor}`)).status, 200);
    const other = await get(`/api/v1/iocs?type=domain&cursor=${cursor}`);
    assert.equal(other.status, 400);
    assert.equal(other.body.parameter, 'cursor');
    const tampered = first.body.pagination.next_cursor.replace(/^./, (c: string) => (c === 'e' ? 'f' : 'e'));
    assert.equal((await get(`/api/v1/iocs?type=ipv4&cursor=${encodeURIComponent(tampered)}`)).status, 400);
    // A character appended to the signature must not pass (base64 decoding would drop it).
    assert.equal((await get(`/api/v1/iocs?type=ipv4&cursor=${cursor}A`)).status, 400);
  });

  it('filters: type list, since, industry, confidence, source, status, q (defanged)', async () => {
    const values = async (qs: string) => (await get(`/api/v1/iocs?limit=1000&${qs}`)).body.data.map((d: { value: string }) => d.value);
    assert.deepEqual(await values('type=domain,cve'), ['xn--80ak6aa92e.com', 'CVE-2024-3094']);
    assert.deepEqual(await values('type=URL'), ['http://evil.example/a?b=c']);
    assert.equal((await values('since=2026-01-01T00:00:30Z')).length, 3);
    assert.equal((await values('since=2025-12-31')).length, 253);
    assert.equal((await values('industry=energy')).length, 25);
    assert.equal((await values('confidence=low')).length, 3);
    assert.equal((await values('confidence=high&type=ipv4')).length, 250);
    assert.deepEqual(await values('source=feed-b&type=cve'), ['CVE-2024-3094']);
    assert.deepEqual(await values('status=revoked'), []);
    assert.equal((await values('status=all')).length, 253);
    assert.deepEqual(await values('q=hxxp://EVIL[.]example/a?b=c'), ['http://evil.example/a?b=c']);
    assert.deepEqual(await values('q=198.51.100.7'), ['198.51.100.7']);
    assert.deepEqual(await values('q=198.51.100.7&type=domain'), []);
  });

  it('rejects each malformed parameter with a 400 naming it and its allowed values', async () => {
    const cases: Array<[string, string]> = [
      ['type=ip', 'type'], ['since=yesterday', 'since'], ['since=2026-02-30', 'since'], ['industry=banking', 'industry'],
      ['confidence=very', 'confidence'], ['status=deleted', 'status'], ['q=999.1.1.1', 'q'], ['limit=0', 'limit'],
      ['limit=1001', 'limit'], ['limit=ten', 'limit'], ['cursor=abc', 'cursor'], ['source=Bad%20Source', 'source'], ['limt=5', 'limt'],
    ];
    for (const [qs, parameter] of cases) {
      const { status, body, res } = await get(`/api/v1/iocs?${qs}`);
      assert.equal(status, 400, qs);
      assert.match(res.headers.get('content-type')!, /^application\/problem\+json/);
      assert.equal(body.status, 400);
      assert.equal(body.code, 'invalid_parameter');
      assert.equal(body.parameter, parameter, qs);
      assert.ok(body.detail.length > 0);
    }
    const industry = await get('/api/v1/iocs?industry=banking');
    assert.ok(industry.body.allowed.includes('financial-services'));
    const q = await get('/api/v1/iocs?q=999.1.1.1');
    assert.match(q.body.detail, /999\.1\.1\.1: octet out of range/);
    const twice = await get('/api/v1/iocs?type=ipv4&type=url');
    assert.equal(twice.status, 400);
    assert.equal(twice.body.parameter, 'type');
  });

  it('answers a parameter given more than once with a problem that says so and shows the comma-separated form', async () => {
    for (const path of ['/api/v1/iocs', '/api/v1/iocs/stix']) {
      const { status, body, res } = await get(`${path}?type=ipv4&type=domain&limit=5`);
      assert.equal(status, 400, path);
      assert.match(res.headers.get('content-type')!, /^application\/problem\+json/);
      assert.deepEqual([body.type, body.title, body.status, body.code, body.parameter], ['about:blank', 'Bad Request', 400, 'invalid_parameter', 'type']);
      assert.match(body.detail, /^type: given twice/, path);
      assert.match(body.detail, /comma-separated list: type=ipv4,domain\b/, path);
      assert.doesNotMatch(body.detail, /must be string/);
    }
    const thrice = await get('/api/v1/iocs?type=ipv4&type=domain&type=url');
    assert.match(thrice.body.detail, /^type: given 3 times.*type=ipv4,domain,url/);
    // A parameter that takes one value is to be given once: no list is suggested.
    const limit = await get('/api/v1/iocs?limit=5&limit=6');
    assert.equal(limit.status, 400);
    assert.equal(limit.body.parameter, 'limit');
    assert.match(limit.body.detail, /^limit: given twice \(5, 6\); give it once$/);
    const unauthenticated = await get('/api/v1/iocs?type=ipv4&type=domain', null);
    assert.equal(unauthenticated.status, 400, 'like any malformed query, before authentication');
  });

  it('gives one IOC with its sightings, 404 for an unknown id and 400 for a malformed one', async () => {
    const list = await get('/api/v1/iocs?q=CVE-2024-3094');
    const id = list.body.data[0].id;
    assert.match(id, /^vulnerability--/);
    const one = await get(`/api/v1/iocs/${id}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.value, 'CVE-2024-3094');
    assert.equal(one.body.sightings.length, 1);
    assert.equal(one.body.sightings[0].source, 'feed-b');
    assert.equal((await get('/api/v1/iocs/indicator--3a7c0b3e-5f2e-4c47-9d2a-2b8e1c9f0a11')).status, 404);
    assert.equal((await get('/api/v1/iocs/not-an-id')).status, 400);
  });

  it('answers GET /api/v1/iocs/{value} with the IOC of that value; a hint to ?q= when there is none', async () => {
    const listed = (await get('/api/v1/iocs?q=198.51.100.7')).body.data[0];
    for (const segment of ['198.51.100.7', encodeURIComponent('198.51.100[.]7'), encodeURIComponent('http://evil.example/a?b=c'), 'cve-2024-3094']) {
      const { status, body, res } = await get(`/api/v1/iocs/${segment}`);
      assert.equal(status, 200, segment);
      assert.match(body.id, /^(indicator|vulnerability)--/);
      assert.equal(res.headers.get('content-location'), `/api/v1/iocs/${body.id}`, 'the canonical address');
      assert.ok(Array.isArray(body.sightings));
    }
    const byValue = await get('/api/v1/iocs/198.51.100.7');
    assert.equal(byValue.body.id, listed.id);
    assert.deepEqual(byValue.body, (await get(`/api/v1/iocs/${listed.id}`)).body);

    const absent = await get('/api/v1/iocs/185.220.101.5');
    assert.equal(absent.status, 404);
    assert.match(absent.res.headers.get('content-type')!, /^application\/problem\+json/);
    assert.equal(absent.body.code, 'not_found');
    assert.match(absent.body.detail, /no IOC has the value 185\.220\.101\.5 \(ipv4\)/);
    assert.match(absent.body.detail, /GET \/api\/v1\/iocs\?q=185\.220\.101\.5/);
    const unencoded = await get('/api/v1/iocs/http://evil.example/a');
    assert.equal(unencoded.status, 404);
    assert.match(unencoded.body.detail, /percent-encode it .* GET \/api\/v1\/iocs\?q=VALUE/);
    const neither = await get('/api/v1/iocs/not-an-id');
    assert.equal(neither.status, 400);
    assert.equal(neither.body.parameter, 'id');
    assert.match(neither.body.detail, /indicator--<uuid4>/);
    assert.match(neither.body.detail, /GET \/api\/v1\/iocs\?q=/);
  });

  it('authenticates by Bearer or Basic (email + key), and refuses the rest with 401 and WWW-Authenticate', async () => {
    const basic = (user: string, key: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}` });
    assert.equal((await get('/api/v1/iocs?limit=1', null, basic('pro@example.com', pro))).status, 200);
    assert.equal((await get('/api/v1/iocs?limit=1', null, basic('PRO@example.com', pro))).status, 200);
    const wrongUser = await get('/api/v1/iocs?limit=1', null, basic('free@example.com', pro));
    assert.equal(wrongUser.status, 401);
    assert.match(wrongUser.res.headers.get('www-authenticate')!, /Basic realm=/);
    assert.equal((await get('/api/v1/iocs?limit=1', free)).status, 200, 'every plan may use REST');
    for (const auth of [undefined, 'Bearer', 'Bearer sk_live_nope', `Token ${pro}`, `Bearer ${pro}x`]) {
      const r = await get('/api/v1/iocs', null, auth ? { authorization: auth } : {});
      assert.equal(r.status, 401, String(auth));
      assert.equal(r.body.code, 'unauthorized');
      assert.ok(r.res.headers.get('www-authenticate'));
    }
    const doomed = await srv.keyFor('gone@example.com', 'pro');
    assert.equal((await get('/api/v1/iocs?limit=1', doomed)).status, 200);
    assert.equal(await srv.store.revokeApiKey(doomed.slice(0, 16), Date.now()), true);
    const revoked = await get('/api/v1/iocs?limit=1', doomed);
    assert.equal(revoked.status, 401);
    assert.match(revoked.body.detail, /revoked/);
  });

  it('records last use in memory and writes it on flush', async () => {
    const key = await srv.keyFor('usage@example.com', 'free');
    await get('/api/v1/iocs?limit=1', key);
    const prefix = key.slice(0, 16);
    const before = (await srv.store.listApiKeys()).find((k) => k.prefix === prefix);
    assert.equal(before?.lastUsedAt, null);
    await srv.authenticator.flush();
    const afterFlush = (await srv.store.listApiKeys()).find((k) => k.prefix === prefix);
    assert.equal(typeof afterFlush?.lastUsedAt, 'number');
  });

  it('publishes OpenAPI generated from the routes, a docs page, and health probes', async () => {
    const spec = await get('/api/v1/openapi.json', null);
    assert.equal(spec.status, 200);
    assert.equal(spec.body.openapi, '3.1.0');
    const list = spec.body.paths['/api/v1/iocs'].get;
    const params = list.parameters.map((p: { name: string }) => p.name).sort();
    assert.deepEqual(params, ['confidence', 'cursor', 'industry', 'limit', 'q', 'since', 'source', 'status', 'type']);
    assert.ok(spec.body.paths['/api/v1/iocs/{id}']);
    assert.ok(spec.body.components.securitySchemes.bearerAuth);
    const docs = await fetch(`${srv.base}/api/v1/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger/i);
    assert.deepEqual((await get('/healthz', null)).body, { status: 'ok' });
    assert.deepEqual((await get('/readyz', null)).body, { status: 'ready', database: 'sqlite' });
  });
});

describe('readiness', () => {
  it('answers 503 when the database does not', async () => {
    const srv = await startServer();
    await srv.store.close();
    const res = await fetch(`${srv.base}/readyz`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { code: string }).code, 'database_unavailable');
    assert.equal((await fetch(`${srv.base}/healthz`)).status, 200);
    await srv.close();
  });
});

describe('the OpenAPI document', () => {
  const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
  const TAXII = /^\/(api\/)?taxii2(\/|$)/;
  /** The docs page's own files (Swagger UI's HTML, scripts, styles): not part of the API. */
  const DOCS_ASSETS = /^\/api\/v1\/docs\/static\//;

  it('documents every route Fastify registered but TAXII (and the docs page assets), with parameters and response shapes', async () => {
    const routes: RouteOptions[] = [];
    const store = await sqliteStore();
    // Metrics on: GET /metrics is registered, and must stay out of the document (README "Metrics").
    const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', SOCD_METRICS_TOKEN: 'm'.repeat(32) }, '/nonexistent');
    const app = await wireApp({
      store, config, authenticator: new Authenticator(store), signer: new TokenSigner('t'.repeat(32)), identity: TEST_IDENTITY, logger: false,
      onRoute: (r) => routes.push(r),
    });
    try {
      await app.ready();
      const res = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
      assert.equal(res.statusCode, 200);
      const spec = res.json() as {
        info: { description: string }; externalDocs?: { url: string; description?: string };
        paths: Record<string, Record<string, { summary?: string; parameters?: Array<{ in: string; name: string }>; responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
      };
      const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
      const registered = new Set(routes
        // The web console (http/console.ts): its pages and built files are hidden from the API document.
        .filter((r) => !TAXII.test(r.url) && !DOCS_ASSETS.test(r.url) && !((r.schema as { hide?: boolean } | undefined)?.hide && !r.url.startsWith('/api/')))
        .flatMap((r) => [r.method].flat().filter((m) => m !== 'HEAD').map((m) => `${m} ${openApiPath(r.url)}`)));
      const documented = new Set(Object.entries(spec.paths).flatMap(([path, ops]) =>
        Object.keys(ops).filter((m) => METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${path}`)));
      assert.deepEqual([...documented].sort(), [...registered].sort());
      assert.ok(routes.some((r) => r.url === '/metrics') && !documented.has('GET /metrics'), 'GET /metrics is served and hidden');
      for (const r of ['GET /healthz', 'GET /readyz', 'GET /api/v1/openapi.json', 'GET /api/v1/iocs', 'GET /api/v1/iocs/{id}', 'GET /api/v1/iocs/stix', 'GET /api/v1/feeds/misp/manifest.json', 'GET /api/v1/feeds/misp/hashes.csv', 'GET /api/v1/feeds/misp/{file}', 'GET /api/v1/sources', 'GET /api/v1/allowlist', 'POST /api/v1/allowlist', 'DELETE /api/v1/allowlist/{id}', 'GET /api/v1/audit']) {
        assert.ok(documented.has(r), r);
      }

      for (const [path, ops] of Object.entries(spec.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          if (!METHODS.includes(method)) continue;
          const where = `${method.toUpperCase()} ${path}`;
          assert.ok(op.summary, `${where}: a summary`);
          // Issue 15 §6: an example of a parameter, body or answer (the docs page's own routes aside).
          if (!path.startsWith('/api/v1/docs')) assert.match(JSON.stringify(op), /"examples?"/, `${where}: an example`);
          // The success answer: 200, 201 for a creation, 202 for work accepted (run now); a 204 has no body to describe.
          const ok = op.responses?.['200'] ?? op.responses?.['201'] ?? op.responses?.['202'];
          if (!(ok === undefined && op.responses?.['204'])) {
            assert.ok(ok?.content && Object.values(ok.content).some((c) => c.schema), `${where}: the shape of its 200 (or 201, 202) answer`);
          }
          for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
            assert.ok(op.parameters?.some((p) => p.in === 'path' && p.name === name), `${where}: path parameter ${name}`);
          }
        }
      }
      const list = spec.paths['/api/v1/iocs']!.get!;
      assert.deepEqual(list.parameters!.filter((p) => p.in === 'query').map((p) => p.name).sort(), ['confidence', 'cursor', 'industry', 'limit', 'q', 'since', 'source', 'status', 'type']);
      assert.ok(spec.paths['/readyz']!.get!.responses!['503'], 'readiness documents its 503');

      // TAXII 2.1 has its own specification: linked, not documented path by path.
      assert.ok(!Object.keys(spec.paths).some((p) => TAXII.test(p)));
      assert.match(spec.externalDocs?.url ?? '', /^https:\/\/docs\.oasis-open\.org\/cti\/taxii\/v2\.1\//);
      assert.match(spec.info.description, /TAXII 2\.1/);
      assert.match(spec.info.description, /\/taxii2\//);
      assert.match(spec.info.description, /docs\.oasis-open\.org\/cti\/taxii\/v2\.1/);
    } finally {
      await app.close();
      await store.close();
    }
  });
});
