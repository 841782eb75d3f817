import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../support/server.js';

/** Answers as parsed JSON: the tests read them field by field. */
type Json = Record<string, any>;

async function call(base: string, method: string, path: string, authorization: string | null, body?: unknown) {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : undefined) as Json };
}

const bearer = (key: string) => `Bearer ${key}`;
/** A key of the right shape that this server never issued. */
const FORGED = `sk_live_${'Zq9'.repeat(13)}Z`;

describe('/api/v1/audit through a real server', () => {
  let srv: TestServer;
  let admin: string;
  let pro: string;
  let free: string;
  const audit = async (query = '', key = admin) => call(srv.base, 'GET', `/api/v1/audit${query}`, bearer(key));
  before(async () => {
    srv = await startServer();
    admin = await srv.keyFor('Admin@Example.com', 'admin');
    pro = await srv.keyFor('pro@example.com', 'pro');
    free = await srv.keyFor('free@example.com', 'free');
  });
  after(() => srv.close());

  it('refuses keys without the admin role with a 403 role_required problem, and no key with a 401', async () => {
    for (const key of [pro, free]) {
      const r = await audit('', key);
      assert.equal(r.status, 403);
      assert.match(r.type, /^application\/problem\+json/);
      assert.equal(r.body.code, 'role_required');
      assert.equal(r.body.required_role, 'admin');
      assert.match(r.body.detail, /the audit log needs the admin role/);
    }
    assert.equal((await call(srv.base, 'GET', '/api/v1/audit', null)).status, 401);
  });

  it('allow-list add and remove over the API are recorded with the account, the key prefix, the client address and the entry', async () => {
    const added = await call(srv.base, 'POST', '/api/v1/allowlist', bearer(admin), { value: '*.Partner-Example.net', reason: 'our partner' });
    assert.equal(added.status, 201);
    const id = added.body.entry.id as number;
    assert.equal((await call(srv.base, 'DELETE', `/api/v1/allowlist/${id}`, bearer(admin))).status, 204);
    const refused = await call(srv.base, 'POST', '/api/v1/allowlist', bearer(admin), { value: '*.com', reason: 'x' });
    assert.equal(refused.status, 400, 'a refused change…');

    const r = await audit('?action=allowlist.*');
    assert.equal(r.status, 200);
    const account = await srv.store.findAccountByEmail('Admin@Example.com');
    const actor = { via: 'api', account_id: account!.id, email: 'Admin@Example.com', key_prefix: admin.slice(0, 16), origin: '127.0.0.1' };
    assert.equal(r.body.data.length, 2, '…is not recorded');
    const [removed, add] = r.body.data as Json[];
    assert.deepEqual({ ...add, id: 0, at: 0 }, {
      id: 0, at: 0, action: 'allowlist.add', target: '*.partner-example.net', actor,
      details: { id, kind: 'suffix', type: 'domain', reason: 'our partner', expires_at: null, revoked: 0 },
    });
    assert.deepEqual({ ...removed, id: 0, at: 0 }, {
      id: 0, at: 0, action: 'allowlist.remove', target: '*.partner-example.net', actor,
      details: { id, kind: 'suffix', type: 'domain', reason: 'our partner', expires_at: null, author: account!.id },
    });
    assert.ok(removed!.id > add!.id, 'newest first');
    assert.ok(Math.abs(Date.parse(add!.at as string) - Date.now()) < 3_600_000, 'stamped with the time of the change');
    assert.ok(!JSON.stringify(r.body).includes(admin), 'never the key itself');
    assert.deepEqual(r.body.pagination, { limit: 100, next_cursor: null, has_more: false });
  });

  it('filters by action, email, target and time, and pages newest first with a cursor bound to the filters', async () => {
    for (let i = 1; i <= 5; i++) {
      assert.equal((await call(srv.base, 'POST', '/api/v1/allowlist', bearer(admin), { value: `45.133.7.${i}`, reason: `r${i}` })).status, 201);
    }
    const walk = async (query: string, limit: number) => {
      const out: Json[] = [];
      let cursor: string | null = null;
      for (let n = 0; n < 50; n++) {
        const r = await audit(`?${query}${query ? '&' : ''}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.ok(r.body.data.length <= limit);
        out.push(...r.body.data);
        cursor = r.body.pagination.next_cursor;
        assert.equal(r.body.pagination.has_more, cursor !== null);
        if (!cursor) return out;
      }
      throw new Error('walk did not end');
    };
    const adds = await walk('action=allowlist.add', 2);
    assert.deepEqual(adds.map((x) => x.target), ['45.133.7.5', '45.133.7.4', '45.133.7.3', '45.133.7.2', '45.133.7.1', '*.partner-example.net']);
    const ids = adds.map((x) => x.id as number);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'ids descend');
    assert.equal((await walk('', 3)).length, 7, 'everything: six adds and one removal');
    assert.equal((await walk('action=allowlist.remove', 3)).length, 1);
    assert.equal((await walk('email=admin%40EXAMPLE.com', 4)).length, 7, 'email in any case');
    assert.equal((await walk('email=pro%40example.com', 4)).length, 0);
    assert.deepEqual((await walk('target=45.133.7.3', 4)).map((x) => x.details.reason), ['r3']);
    assert.equal((await walk('since=2999-01-01T00:00:00Z', 4)).length, 0);
    assert.equal((await walk('until=2000-01-01T00:00:00Z', 4)).length, 0);
    assert.equal((await walk('since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z&action=allowlist.*', 4)).length, 7);

    const first = await audit('?action=allowlist.add&limit=2');
    const cursor = encodeURIComponent(first.body.pagination.next_cursor as string);
    const other = await audit(`?action=allowlist.remove&limit=2&cursor=${cursor}`);
    assert.equal(other.status, 400);
    assert.match(other.body.detail, /other filters/);
    const wider = await audit(`?action=allowlist.add&limit=10&cursor=${cursor}`);
    assert.deepEqual(wider.body.data.map((x: Json) => x.target), ['45.133.7.3', '45.133.7.2', '45.133.7.1', '*.partner-example.net'], 'limit may change');
  });

  it('bad parameters are 400 invalid_parameter problems naming the parameter', async () => {
    for (const [query, parameter] of [
      ['?action=Allowlist.Add', 'action'], ['?action=a..b', 'action'], ['?since=yesterday', 'since'], ['?until=2026-13-01', 'until'],
      ['?limit=0', 'limit'], ['?limit=100000', 'limit'], ['?cursor=forged.token', 'cursor'], ['?who=me', 'who'], [`?target=${'t'.repeat(501)}`, 'target'],
    ] as const) {
      const r = await audit(query);
      assert.equal(r.status, 400, query);
      assert.equal(r.body.code, 'invalid_parameter', query);
      assert.equal(r.body.parameter, parameter, query);
    }
  });
});

describe('failed sign-in bursts', () => {
  it('REST: refused credentials from one address make exactly one auth.failed_burst record, without the key or its prefix', async () => {
    const srv = await startServer();
    try {
      const admin = await srv.keyFor('admin@example.com', 'admin');
      const revoked = await srv.keyFor('gone@example.com', 'pro');
      assert.equal(await srv.store.revokeApiKey(revoked.slice(0, 16), Date.now()), true);
      const bursts = async () => (await call(srv.base, 'GET', '/api/v1/audit?action=auth.failed_burst', bearer(admin))).body.data as Json[];
      // Anonymous requests and good keys are not failed sign-ins.
      for (let i = 0; i < 15; i++) assert.equal((await call(srv.base, 'GET', '/api/v1/iocs', null)).status, 401);
      assert.deepEqual(await bursts(), []);
      for (let i = 0; i < 9; i++) {
        const r = await call(srv.base, 'GET', '/api/v1/iocs', bearer(i % 3 ? FORGED : revoked));
        assert.equal(r.status, 401);
      }
      assert.deepEqual(await bursts(), [], 'nine failures are not a burst');
      for (let i = 0; i < 6; i++) assert.equal((await call(srv.base, 'GET', '/api/v1/iocs', bearer(FORGED))).status, 401);
      const found = await bursts();
      assert.equal(found.length, 1, 'one record, however many failures follow within the window');
      const [b] = found as [Json];
      assert.equal(b.action, 'auth.failed_burst');
      assert.equal(b.target, '127.0.0.1');
      assert.deepEqual(b.actor, { via: 'api', account_id: null, email: null, key_prefix: null, origin: '127.0.0.1' });
      assert.equal(b.details.address, '127.0.0.1');
      assert.equal(b.details.failures, 10);
      assert.equal(b.details.window_seconds, 60);
      assert.deepEqual(b.details.reasons, { 'API key revoked': 3, 'invalid API key': 7 });
      const text = JSON.stringify(b);
      for (const secret of [FORGED, FORGED.slice(0, 16), revoked, revoked.slice(0, 16)]) assert.ok(!text.includes(secret), 'no key, no prefix');
    } finally {
      await srv.close();
    }
  });

  it('TAXII: failures on the TAXII routes count too (one count per address for every scope)', async () => {
    const srv = await startServer();
    try {
      const admin = await srv.keyFor('admin@example.com', 'admin');
      const basic = `Basic ${Buffer.from(`admin@example.com:${FORGED}`).toString('base64')}`;
      for (let i = 0; i < 6; i++) assert.equal((await call(srv.base, 'GET', '/taxii2/', basic)).status, 401);
      for (let i = 0; i < 4; i++) assert.equal((await call(srv.base, 'GET', '/api/taxii2/api/collections/', 'Bearer nonsense')).status, 401);
      const found = (await call(srv.base, 'GET', '/api/v1/audit?action=auth.*', bearer(admin))).body.data as Json[];
      assert.equal(found.length, 1);
      assert.deepEqual(found[0]!.details.reasons, { 'invalid API key': 10 });
      assert.ok(!JSON.stringify(found).includes(FORGED.slice(0, 16)));
    } finally {
      await srv.close();
    }
  });
});
