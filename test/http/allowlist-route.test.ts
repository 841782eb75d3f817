import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveSources } from '../../src/connectors/catalog/source-config.js';
import { genericSource } from '../../src/connectors/catalog/sources/generic.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { runSource } from '../../src/connectors/pipeline/runner.js';
import { FeedServer } from '../support/feed-server.js';
import { startServer, type TestServer, callJson } from '../support/server.js';

/** Answers as parsed JSON: the tests read them field by field. */
type Json = Record<string, any>;

const call = callJson;

describe('/api/v1/allowlist through a real server', () => {
  let srv: TestServer;
  let admin: string;
  let pro: string;
  let free: string;
  before(async () => {
    srv = await startServer();
    admin = await srv.keyFor('admin@example.com', 'admin');
    pro = await srv.keyFor('pro@example.com', 'pro');
    free = await srv.keyFor('free@example.com', 'free');
  });
  after(() => srv.close());

  it('every route refuses a key without the analyst role with a 403 problem naming the missing role, and no key with a 401', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/allowlist'],
      ['POST', '/api/v1/allowlist', { value: '45.133.9.9', reason: 'x' }],
      ['POST', '/api/v1/allowlist', { nonsense: true }],
      ['DELETE', '/api/v1/allowlist/1'],
    ];
    for (const [method, path, body] of routes) {
      for (const key of [pro, free]) {
        const r = await call(srv.base, method, path, key, body);
        assert.equal(r.status, 403, `${method} ${path}`);
        assert.match(r.type, /^application\/problem\+json/);
        assert.equal(r.body.code, 'role_required');
        assert.equal(r.body.required_role, 'analyst');
        assert.match(r.body.detail, /the allow-list needs the analyst role/);
      }
      const anonymous = await call(srv.base, method, path, null, body);
      assert.equal(anonymous.status, 401, `${method} ${path} without a key`);
    }
    assert.deepEqual((await call(srv.base, 'GET', '/api/v1/allowlist', admin)).body.data, [], 'nothing was added by the refused requests');
  });

  it('POST adds an entry (201, canonical, authored by the account); bad entries are 400 problems; a second add is a 409', async () => {
    const r = await call(srv.base, 'POST', '/api/v1/allowlist', admin, { value: '*.Partner-Example.net', reason: 'our partner', expires_at: '2999-01-01T00:00:00Z' });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('location'), `/api/v1/allowlist/${r.body.entry.id}`);
    const account = await srv.store.findAccountByEmail('admin@example.com');
    assert.deepEqual({ ...r.body.entry, id: 0, created_at: '' }, {
      id: 0, value: '*.partner-example.net', kind: 'suffix', type: 'domain', reason: 'our partner', author: account!.id, created_at: '',
      expires_at: '2999-01-01T00:00:00.000Z', expired: false,
    });
    assert.equal(r.body.revoked, 0);
    const again = await call(srv.base, 'POST', '/api/v1/allowlist', admin, { value: '*.partner-example.net', reason: 'twice' });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'conflict');
    const bad: Array<[unknown, string, RegExp]> = [
      [{ value: 'not a value', reason: 'x' }, 'value', /not an IOC value, a CIDR or a domain suffix/],
      [{ value: '*.com', reason: 'x' }, 'value', /two labels/],
      [{ value: '10.0.0.0/4', reason: 'x' }, 'value', /wider than \/8/],
      [{ value: '45.133.9.9', reason: '  ' }, 'reason', /required/],
      [{ value: '45.133.9.9', reason: 'x', expires_at: 'tomorrow' }, 'expires_at', /ISO 8601/],
      [{ value: '45.133.9.9', reason: 'x', expires_at: '2001-01-01T00:00:00Z' }, 'expires_at', /in the past/],
      [{ value: '45.133.9.9', reason: 'x', colour: 'red' }, 'colour', /unknown field/],
      [{ reason: 'x' }, 'value', /value/],
    ];
    for (const [body, parameter, detail] of bad) {
      const res = await call(srv.base, 'POST', '/api/v1/allowlist', admin, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, 'invalid_parameter');
      assert.equal(res.body.parameter, parameter, JSON.stringify(res.body));
      assert.match(res.body.detail, detail);
    }
  });

  it('GET pages with a signed cursor; DELETE removes (204), then 404; a bad id or cursor is a 400', async () => {
    for (const v of ['45.133.7.1', '45.133.7.2', '45.133.7.3']) {
      assert.equal((await call(srv.base, 'POST', '/api/v1/allowlist', admin, { value: v, reason: 'paging' })).status, 201);
    }
    const seen: string[] = [];
    let path = '/api/v1/allowlist?limit=2';
    for (;;) {
      const page = await call(srv.base, 'GET', path, admin);
      assert.equal(page.status, 200);
      seen.push(...page.body.data.map((e: Json) => e.value));
      if (!page.body.pagination.has_more) break;
      path = `/api/v1/allowlist?limit=2&cursor=${encodeURIComponent(page.body.pagination.next_cursor)}`;
    }
    assert.deepEqual(seen.filter((v) => v.startsWith('45.133.7.')), ['45.133.7.1', '45.133.7.2', '45.133.7.3']);
    assert.equal((await call(srv.base, 'GET', '/api/v1/allowlist?cursor=forged.x', admin)).status, 400);
    assert.equal((await call(srv.base, 'GET', '/api/v1/allowlist?limit=0', admin)).body.parameter, 'limit');
    assert.equal((await call(srv.base, 'GET', '/api/v1/allowlist?colour=red', admin)).status, 400);
    const all = (await call(srv.base, 'GET', '/api/v1/allowlist?limit=100', admin)).body.data as Json[];
    const doomed = all.find((e) => e.value === '45.133.7.2')!;
    const del = await call(srv.base, 'DELETE', `/api/v1/allowlist/${doomed.id}`, admin);
    assert.equal(del.status, 204);
    assert.equal((await call(srv.base, 'DELETE', `/api/v1/allowlist/${doomed.id}`, admin)).status, 404);
    assert.equal((await call(srv.base, 'DELETE', '/api/v1/allowlist/abc', admin)).status, 400);
    assert.ok(!(await call(srv.base, 'GET', '/api/v1/allowlist?limit=100', admin)).body.data.some((e: Json) => e.id === doomed.id));
  });

  it('is in the OpenAPI document with its schemas and an example', async () => {
    const spec = (await call(srv.base, 'GET', '/api/v1/openapi.json', null)).body;
    const item = spec.paths['/api/v1/allowlist'];
    assert.ok(item.get && item.post, 'GET and POST');
    assert.ok(spec.paths['/api/v1/allowlist/{id}'].delete, 'DELETE');
    const body = item.post.requestBody.content['application/json'];
    assert.deepEqual(body.schema.required, ['value', 'reason']);
    assert.ok(JSON.stringify(body).includes('*.partner.example'), 'an example');
    assert.ok(item.post.responses['201'] && item.post.responses['403'] && item.post.responses['409']);
  });
});

