import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueKey } from '../../src/auth/key-service.js';
import type { Role } from '../../src/domain/roles.js';
import { startServer, type TestServer } from '../support/server.js';

/**
 * Issue 15: every REST route is classified by the right it needs, and every role refusal is a 403 problem naming the
 * missing role, whatever the body (the guard runs before validation). A route added without a place in this table
 * fails the first test.
 */
const NEEDS: Record<string, Role | 'key' | 'none'> = {
  'GET /healthz': 'none', 'GET /readyz': 'none', 'GET /api/v1/openapi.json': 'none',
  // The console's sign-in: open (GET answers 401 without a session cookie; the key is in the body of POST).
  'POST /api/v1/session': 'none', 'GET /api/v1/session': 'none', 'DELETE /api/v1/session': 'none',
  'GET /api/v1/iocs': 'key', 'GET /api/v1/iocs/{id}': 'key', 'GET /api/v1/iocs/stix': 'key', 'GET /api/v1/lookup': 'key',
  'GET /api/v1/feeds/misp/manifest.json': 'key', 'GET /api/v1/feeds/misp/hashes.csv': 'key', 'GET /api/v1/feeds/misp/{file}': 'key',
  'GET /api/v1/blocklists/{type}.txt': 'key',
  'POST /api/v1/lookup': 'key', 'GET /api/v1/sources': 'key', 'GET /api/v1/sources/{id}': 'key',
  'GET /api/v1/sources/{id}/runs': 'key', 'GET /api/v1/sources/{id}/runs/{runId}': 'key',
  'GET /api/v1/stats': 'key', 'GET /api/v1/collections': 'key', 'GET /api/v1/iocs/{id}/versions': 'key', 'GET /api/v1/iocs/export': 'key',
  'GET /api/v1/me': 'key', 'GET /api/v1/keys': 'key', 'POST /api/v1/keys': 'key', 'DELETE /api/v1/keys/{prefix}': 'key',
  'POST /api/v1/iocs': 'submitter',
  'POST /api/v1/iocs/{id}/revoke': 'analyst', 'GET /api/v1/allowlist': 'analyst', 'POST /api/v1/allowlist': 'analyst',
  'DELETE /api/v1/allowlist/{id}': 'analyst',
  'GET /api/v1/webhooks': 'analyst', 'POST /api/v1/webhooks': 'analyst', 'GET /api/v1/webhooks/{id}': 'analyst',
  'PATCH /api/v1/webhooks/{id}': 'analyst', 'DELETE /api/v1/webhooks/{id}': 'analyst', 'POST /api/v1/webhooks/{id}/test': 'analyst',
  'POST /api/v1/webhooks/{id}/rotate-secret': 'analyst', 'GET /api/v1/webhooks/{id}/deliveries': 'analyst',
  'PATCH /api/v1/sources/{id}': 'admin', 'POST /api/v1/sources/{id}/runs': 'admin', 'GET /api/v1/audit': 'admin',
  'GET /api/v1/accounts': 'admin', 'POST /api/v1/accounts': 'admin', 'GET /api/v1/accounts/{id}': 'admin',
  'PATCH /api/v1/accounts/{id}': 'admin', 'GET /api/v1/accounts/{id}/keys': 'admin', 'POST /api/v1/accounts/{id}/keys': 'admin',
  'DELETE /api/v1/accounts/{id}/keys/{prefix}': 'admin',
};
const RANK: Record<string, number> = { none: -1, submitter: 0, analyst: 1, admin: 2 };

