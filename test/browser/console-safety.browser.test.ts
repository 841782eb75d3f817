import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { CONSOLE_PATHS } from '../../src/http/console.js';
import { observation } from '../support/builders.js';
import { callJson } from '../support/server.js';
import { ACCOUNTS, axeViolations, consoleServer, type ConsoleServer, launchBrowser, openConsole } from './support/browser.js';

/**
 * Issue 16, Safety and accessibility, in Chromium: attacker-written IOC values shown on every page never run, never
 * become links; every page has no serious or critical axe-core violation; sign-in and sign-out work.
 */
const T = Date.now() - 86_400_000;
const HOSTILE = [
  observation({ type: 'url', value: 'http://evil.example.com/<script>alert(1)</script>', confidence: 90, firstSeen: T, lastSeen: T }),
  observation({ type: 'url', value: 'http://evil.example.com/"><img src=x onerror=alert(2)>', confidence: 90, firstSeen: T, lastSeen: T }),
  observation({ type: 'url', value: 'http://evil.example.com/javascript:alert(3)//', confidence: 90, firstSeen: T, lastSeen: T }),
  observation({ type: 'url', value: `http://long.example.com/${'A'.repeat(5000)}`, confidence: 90, firstSeen: T, lastSeen: T }),
  observation({ type: 'domain', value: 'xn--pple-43d.com', confidence: 90, firstSeen: T, lastSeen: T }),
];

describe('the console in Chromium: safety and accessibility', () => {
  let browser: Browser;
  let srv: ConsoleServer;
  before(async () => {
    browser = await launchBrowser();
    srv = await consoleServer({ extra: HOSTILE });
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('signs in through the form (the key is not kept in the page, nor in the URL), and signs out', async () => {
    const c = await openConsole(browser, srv);
    await c.goto('/search');
    assert.match(c.page.url(), /\/signin\?next=%2Fsearch$/, 'a signed-out visit asks to sign in, remembering where to go');
    await c.signIn('analyst');
    const cookies = await c.context.cookies();
    const session = cookies.find((k) => k.name === 'socd_session');
    assert.ok(session?.httpOnly && session.sameSite === 'Strict', 'an HttpOnly, SameSite=Strict session cookie');
    assert.ok(!c.page.url().includes(srv.keys.analyst));
    const stored = await c.page.evaluate('JSON.stringify([document.cookie, Object.entries(localStorage), Object.entries(sessionStorage)])');
    assert.ok(!String(stored).includes('sk_live_'), 'no key in page-readable storage');
    assert.ok(!(await c.page.content()).includes(srv.keys.analyst), 'no key in the page');
    await c.page.getByRole('button', { name: 'Sign out' }).click();
    await c.page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal((await c.context.cookies()).find((k) => k.name === 'socd_session'), undefined, 'the cookie is cleared');
    const res = await c.page.request.get('/api/v1/session');
    assert.equal(res.status(), 204, 'signed out');
    await c.close();
  });

  it('a wrong key is refused with a message, and no session', async () => {
    const c = await openConsole(browser, srv);
    await c.page.goto('/signin');
    await c.page.getByLabel('Email').fill(ACCOUNTS.analyst.email);
    await c.page.getByLabel('API key').fill(`sk_live_${'x'.repeat(40)}`);
    // The 401 of the refused sign-in is an expected failed request, which Chromium logs as a console error.
    await c.page.getByRole('button', { name: 'Sign in' }).click();
    await c.page.getByRole('alert').waitFor();
    assert.match(await c.page.getByRole('alert').innerText(), /sign-in refused/);
    c.problems.splice(0, c.problems.length, ...c.problems.filter((p) => !/status of 401/.test(p)));
    assert.equal((await c.context.cookies()).length, 0);
    await c.close();
  });

  it('hostile values on every page: no script runs, no dialog, no CSP violation, no value becomes a link', async () => {
    const c = await openConsole(browser, srv);
    await c.signIn('admin');
    // By list, not by value: two of the values are stored normalized (percent-encoded) or are too long for a path.
    const urls = (await callJson(srv.base, 'GET', '/api/v1/iocs?type=url&limit=1000', srv.keys.admin)).body.data as Array<{ id: string; value: string }>;
    const ids = [
      ...urls.filter((i) => /^http:\/\/(evil|long)\.example\.com\//.test(i.value)).map((i) => i.id),
      (await callJson(srv.base, 'GET', '/api/v1/iocs/xn--pple-43d.com', srv.keys.admin)).body.id as string,
    ];
    assert.equal(ids.filter(Boolean).length, HOSTILE.length, 'every hostile IOC found, so every detail page is visited');
    const paths = [
      ...CONSOLE_PATHS.filter((p) => !p.includes(':') && p !== '/signin'),
      '/search?type=url', '/search?type=domain', '/search?q=' + encodeURIComponent(HOSTILE[0]!.value),
      ...ids.map((id) => `/iocs/${id}`),
    ];
    for (const path of paths) {
      await c.goto(path);
      await c.page.waitForLoadState('networkidle');
      const links = (await c.page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href') ?? ''))) as string[];
      for (const href of links) {
        assert.doesNotMatch(href, /^\s*(javascript|data|vbscript):/i, `${path}: ${href}`);
        assert.ok(href.startsWith('/') || href.startsWith('#'), `${path}: only links of the console (${href.slice(0, 80)})`);
        for (const h of HOSTILE) assert.ok(!href.includes('evil.example.com') && !href.includes(h.value), `${path}: a value became a link`);
      }
      const injected = await c.page.$$eval('img[src="x"], [onerror], [onload], script:not([src])', (els) => els.length);
      assert.equal(injected, 0, `${path}: no markup from a value`);
    }
    // A pasted text carrying the hostile values: their verdicts are shown as text, the listed ones link to details only.
    await c.goto('/lookup');
    await c.page.getByLabel('Text or values to look up').fill(HOSTILE.map((h) => h.value).join('\n'));
    await c.page.getByRole('button', { name: 'Look up' }).click();
    await c.page.locator('table.verdicts').waitFor();
    assert.ok((await c.page.locator('tr[data-verdict="listed"]').count()) >= 3, 'the hostile values are found, listed');
    assert.equal(await c.page.$$eval('img[src="x"], [onerror], [onload], script:not([src])', (els) => els.length), 0);
    for (const href of (await c.page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href') ?? ''))) as string[]) {
      assert.ok(href.startsWith('/') || href.startsWith('#'), `lookup: only console links (${href.slice(0, 80)})`);
    }
    await c.close();
  });

  it('every page has no serious or critical accessibility violation (axe-core), signed in as admin and as a free account', async () => {
    for (const account of ['admin', 'free'] as const) {
      const c = await openConsole(browser, srv);
      await c.page.goto('/signin');
      await c.page.getByLabel('Email').waitFor();
      assert.deepEqual(await axeViolations(c.page), [], 'sign-in page');
      await c.signIn(account);
      const id = (await callJson(srv.base, 'GET', '/api/v1/iocs/198.51.100.7', srv.keys.admin)).body.id as string;
      for (const path of CONSOLE_PATHS.filter((p) => p !== '/signin').map((p) => p.replace(':id', id))) {
        await c.goto(path);
        await c.page.waitForLoadState('networkidle');
        assert.deepEqual(await axeViolations(c.page), [], `${account} ${path}`);
      }
      await c.close();
    }
  });
});