describe('/api/v1/allowlist: the rate limits apply as on every route', () => {
  it('an admin past its budget gets 429 problems on each allow-list route', async () => {
    const srv = await startServer((c) => {
      c.plans.admin.rateLimit = { max: 3, windowMs: 3_600_000 };
    });
    try {
      const admin = await srv.keyFor('admin@example.com', 'admin');
      const statuses: number[] = [];
      for (const [method, path, body] of [['GET', '/api/v1/allowlist'], ['POST', '/api/v1/allowlist', { value: '45.133.8.1', reason: 'x' }], ['DELETE', '/api/v1/allowlist/999']] as const) {
        statuses.push((await call(srv.base, method, path, admin, body)).status);
      }
      assert.deepEqual(statuses, [200, 201, 404]);
      for (const [method, path, body] of [['GET', '/api/v1/allowlist'], ['POST', '/api/v1/allowlist', { value: '45.133.8.2', reason: 'x' }], ['DELETE', '/api/v1/allowlist/1']] as const) {
        const r = await call(srv.base, method, path, admin, body);
        assert.equal(r.status, 429, `${method} ${path}`);
        assert.equal(r.body.code, 'rate_limited');
      }
      assert.equal((await srv.store.listAllowEntries({ limit: 10 })).items.length, 1, 'nothing past the budget was done');
    } finally {
      await srv.close();
    }
  });
});