describe('role refusals on every route', () => {
  let srv: TestServer;
  const keys: Record<string, string> = {};
  before(async () => {
    srv = await startServer();
    const now = Date.now();
    for (const [name, roles] of [['none', []], ['submitter', ['submitter']], ['analyst', ['analyst']], ['admin', ['admin']]] as const) {
      await srv.store.createAccount(`${name}@example.com`, 'pro', now, roles);
      keys[name] = (await issueKey(srv.store, `${name}@example.com`, undefined, null)).key;
    }
  });
  after(() => srv.close());

  it('the table covers every documented route but the docs page', async () => {
    const spec = (await (await fetch(`${srv.base}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(spec.paths)
      .filter(([p]) => !p.startsWith('/api/v1/docs'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    assert.deepEqual(documented.sort(), Object.keys(NEEDS).sort());
  });

  it('a key below the role gets 403 role_required naming the role, before its body is validated; the role itself passes the guard', async () => {
    let checked = 0;
    for (const [route, needs] of Object.entries(NEEDS)) {
      if (needs === 'none' || needs === 'key') continue;
      const [method, path] = route.split(' ') as [string, string];
      const url = srv.base + path.replace('{id}', '1').replace('{runId}', '1').replace('{prefix}', 'sk_live_nope');
      for (const holder of ['none', 'submitter', 'analyst', 'admin']) {
        const withBody = method !== 'GET' && method !== 'DELETE';
        const headers: Record<string, string> = { authorization: `Bearer ${keys[holder]}`, ...(withBody ? { 'content-type': 'application/json' } : {}) };
        const res = await fetch(url, { method, headers, ...(withBody ? { body: '{"not": "valid"}' } : {}) });
        const body = (await res.json().catch(() => ({}))) as { code?: string; required_role?: string; detail?: string };
        if (RANK[holder]! < RANK[needs]!) {
          assert.equal(res.status, 403, `${route} as ${holder}`);
          assert.equal(body.code, 'role_required', `${route} as ${holder}`);
          assert.equal(body.required_role, needs, `${route} as ${holder}`);
          assert.match(body.detail ?? '', new RegExp(`needs the ${needs} role`));
          checked++;
        } else assert.notEqual(body.code, 'role_required', `${route} as ${holder}: the role passes`);
      }
    }
    assert.ok(checked >= 25, `${checked} refusals checked`);
  });

  it('the role is checked before the body is read: a body that is not even JSON still gets the 403', async () => {
    let checked = 0;
    for (const [route, needs] of Object.entries(NEEDS)) {
      const [method, path] = route.split(' ') as [string, string];
      if (needs === 'none' || needs === 'key' || method === 'GET' || method === 'DELETE') continue;
      const url = srv.base + path.replace('{id}', '1').replace('{runId}', '1').replace('{prefix}', 'sk_live_nope');
      const res = await fetch(url, { method, headers: { authorization: `Bearer ${keys.none}`, 'content-type': 'application/json' }, body: '{"not' });
      assert.equal(res.status, 403, route);
      assert.equal(((await res.json()) as { code: string }).code, 'role_required', route);
      checked++;
    }
    assert.ok(checked >= 8, `${checked} routes with a body checked`);
  });

  it('every route but the open ones refuses a request without a key with a 401 problem', async () => {
    for (const [route, needs] of Object.entries(NEEDS)) {
      if (needs === 'none') continue;
      const [method, path] = route.split(' ') as [string, string];
      const res = await fetch(srv.base + path.replace('{id}', '1').replace('{runId}', '1').replace('{prefix}', 'sk_live_nope'), { method });
      assert.equal(res.status, 401, route);
      assert.equal(((await res.json()) as { code: string }).code, 'unauthorized', route);
    }
  });

  it('a submitter submits but may not revoke; an analyst revokes', async () => {
    const sub = await fetch(`${srv.base}/api/v1/iocs`, { method: 'POST', headers: { authorization: `Bearer ${keys.submitter}`, 'content-type': 'application/json' }, body: JSON.stringify(['45.135.9.9']) });
    assert.equal(sub.status, 200);
    const item = ((await sub.json()) as { items: Array<{ status: string; id: string }> }).items[0]!;
    assert.equal(item.status, 'created');
    const revoke = (key: string) => fetch(`${srv.base}/api/v1/iocs/${item.id}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'test host' }) });
    assert.equal((await revoke(keys.submitter!)).status, 403);
    assert.equal((await revoke(keys.analyst!)).status, 200);
  });
});
