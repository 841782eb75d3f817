import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { resolveSources } from '../../src/connectors/catalog/source-config.js';
import { FeedServer } from '../support/feed-server.js';
import { callJson } from '../support/server.js';
import { ACCOUNTS, consoleServer, type ConsoleServer, launchBrowser, openConsole } from './support/browser.js';

/**
 * Issue 16, the admin and integration pages in Chromium against a real server whose scheduler reads a loopback feed:
 * Sources (run now, watched to its end), Access (a key shown once, revoked; an account's plan changed; the audit log
 * showing both), TAXII (the API's collections and counts, settings naming the real URLs), and what a free account and
 * a non-admin see instead.
 */
const TRANSPORT = { retries: 1, backoffMs: 1, idleTimeoutMs: 60_000, timeoutMs: 60_000, maxRetryAfterMs: 50 };
const FEED_URL = 'https://feeds.example.invalid/console-list.txt';

/** Asks until `done` holds (the test's own timeout bounds it: no deadline here). */
async function until<T>(ask: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await ask();
    if (done(v)) return v;
    await sleep(20);
  }
}

describe('the admin and integration pages in Chromium', () => {
  const feed = new FeedServer();
  let browser: Browser;
  let srv: ConsoleServer;
  /** The feed answers 404 until the test arms it: the scheduler's first pass fails, run now reads the fixture. */
  let armed = false;

  before(async () => {
    await feed.start();
    feed.file(FEED_URL, 'greensnow.txt');
    const serveFixture = feed.handlers.get(FEED_URL)!;
    feed.handlers.set(FEED_URL, (req, res) => (armed ? serveFixture(req, res) : res.writeHead(404, { 'content-type': 'text/plain' }).end('not yet')));
    const { sources, ingest } = resolveSources([], {
      customSources: [{ id: 'console-list', name: 'Console test list', generic: 'text', url: FEED_URL, schedule: '1h' }],
    }, {});
    browser = await launchBrowser();
    srv = await consoleServer({ extras: { sources, scheduler: { settings: ingest, rewriteUrl: feed.rewrite, transport: TRANSPORT } } });
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
    await feed.stop();
  });

  it('as admin: runs a source now and watches the run end with the counts the API gives; the failed run before it shows its error', async () => {
    // The scheduler's first pass ran the new source against the unarmed feed: a failed run, finished.
    await until(() => callJson(srv.base, 'GET', '/api/v1/sources/console-list', srv.keys.admin), (r) => r.body.last_run?.outcome === 'failed');
    armed = true;

    const c = await openConsole(browser, srv);
    await c.signIn('admin');
    await c.goto('/sources');
    const row = c.page.locator('tr[data-source="console-list"]');
    assert.match(await row.innerText(), /1 failed since last success/);
    await row.getByRole('button', { name: 'Manage Console test list' }).click();
    const detail = c.page.locator('#source-detail');
    await detail.getByRole('heading', { name: 'Console test list' }).waitFor();
    await detail.getByRole('table').getByText('failed').waitFor();
    assert.match(await detail.getByRole('table').innerText(), /failed[\s\S]*404/, 'the last runs show the failure and its error');

    await detail.getByRole('button', { name: 'Run now' }).click();
    const status = detail.locator('.run-status');
    await status.getByText(/records/).waitFor();
    const shown = await status.innerText();
    const runId = Number(/Run (\d+):/.exec(shown)?.[1]);
    const { body } = await callJson(srv.base, 'GET', `/api/v1/sources/console-list/runs/${runId}`, srv.keys.admin);
    assert.equal(body.run.status, 'ok', JSON.stringify(body));
    assert.ok(body.run.new > 0, 'the run added IOCs');
    assert.ok(shown.includes(`Run ${runId}: ok — ${body.run.records} records, ${body.run.new} new`), shown);
    assert.ok(shown.includes(`${body.run.rejected} rejected`), shown);
    // The page asked again once the run ended: the list and the runs table show it.
    await row.getByText('none').waitFor();
    await detail.getByRole('table').getByText(String(runId), { exact: true }).waitFor();
    const iocs = await callJson(srv.base, 'GET', '/api/v1/iocs?source=console-list&limit=100', srv.keys.admin);
    assert.equal(iocs.body.data.length, body.run.new, 'what the run added is served');
    await c.screenshot('sources-run-now');

    // Settings: a schedule, and a provider key that is never shown back (the field is emptied, the page says it is set).
    const settings = detail.getByRole('form', { name: 'Settings of Console test list' });
    await settings.getByLabel(/^Every/).fill('6h');
    await settings.getByRole('button', { name: 'Save schedule' }).click();
    await settings.getByText('Schedule saved.').waitFor();
    await row.getByRole('cell', { name: '6h', exact: true }).waitFor();
    const providerKey = 'provider-key-Zq7-never-shown';
    await settings.getByLabel('New key').fill(providerKey);
    await settings.getByRole('button', { name: 'Set key' }).click();
    await settings.getByText('A key is set (from api). It is never shown.').waitFor();
    assert.equal(await settings.getByLabel('New key').inputValue(), '');
    assert.ok(!(await c.page.content()).includes(providerKey), 'the provider key is not in the page');
    const saved = await callJson(srv.base, 'GET', '/api/v1/sources/console-list', srv.keys.admin);
    assert.equal(saved.body.schedule, '6h');
    assert.deepEqual([saved.body.api_key_set, saved.body.api_key_from], [true, 'api']);
    await c.close();
  });

  it('as admin: a new key is shown once, works for the API and is gone after dismissal; revoked, the API refuses it', async () => {
    const c = await openConsole(browser, srv);
    await c.signIn('admin');
    await c.goto('/access');
    await c.page.getByLabel('Name (what it is for)').fill('console-test');
    await c.page.getByRole('button', { name: 'Create key' }).click();
    const field = c.page.getByLabel(/^New key sk_live_/);
    await field.waitFor();
    const key = await field.inputValue();
    assert.match(key, /^sk_live_/);
    assert.equal(await field.isEditable(), false, 'read-only');
    assert.match(await c.page.getByRole('region', { name: 'New key' }).innerText(), /shown only once/);
    await c.page.getByRole('button', { name: 'Copy the new key' }).click();
    assert.equal(await c.page.evaluate('navigator.clipboard.readText()'), key, 'Copy copies the key');
    const me = await callJson(srv.base, 'GET', '/api/v1/me', key);
    assert.equal(me.status, 200, 'the new key works for the API');
    assert.equal(me.body.account.email, ACCOUNTS.admin.email);
    const prefix = me.body.key.prefix as string;

    await c.page.getByRole('button', { name: /I have stored it/ }).click();
    await c.page.getByRole('status').getByText(`The key ${prefix} is no longer shown here.`).waitFor();
    assert.ok(!(await c.page.content()).includes(key), 'the key is gone from the page');
    assert.equal(await c.page.getByLabel(/^New key sk_live_/).count(), 0);

    const keyRow = c.page.locator(`tr[data-prefix="${prefix}"]`);
    assert.match(await keyRow.innerText(), /console-test[\s\S]*active/);
    await keyRow.getByRole('button', { name: `Revoke ${prefix}` }).click();
    await keyRow.getByRole('button', { name: 'Yes, revoke' }).click();
    await c.page.getByText(`Key ${prefix} revoked.`).waitFor();
    await keyRow.getByText(/^revoked /).waitFor();
    assert.equal((await callJson(srv.base, 'GET', '/api/v1/me', key)).status, 401, 'a revoked key is refused');
    await c.close();
  });

  it("as admin: creates an account and changes its plan; the audit log shows the key and account changes", async () => {
    const c = await openConsole(browser, srv);
    await c.signIn('admin');
    await c.goto('/access');
    const form = c.page.getByRole('form', { name: 'Create an account' });
    await form.getByLabel('Email').fill('newcomer@example.com');
    await form.getByLabel('Plan').selectOption('free');
    await form.getByLabel('analyst').check();
    await form.getByRole('button', { name: 'Create account' }).click();
    await form.getByText('Account newcomer@example.com created (no keys yet).').waitFor();

    const row = c.page.locator('tr[data-account="newcomer@example.com"]');
    assert.match(await row.innerText(), /free[\s\S]*analyst/);
    await row.getByRole('button', { name: 'Edit newcomer@example.com' }).click();
    const edit = c.page.getByRole('form', { name: 'Edit newcomer@example.com' });
    await edit.getByLabel('Plan').selectOption('pro');
    await edit.getByRole('button', { name: 'Save' }).click();
    await row.getByRole('button', { name: 'Edit newcomer@example.com' }).waitFor();
    assert.equal(await row.locator('.badge').innerText(), 'pro');
    const listed = await callJson(srv.base, 'GET', '/api/v1/accounts?limit=100', srv.keys.admin);
    const account = listed.body.data.find((a: { email: string }) => a.email === 'newcomer@example.com');
    assert.equal(account.plan, 'pro', 'the plan changed on the server');
    assert.deepEqual(account.roles, ['analyst']);

    // The log, newest first, filtered by action prefix; then all of it.
    await c.goto('/access');
    const filters = c.page.getByRole('form', { name: 'Audit log filters' });
    await filters.getByLabel('Action').fill('account.*');
    await filters.getByRole('button', { name: 'Filter' }).click();
    const audit = c.page.locator('table.audit tbody tr');
    // Filtered: only account.* rows are left (the unfiltered page before it held key.* ones).
    await c.page.waitForFunction(
      "[...document.querySelectorAll('table.audit tbody tr')].every((r) => r.dataset.action.startsWith('account.')) && !!document.querySelector('table.audit tbody tr')",
    );
    const actions = await audit.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    assert.ok(actions.every((a) => a!.startsWith('account.')), actions.join());
    assert.deepEqual(actions.slice(0, 2), ['account.update', 'account.create'], 'newest first');
    const update = await c.page.locator('table.audit tr[data-action="account.update"]').first().innerText();
    assert.match(update, new RegExp(`account:${account.id}`));
    assert.match(update, /"before":[\s\S]*"plan": "free"[\s\S]*"after":[\s\S]*"plan": "pro"/);
    assert.match(update, new RegExp(ACCOUNTS.admin.email.replace('.', '\\.')));

    await filters.getByRole('button', { name: 'Clear' }).click();
    await c.page.locator('table.audit tr[data-action="key.revoke"]').waitFor();
    const all = await audit.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    for (const a of ['key.create', 'key.revoke', 'account.create', 'account.update', 'source.run']) assert.ok(all.includes(a), `${a} in ${all.join()}`);
    const server = await callJson(srv.base, 'GET', '/api/v1/audit?limit=50', srv.keys.admin);
    assert.deepEqual(all, server.body.data.map((r: { action: string }) => r.action), 'the page shows the log as the API gives it');
    await c.screenshot('access-admin');
    await c.close();
  });

  it('TAXII: the collections with the counts the API gives, and settings holding the real discovery URL and collection id', async () => {
    const api = await callJson(srv.base, 'GET', '/api/v1/collections', srv.keys.analyst);
    assert.equal(api.status, 200);
    const c = await openConsole(browser, srv);
    await c.signIn('analyst');
    await c.goto('/taxii');
    await c.page.locator('table.collections').waitFor();
    assert.equal(await c.page.locator('#taxii-discovery').innerText(), api.body.discovery_url);
    assert.equal(await c.page.locator('table.collections tbody tr').count(), api.body.data.length);
    for (const col of api.body.data as Array<{ id: string; object_count: number | null }>) {
      const count = await c.page.locator(`tr[data-collection="${col.id}"] td.count`).innerText();
      assert.equal(count, col.object_count === null ? '—' : col.object_count.toLocaleString('en-US'), col.id);
    }
    const all = (api.body.data as Array<{ id: string; alias?: string; api_root_url: string }>).find((x) => x.alias === 'all-iocs')!;
    const sentinel = await c.page.locator('[data-integration="sentinel"]').innerText();
    assert.ok(sentinel.includes(all.api_root_url) && sentinel.includes(all.id), sentinel);
    assert.ok(sentinel.includes(ACCOUNTS.analyst.email) && sentinel.includes('your API key'));
    const python = await c.page.locator('[data-integration="taxii2-client"] pre').innerText();
    assert.ok(python.includes(`Server("${api.body.discovery_url}"`), python);
    assert.ok(python.includes(`${all.api_root_url}collections/${all.id}/`), python);
    for (const vendor of ['splunk', 'elastic', 'qradar', 'opencti']) {
      const text = await c.page.locator(`[data-integration="${vendor}"]`).innerText();
      assert.ok(text.includes(all.id) && text.includes(all.api_root_url), vendor);
    }

    // Another collection chosen: the settings follow it.
    const ips = (api.body.data as Array<{ id: string; alias?: string; title: string }>).find((x) => x.alias === 'ips')!;
    await c.page.getByLabel('Collection for the settings').selectOption(ips.id);
    await c.page.locator('[data-integration="opencti"]').getByText(ips.id).waitFor();
    assert.ok(!(await c.page.content()).includes(srv.keys.analyst), 'the key is never printed');
    await c.screenshot('taxii');
    await c.close();
  });

  it('a free account: /taxii says TAXII needs the Pro plan and what it gives; /sources is read-only with a note', async () => {
    const c = await openConsole(browser, srv);
    await c.signIn('free');
    await c.goto('/taxii');
    const notice = await c.page.locator('.notice').innerText();
    assert.match(notice, /TAXII needs the Pro plan/);
    assert.match(notice, /TAXII 2\.1 server/);
    assert.equal(await c.page.locator('table.collections').count(), 0);
    await c.screenshot('taxii-free');

    await c.goto('/sources');
    await c.page.locator('tr[data-source="console-list"]').waitFor();
    assert.match(await c.page.locator('.notice').innerText(), /need the admin role/);
    assert.equal(await c.page.getByRole('button', { name: /^Manage / }).count(), 0);
    await c.page.getByRole('button', { name: 'Details Console test list' }).click();
    await c.page.locator('#source-detail').getByRole('table').waitFor();
    assert.equal(await c.page.getByRole('button', { name: 'Run now' }).count(), 0, 'no run now');
    assert.equal(await c.page.getByRole('form', { name: /^Settings of/ }).count(), 0, 'no settings');
    await c.screenshot('sources-free');
    await c.close();
  });

  it('a non-admin sees no admin control: no source settings, no accounts, no audit log; its own keys only', async () => {
    const c = await openConsole(browser, srv);
    await c.signIn('analyst');
    await c.goto('/access');
    await c.page.getByRole('heading', { name: 'Your API keys' }).waitFor();
    assert.match(await c.page.locator('.notice').innerText(), /need the admin role/);
    assert.equal(await c.page.getByRole('heading', { name: 'Accounts' }).count(), 0);
    assert.equal(await c.page.getByRole('heading', { name: 'Audit log' }).count(), 0);
    assert.equal(await c.page.locator('table.keys tbody tr').count(), 1, 'its one key');
    await c.goto('/sources');
    await c.page.getByRole('button', { name: 'Details Console test list' }).click();
    await c.page.locator('#source-detail').getByRole('table').waitFor();
    assert.equal(await c.page.getByRole('button', { name: 'Run now' }).count(), 0);
    assert.equal(await c.page.locator('input[type="password"]').count(), 0, 'no key field');
    await c.close();
  });

  it('signs out: the session ends on the server and the page shows sign-in', async () => {
    const c = await openConsole(browser, srv);
    await c.signIn('admin');
    await c.goto('/access');
    await c.page.getByRole('button', { name: 'Sign out' }).click();
    await c.page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal((await c.page.request.get('/api/v1/session')).status(), 204, 'no session (204: signed out)');
    assert.equal((await c.page.request.get('/api/v1/me')).status(), 401, 'the API refuses the browser');
    await c.goto('/access');
    assert.match(c.page.url(), /\/signin\?next=%2Faccess$/);
    await c.close();
  });
});
