import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConsoleSessions } from '../../src/auth/console-sessions.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { issueKey } from '../../src/auth/key-service.js';
import { TokenSigner } from '../../src/auth/signed-token.js';
import { startServer, type TestServer } from '../support/server.js';
import { sqliteStore } from '../support/stores.js';

/** Issue 16: the console's sign-in exchanges an email and key for an HttpOnly session cookie with a CSRF guard. */
describe('console sessions over HTTP', () => {
  let srv: TestServer;
  let key: string;
  before(async () => {
    srv = await startServer();
    key = await srv.keyFor('analyst@example.com', 'pro');
  });
  after(() => srv.close());

  const signIn = (email: string, k: string) =>
    fetch(`${srv.base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, key: k }) });
  const cookieOf = (res: Response) => /^(socd_session=[^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1];

  it('signs in with email and key: an HttpOnly, SameSite=Strict cookie for /api/v1, the account and a CSRF token; the key is not in the answer', async () => {
    const res = await signIn('Analyst@Example.com', key);
    assert.equal(res.status, 200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^socd_session=[A-Za-z0-9_-]{43};/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\/api\/v1/);
    assert.match(setCookie, /Max-Age=43200/, '12 hours by default');
    assert.doesNotMatch(setCookie, /Secure/, 'http public URL: no Secure attribute (https sets it)');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const text = await res.text();
    assert.ok(!text.includes(key), 'the key is not echoed');
    const body = JSON.parse(text) as { me: { account: { email: string; plan: string } }; csrf_token: string; expires_at: string };
    assert.equal(body.me.account.email, 'analyst@example.com');
    assert.equal(body.me.account.plan, 'pro');
    assert.match(body.csrf_token, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(Date.parse(body.expires_at) > Date.now() + 11 * 3_600_000);
  });

  it('refuses a wrong key, an unknown email or a key of another account with a 401 problem and no cookie; a malformed body is a 400', async () => {
    const other = await srv.keyFor('other@example.com', 'free');
    for (const [email, k] of [['analyst@example.com', `sk_live_${'x'.repeat(40)}`], ['nobody@example.com', key], ['analyst@example.com', other], ['analyst@example.com', 'not-a-key']]) {
      const res = await signIn(email!, k!);
      assert.equal(res.status, 401, `${email} ${k!.slice(0, 12)}`);
      assert.equal(res.headers.get('set-cookie'), null);
      const body = (await res.json()) as { code: string; detail: string };
      assert.equal(body.code, 'unauthorized');
      assert.match(body.detail, /sign-in refused/);
    }
    const bad = await fetch(`${srv.base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email": "a@b.c"}' });
    assert.equal(bad.status, 400);
    const notJson = await fetch(`${srv.base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email": ' });
    assert.equal(notJson.status, 400);
  });

  it('the cookie authenticates reads; a change needs the CSRF token (403 csrf_token_invalid without it or with another), and passes with it', async () => {
    const res = await signIn('analyst@example.com', key);
    const cookie = cookieOf(res)!;
    const { csrf_token: csrf } = (await res.json()) as { csrf_token: string };
    const me = await fetch(`${srv.base}/api/v1/me`, { headers: { cookie } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { account: { email: string } }).account.email, 'analyst@example.com');
    const session = await fetch(`${srv.base}/api/v1/session`, { headers: { cookie } });
    assert.equal(session.status, 200);
    assert.equal(((await session.json()) as { csrf_token: string }).csrf_token, csrf, 'the same token again after a reload');

    const create = (headers: Record<string, string>) =>
      fetch(`${srv.base}/api/v1/keys`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name: 'from console' }) });
    for (const headers of [{}, { 'x-csrf-token': 'x'.repeat(43) }, { 'x-csrf-token': '' }] as Array<Record<string, string>>) {
      const refused = await create(headers);
      assert.equal(refused.status, 403, JSON.stringify(headers));
      assert.equal(((await refused.json()) as { code: string }).code, 'csrf_token_invalid');
    }
    const ok = await create({ 'x-csrf-token': csrf });
    assert.equal(ok.status, 201);
  });

  it('an Authorization header wins over a cookie (API clients are unaffected by a stray cookie), and needs no CSRF token', async () => {
    const other = await srv.keyFor('api-client@example.com', 'pro');
    const cookie = cookieOf(await signIn('analyst@example.com', key))!;
    const res = await fetch(`${srv.base}/api/v1/keys`, { method: 'POST', headers: { cookie, authorization: `Bearer ${other}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 201);
    const me = await fetch(`${srv.base}/api/v1/me`, { headers: { cookie, authorization: `Bearer ${other}` } });
    assert.equal(((await me.json()) as { account: { email: string } }).account.email, 'api-client@example.com');
  });

  it('sign-out ends the session at once (the old cookie is refused) and clears the cookie; it needs the CSRF token', async () => {
    const res = await signIn('analyst@example.com', key);
    const cookie = cookieOf(res)!;
    const { csrf_token: csrf } = (await res.json()) as { csrf_token: string };
    assert.equal((await fetch(`${srv.base}/api/v1/session`, { method: 'DELETE', headers: { cookie } })).status, 403);
    const out = await fetch(`${srv.base}/api/v1/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': csrf } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^socd_session=;.*Max-Age=0/);
    const after = await fetch(`${srv.base}/api/v1/me`, { headers: { cookie } });
    assert.equal(after.status, 401);
    assert.match(((await after.json()) as { detail: string }).detail, /signed out|sign in again/);
    const ended = await fetch(`${srv.base}/api/v1/session`, { headers: { cookie } });
    assert.equal(ended.status, 204, 'not signed in: no error for a page that asks');
    assert.match(ended.headers.get('set-cookie') ?? '', /^socd_session=;.*Max-Age=0/, 'the stale cookie is cleared');
    assert.equal((await fetch(`${srv.base}/api/v1/session`)).status, 204);
  });

  it('revoking the key or disabling the account ends its sessions at once', async () => {
    const k = await srv.keyFor('revokee@example.com', 'pro');
    const cookie = cookieOf(await signIn('revokee@example.com', k))!;
    assert.equal((await fetch(`${srv.base}/api/v1/me`, { headers: { cookie } })).status, 200);
    await srv.store.revokeApiKey(k.slice(0, 16), Date.now());
    const res = await fetch(`${srv.base}/api/v1/me`, { headers: { cookie } });
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { detail: string }).detail, /revoked/);

    const k2 = await srv.keyFor('disabled@example.com', 'pro');
    const cookie2 = cookieOf(await signIn('disabled@example.com', k2))!;
    const account = (await srv.store.findAccountByEmail('disabled@example.com'))!;
    await srv.store.updateAccount(account.id, { disabled: { at: Date.now(), reason: 'left' } });
    assert.equal((await fetch(`${srv.base}/api/v1/me`, { headers: { cookie: cookie2 } })).status, 401);
  });

  it('a forged or malformed cookie is refused with a 401, never a 500', async () => {
    for (const value of ['x'.repeat(43), 'short', '%%%', 'a'.repeat(5000)]) {
      const res = await fetch(`${srv.base}/api/v1/me`, { headers: { cookie: `socd_session=${value}` } });
      assert.equal(res.status, 401, value.slice(0, 10));
    }
  });
});

describe('ConsoleSessions', () => {
  it('a session ends after its lifetime; expired sessions are swept at the next sign-in', async () => {
    const store = await sqliteStore();
    try {
      let now = Date.UTC(2026, 4, 17);
      const sessions = new ConsoleSessions(store, new Authenticator(store), new TokenSigner('s'.repeat(32)), 3_600_000, () => now);
      const { key } = await issueKey(store, 'c@example.com', 'pro', null);
      const opened = await sessions.open('c@example.com', key);
      assert.ok(opened.ok);
      assert.equal((await sessions.resolve(opened.session.token)).ok, true);
      now += 3_600_000;
      const expired = await sessions.resolve(opened.session.token);
      assert.equal(expired.ok, false);
      assert.match(expired.ok ? '' : expired.reason, /expired/);
      await sessions.open('c@example.com', key);
      const gone = await sessions.resolve(opened.session.token);
      assert.match(gone.ok ? '' : gone.reason, /no such session/, 'swept');
      assert.notEqual(sessions.csrfOf('a'.repeat(43)), new ConsoleSessions(store, new Authenticator(store), new TokenSigner('o'.repeat(32)), 1, () => now).csrfOf('a'.repeat(43)), 'the CSRF token depends on the server secret');
    } finally {
      await store.close();
    }
  });
});