describe('the allow-list end to end: ingest, allow, ingest again, remove, ingest again', () => {
  let srv: TestServer;
  const feed = new FeedServer();
  const URL_ = 'https://feeds.example/allow-e2e.txt';
  before(async () => {
    srv = await startServer();
    await feed.start();
    feed.handlers.set(URL_, (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('185.220.101.77\n45.133.1.30\nhttp://185.220.101.77/gate.php\n'));
  });
  after(async () => {
    await feed.stop();
    await srv.close();
  });

  it('revokes at once, stays revoked while allowed (counted as allow-listed), and comes back as a new object after removal', async () => {
    const admin = await srv.keyFor('admin@example.com', 'admin');
    const def = genericSource({ id: 'e2e-list', generic: 'text', url: URL_ });
    const { ingest } = resolveSources(CATALOG, {}, {});
    const src = { def, enabled: true, reason: undefined, apiKey: undefined, username: undefined, custom: true, scheduleMs: 3_600_000, minIntervalMs: 0 };
    const run = () => runSource(src, { store: srv.store, settings: ingest, rewriteUrl: feed.rewrite, sleep: async () => {} });
    const ioc = async (value: string) => call(srv.base, 'GET', `/api/v1/iocs/${encodeURIComponent(value)}`, admin);

    const first = await run();
    assert.equal(first.outcome, 'ok', first.error ?? '');
    assert.equal(first.inserted, 3);
    const before = await ioc('185.220.101.77');
    assert.equal(before.body.status, 'active');

    const added = await call(srv.base, 'POST', '/api/v1/allowlist', admin, { value: '185.220.101.0/24', reason: 'our exit relays' });
    assert.equal(added.status, 201);
    assert.equal(added.body.revoked, 2, 'the address and the URL on it');
    const revoked = await ioc('185.220.101.77');
    assert.equal(revoked.body.status, 'revoked');
    assert.equal(revoked.body.id, before.body.id);
    assert.equal((await ioc('http://185.220.101.77/gate.php')).body.status, 'revoked');
    assert.equal((await ioc('45.133.1.30')).body.status, 'active', 'what the entry does not match is left alone');
    // What a polling SIEM reads: the TAXII collection's latest version of the object is revoked.
    const taxii = await fetch(`${srv.base}/api/taxii2/api/collections/all-iocs/objects/?match[id]=${before.body.id}`, {
      headers: { authorization: `Bearer ${admin}`, accept: 'application/taxii+json;version=2.1' },
    });
    assert.equal(taxii.status, 200);
    const envelope = (await taxii.json()) as { objects: Array<{ id: string; revoked?: boolean }> };
    assert.deepEqual(envelope.objects.map((o) => [o.id, o.revoked]), [[before.body.id, true]]);
    const versions = await srv.store.listVersions(before.body.id);
    assert.equal(versions.at(-1)!.revoked, true);
    assert.equal(JSON.parse(versions.at(-1)!.json).revoked, true, 'the final STIX version says revoked: true');

    const second = await run();
    assert.equal(second.outcome, 'ok', second.error ?? '');
    assert.deepEqual([second.allowlisted, second.inserted], [2, 0]);
    assert.equal((await ioc('185.220.101.77')).body.status, 'revoked', 'the feed lists it again: it stays revoked');
    assert.equal((await srv.store.lastRun('e2e-list', ['ok']))?.allowlisted, 2, 'the run records the count (GET /api/v1/sources shows it)');
    assert.equal((await srv.store.listVersions(before.body.id)).length, versions.length, 'no new version while allowed');

    assert.equal((await call(srv.base, 'DELETE', `/api/v1/allowlist/${added.body.entry.id}`, admin)).status, 204);
    assert.equal((await ioc('185.220.101.77')).body.status, 'revoked', 'removing an entry restores nothing by itself');
    const third = await run();
    assert.equal(third.outcome, 'ok', third.error ?? '');
    assert.equal(third.allowlisted, 0);
    const back = await ioc('185.220.101.77');
    assert.equal(back.body.status, 'active', 'seen again after removal: active');
    assert.notEqual(back.body.id, before.body.id, 'as a new STIX object');
    assert.equal((await ioc('http://185.220.101.77/gate.php')).body.status, 'active');
  });
});
