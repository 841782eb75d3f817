import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer, callJson } from '../support/server.js';

/** Answers as parsed JSON: the tests read them field by field. */
type Json = Record<string, any>;

const call = callJson;

describe('accounts and keys (/api/v1/me, /keys, /accounts) through a real server', () => {
  let srv: TestServer;
  let admin: string;
  let pro: string;
  let free: string;
  let adminId: number;
  let proId: number;
  before(async () => {
    srv = await startServer();
    admin = await srv.keyFor('admin@example.com', 'admin');
    pro = await srv.keyFor('pro@example.com', 'pro');
    free = await srv.keyFor('free@example.com', 'free');
    adminId = (await srv.store.findAccountByEmail('admin@example.com'))!.id;
    proId = (await srv.store.findAccountByEmail('pro@example.com'))!.id;
  });
  after(() => srv.close());

  it('GET /me: the account, what its plan allows, its roles, limits and the key in use; 401 without a key', async () => {
    const me = await call(srv.base, 'GET', '/api/v1/me', admin);
    assert.equal(me.status, 200);
    assert.equal(me.body.account.email, 'admin@example.com');
    assert.equal(me.body.account.plan, 'pro', "the 'admin' plan of keyFor is Pro plus the admin role");
    assert.deepEqual(me.body.account.roles, ['admin']);
    assert.deepEqual(me.body.account.effective_roles, ['submitter', 'analyst', 'admin']);
    assert.deepEqual(me.body.features, { rest: true, stix: true, taxii: true });
    assert.equal(me.body.limits.lookup_batch, srv.config.plans.admin.lookupBatch);
    assert.equal(me.body.key.prefix, admin.slice(0, 16));
    assert.equal(me.body.key.revoked_at, null);
    assert.ok(!me.text.includes(admin), 'the key in use is named by its prefix, never in full');
    const f = await call(srv.base, 'GET', '/api/v1/me', free);
    assert.deepEqual([f.body.account.plan, f.body.account.roles, f.body.features], ['free', [], { rest: true, stix: false, taxii: false }]);
    assert.deepEqual(f.body.limits, { lookup_batch: srv.config.plans.free.lookupBatch, rate_limit: { max: srv.config.plans.free.rateLimit.max, window_seconds: 60 } });
    const anon = await call(srv.base, 'GET', '/api/v1/me', null);
    assert.equal(anon.status, 401);
    assert.equal(anon.body.code, 'unauthorized');
  });

  it('own keys: a new key is shown once (no-store), usable at once, listed without secrets, and revocable; 401 without a key', async () => {
    const made = await call(srv.base, 'POST', '/api/v1/keys', free, { name: 'laptop' });
    assert.equal(made.status, 201);
    assert.equal(made.headers.get('cache-control'), 'no-store');
    assert.match(made.body.key, /^sk_live_[0-9A-Za-z]{40}$/);
    assert.equal(made.body.prefix, made.body.key.slice(0, 16));
    assert.equal(made.body.name, 'laptop');
    const me = await call(srv.base, 'GET', '/api/v1/me', made.body.key);
    assert.equal(me.status, 200, 'the new key works at once');
    assert.equal(me.body.key.name, 'laptop');
    const list = await call(srv.base, 'GET', '/api/v1/keys', free);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.data.map((k: Json) => k.prefix), [free.slice(0, 16), made.body.prefix], 'its own keys only');
    assert.ok(!list.text.includes(made.body.key) && !/hash/.test(list.text), 'never a key nor a hash');
    assert.deepEqual(Object.keys(list.body.data[0]).sort(), ['created_at', 'last_used_at', 'name', 'prefix', 'revoked_at']);
    const nameless = await call(srv.base, 'POST', '/api/v1/keys', free);
    assert.equal(nameless.status, 201);
    assert.equal(nameless.body.name, null);
    const gone = await call(srv.base, 'DELETE', `/api/v1/keys/${made.body.prefix}`, free);
    assert.equal(gone.status, 200);
    assert.ok(gone.body.revoked_at);
    assert.equal((await call(srv.base, 'GET', '/api/v1/me', made.body.key)).status, 401, 'refused at once');
    assert.equal((await call(srv.base, 'DELETE', `/api/v1/keys/${made.body.prefix}`, free)).status, 409, 'already revoked');
    for (const [method, path] of [['GET', '/api/v1/keys'], ['POST', '/api/v1/keys'], ['DELETE', `/api/v1/keys/${made.body.prefix}`]] as const) {
      assert.equal((await call(srv.base, method, path, null)).status, 401, `${method} ${path}`);
    }
    const audited = srv.audits.filter((a) => a.actor.email === 'free@example.com').map((a) => [a.event.action, a.event.details.prefix]);
    assert.deepEqual(audited, [['key.create', made.body.prefix], ['key.create', nameless.body.prefix], ['key.revoke', made.body.prefix]]);
    assert.ok(!JSON.stringify(srv.audits).includes(made.body.key), 'never the key in the audit trail');
    assert.equal(srv.audits[0]!.actor.via, 'api');
  });

  it("another account's key is a 404, not a 403, and stays valid; a key may revoke itself", async () => {
    const other = await call(srv.base, 'DELETE', `/api/v1/keys/${pro.slice(0, 16)}`, free);
    assert.equal(other.status, 404);
    assert.equal(other.body.code, 'not_found');
    assert.equal((await call(srv.base, 'GET', '/api/v1/me', pro)).status, 200);
    assert.equal((await call(srv.base, 'DELETE', '/api/v1/keys/sk_live_zzzzzzzz', free)).status, 404);
    assert.equal((await call(srv.base, 'DELETE', '/api/v1/keys/nonsense!', free)).status, 400);
    const own = (await call(srv.base, 'POST', '/api/v1/keys', pro, { name: 'self' })).body.key as string;
    assert.equal((await call(srv.base, 'DELETE', `/api/v1/keys/${own.slice(0, 16)}`, own)).status, 200, 'the key in use revokes itself');
    assert.equal((await call(srv.base, 'GET', '/api/v1/keys', own)).status, 401);
  });

  it('key bodies are validated: unknown fields, a name that is no one-line string', async () => {
    for (const body of [{ name: 'x', scope: 'all' }, { name: '' }, { name: 'a\nb' }, { name: 'x'.repeat(101) }, { name: { a: 1 } }, [1]]) {
      const r = await call(srv.base, 'POST', '/api/v1/keys', pro, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.type, /^application\/problem\+json/);
    }
  });

  it('admin routes refuse keys without the admin role (403 role_required) and no key (401)', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/accounts'],
      ['POST', '/api/v1/accounts', { email: 'x@example.com', plan: 'free' }],
      ['GET', `/api/v1/accounts/${proId}`],
      ['PATCH', `/api/v1/accounts/${proId}`, { plan: 'free' }],
      ['GET', `/api/v1/accounts/${proId}/keys`],
      ['POST', `/api/v1/accounts/${proId}/keys`, {}],
      ['DELETE', `/api/v1/accounts/${proId}/keys/${pro.slice(0, 16)}`],
    ];
    const analyst = (await call(srv.base, 'POST', '/api/v1/accounts', admin, { email: 'analyst@example.com', plan: 'pro', roles: ['analyst'] })).body;
    const analystKey = (await call(srv.base, 'POST', `/api/v1/accounts/${analyst.id}/keys`, admin, {})).body.key as string;
    for (const [method, path, body] of routes) {
      for (const key of [pro, free, analystKey]) {
        const r = await call(srv.base, method, path, key, body);
        assert.equal(r.status, 403, `${method} ${path}`);
        assert.equal(r.body.code, 'role_required');
        assert.equal(r.body.required_role, 'admin');
      }
      assert.equal((await call(srv.base, method, path, null, body)).status, 401, `${method} ${path}`);
    }
    assert.equal((await srv.store.findAccountById(proId))?.plan, 'pro', 'nothing changed');
  });

  it('an admin creates, lists (paged, with active key counts), shows and changes accounts; every change is audited', async () => {
    const made = await call(srv.base, 'POST', '/api/v1/accounts', admin, { email: 'new@example.com', plan: 'free', roles: ['submitter'] });
    assert.equal(made.status, 201);
    assert.equal(made.headers.get('location'), `/api/v1/accounts/${made.body.id}`);
    assert.deepEqual([made.body.plan, made.body.roles, made.body.effective_roles, made.body.active_keys, made.body.disabled], ['free', ['submitter'], ['submitter'], 0, false]);
    const again = await call(srv.base, 'POST', '/api/v1/accounts', admin, { email: 'NEW@example.com', plan: 'pro' });
    assert.equal(again.status, 409);
    const shown = await call(srv.base, 'GET', `/api/v1/accounts/${made.body.id}`, admin);
    assert.deepEqual(shown.body, made.body);
    const key = await call(srv.base, 'POST', `/api/v1/accounts/${made.body.id}/keys`, admin, { name: 'handed over' });
    assert.equal(key.status, 201);
    assert.equal(key.headers.get('cache-control'), 'no-store');
    assert.equal((await call(srv.base, 'GET', '/api/v1/me', key.body.key)).body.account.email, 'new@example.com');
    const keys = await call(srv.base, 'GET', `/api/v1/accounts/${made.body.id}/keys`, admin);
    assert.deepEqual(keys.body.data.map((k: Json) => k.name), ['handed over']);
    const changed = await call(srv.base, 'PATCH', `/api/v1/accounts/${made.body.id}`, admin, { plan: 'pro', roles: ['analyst'] });
    assert.equal(changed.status, 200);
    assert.deepEqual([changed.body.plan, changed.body.roles, changed.body.effective_roles, changed.body.active_keys], ['pro', ['analyst'], ['submitter', 'analyst'], 1]);
    const me = await call(srv.base, 'GET', '/api/v1/me', key.body.key);
    assert.deepEqual([me.body.account.plan, me.body.account.roles], ['pro', ['analyst']], 'its key has the new plan and roles at once');
    assert.equal((await call(srv.base, 'GET', '/api/v1/allowlist', key.body.key)).status, 200, 'the analyst role now opens the allow-list');

    const seen: Json[] = [];
    for (let cursor: string | null = null; ;) {
      const page: Awaited<ReturnType<typeof call>> = await call(srv.base, 'GET', `/api/v1/accounts?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, admin);
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length <= 2);
      seen.push(...page.body.data);
      if (!page.body.pagination.has_more) break;
      cursor = page.body.pagination.next_cursor;
    }
    assert.deepEqual(seen.map((a) => a.id), [...seen.map((a) => a.id)].sort((a, b) => a - b), 'in id order');
    assert.equal(seen.find((a) => a.email === 'new@example.com')?.active_keys, 1);
    assert.equal(seen.find((a) => a.email === 'admin@example.com')?.plan, 'pro');

    const adminKeyPrefix = key.body.prefix as string;
    assert.equal((await call(srv.base, 'DELETE', `/api/v1/accounts/${proId}/keys/${adminKeyPrefix}`, admin)).status, 404, "a key of another account than the path's");
    assert.equal((await call(srv.base, 'DELETE', `/api/v1/accounts/${made.body.id}/keys/${adminKeyPrefix}`, admin)).status, 200);
    assert.equal((await call(srv.base, 'GET', '/api/v1/me', key.body.key)).status, 401);

    const actions = srv.audits.filter((a) => a.actor.email === 'admin@example.com' && a.event.target === `account:${made.body.id}`);
    assert.deepEqual(actions.map((a) => a.event.action), ['account.create', 'key.create', 'account.update', 'key.revoke']);
    assert.deepEqual(actions[2]!.event.details, {
      email: 'new@example.com', before: { plan: 'free', roles: ['submitter'], disabled: false }, after: { plan: 'pro', roles: ['analyst'], disabled: false },
    });
    assert.ok(!JSON.stringify(srv.audits).includes(key.body.key));
  });

  it("a disabled account's keys are refused at once (401 naming why), and work again once enabled", async () => {
    const k1 = await srv.keyFor('leaver@example.com', 'pro');
    const k2 = await srv.keyFor('leaver@example.com', 'pro');
    const id = (await srv.store.findAccountByEmail('leaver@example.com'))!.id;
    const off = await call(srv.base, 'PATCH', `/api/v1/accounts/${id}`, admin, { disabled: true, reason: 'left the company' });
    assert.equal(off.status, 200);
    assert.deepEqual([off.body.disabled, off.body.disabled_reason], [true, 'left the company']);
    assert.ok(off.body.disabled_at);
    for (const key of [k1, k2]) {
      const r = await call(srv.base, 'GET', '/api/v1/iocs', key);
      assert.equal(r.status, 401);
      assert.match(r.body.detail, /account disabled/);
    }
    const on = await call(srv.base, 'PATCH', `/api/v1/accounts/${id}`, admin, { disabled: false });
    assert.deepEqual([on.body.disabled, on.body.disabled_at, on.body.disabled_reason], [false, null, null]);
    assert.equal((await call(srv.base, 'GET', '/api/v1/me', k1)).status, 200);
    const update = srv.audits.filter((a) => a.event.action === 'account.update' && a.event.target === `account:${id}`);
    assert.deepEqual(update.map((a) => [a.event.details.after, a.event.details.reason]), [
      [{ plan: 'pro', roles: [], disabled: true }, 'left the company'],
      [{ plan: 'pro', roles: [], disabled: false }, undefined],
    ]);
  });

  it('an admin cannot remove its own admin role nor disable itself (409); another admin can', async () => {
    const self = `/api/v1/accounts/${adminId}`;
    for (const body of [{ roles: ['analyst'] }, { roles: [] }, { disabled: true }]) {
      const r = await call(srv.base, 'PATCH', self, admin, body);
      assert.equal(r.status, 409, JSON.stringify(body));
      assert.match(r.body.detail, /never left without/);
    }
    assert.deepEqual((await srv.store.findAccountById(adminId))?.roles, ['admin']);
    assert.equal((await call(srv.base, 'PATCH', self, admin, { roles: ['analyst', 'admin'] })).status, 200, 'keeping admin is fine');
    const second = await srv.keyFor('second-admin@example.com', 'admin');
    const demoted = await call(srv.base, 'PATCH', self, second, { roles: ['admin'] });
    assert.equal(demoted.status, 200);
  });

  it('account routes: 404 for no such account, 400 for bad ids, emails, plans, roles and extra fields', async () => {
    assert.equal((await call(srv.base, 'GET', '/api/v1/accounts/999999', admin)).status, 404);
    assert.equal((await call(srv.base, 'PATCH', '/api/v1/accounts/999999', admin, { plan: 'pro' })).status, 404);
    assert.equal((await call(srv.base, 'GET', '/api/v1/accounts/999999/keys', admin)).status, 404);
    assert.equal((await call(srv.base, 'POST', '/api/v1/accounts/999999/keys', admin, {})).status, 404);
    assert.equal((await call(srv.base, 'GET', '/api/v1/accounts/abc', admin)).status, 400);
    assert.equal((await call(srv.base, 'GET', '/api/v1/accounts/0', admin)).status, 400);
    const bad: Array<[unknown, string]> = [
      [{ email: 'not-an-email', plan: 'free' }, 'email'],
      [{ plan: 'free' }, 'email'],
      [{ email: 'x@example.com', plan: 'gold' }, 'plan'],
      [{ email: 'x@example.com', plan: 'admin' }, 'plan'],
      [{ email: 'x@example.com', plan: 'free', roles: ['root'] }, 'roles'],
      [{ email: 'x@example.com', plan: 'free', roles: [{}] }, 'roles'],
      [{ email: 'x@example.com', plan: 'free', colour: 'red' }, 'colour'],
    ];
    for (const [body, parameter] of bad) {
      const r = await call(srv.base, 'POST', '/api/v1/accounts', admin, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.type, /^application\/problem\+json/);
      if (r.body.parameter !== undefined) assert.match(r.body.parameter, new RegExp(`^${parameter}`), JSON.stringify(body));
    }
    assert.equal(await srv.store.findAccountByEmail('x@example.com'), undefined, 'nothing was created');
    for (const body of [{}, { plan: 'admin' }, { roles: ['boss'] }, { disabled: 'yes' }, { reason: 'why' }, { disabled: false, reason: 'x' }, { plan: 'pro', extra: 1 }]) {
      const r = await call(srv.base, 'PATCH', `/api/v1/accounts/${proId}`, admin, body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    assert.equal((await call(srv.base, 'GET', '/api/v1/accounts?limit=0', admin)).status, 400);
    assert.equal((await call(srv.base, 'GET', '/api/v1/accounts?cursor=forged.x', admin)).status, 400);
    assert.equal((await call(srv.base, 'GET', '/api/v1/accounts?colour=red', admin)).status, 400);
  });

  it('the OpenAPI document describes every account and key route under the account and admin tags', async () => {
    const doc = (await call(srv.base, 'GET', '/api/v1/openapi.json', null)).body;
    const tags = (doc.tags as Json[]).map((t) => t.name);
    assert.ok(tags.includes('account') && tags.includes('admin'));
    const routes: Array<[string, string, string]> = [
      ['/api/v1/me', 'get', 'account'], ['/api/v1/keys', 'get', 'account'], ['/api/v1/keys', 'post', 'account'],
      ['/api/v1/keys/{prefix}', 'delete', 'account'], ['/api/v1/accounts', 'get', 'admin'], ['/api/v1/accounts', 'post', 'admin'],
      ['/api/v1/accounts/{id}', 'get', 'admin'], ['/api/v1/accounts/{id}', 'patch', 'admin'], ['/api/v1/accounts/{id}/keys', 'get', 'admin'],
      ['/api/v1/accounts/{id}/keys', 'post', 'admin'], ['/api/v1/accounts/{id}/keys/{prefix}', 'delete', 'admin'],
    ];
    for (const [path, method, tag] of routes) {
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${method} ${path}`);
      assert.deepEqual(op.tags, [tag]);
      assert.ok(op.summary && op.description && op.security.length > 0, `${method} ${path}`);
    }
  });
});
