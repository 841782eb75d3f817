import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { observation } from '../support/builders.js';
import { callJson } from '../support/server.js';
import { consoleServer, type ConsolePage, type ConsoleServer, launchBrowser, openConsole } from './support/browser.js';

/**
 * Issue 16, the analyst pages in Chromium against a real server with data: the dashboard shows the API's figures,
 * a search pages to its end with the keyset cursor and exports its selection, a detail shows the IOC and its
 * versions, an analyst revokes (TAXII then serves it revoked) and allow-lists, a look-up shows the API's verdicts,
 * and a free account sees Pro notices instead of broken pages.
 */
const T = Date.now() - 86_400_000;
const EXTRA = [
  observation({ type: 'url', value: 'http://malicious-3.example.net/gate.php?id=1', confidence: 80, reference: 'https://tracker.example/entry/42', firstSeen: T, lastSeen: T }),
  observation({ type: 'domain', value: 'revoke-me.example.org', confidence: 70, firstSeen: T, lastSeen: T }),
  observation({ type: 'domain', value: 'allow-me.example.org', confidence: 70, firstSeen: T, lastSeen: T }),
];
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the analyst pages in Chromium', () => {
  let browser: Browser;
  let srv: ConsoleServer;
  const get = async (path: string) => {
    const r = await callJson(srv.base, 'GET', path, srv.keys.analyst);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
    return r.body;
  };
  /** Every row of GET /api/v1/iocs with these filters, walked with the cursor. */
  const allIds = async (query: string) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await get(`/api/v1/iocs?${query}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      ids.push(...page.data.map((i: Json) => i.id as string));
      cursor = page.pagination.has_more ? page.pagination.next_cursor : null;
    } while (cursor);
    return ids;
  };
  const signedIn = async (account: 'analyst' | 'free') => {
    const c = await openConsole(browser, srv);
    await c.signIn(account);
    return c;
  };
  /** Expected failed requests (a 413 asked for by the test) are logged by Chromium as console errors: drop those alone. */
  const forgive = (c: ConsolePage, status: number) => c.problems.splice(0, c.problems.length, ...c.problems.filter((p) => !p.includes(`status of ${status}`)));

  before(async () => {
    browser = await launchBrowser();
    srv = await consoleServer({ extra: EXTRA });
    // A failing source beside the healthy one: its last run failed.
    const run = await srv.store.startRun('urlhaus', Date.now() - 60_000);
    await srv.store.finishRun(run, {
      outcome: 'failed', records: 0, inserted: 0, updated: 0, unchanged: 0, delisted: 0, rejected: 0, excluded: 0, allowlisted: 0,
      bytes: 0, error: 'network: connection refused', etag: null, lastModified: null, finishedAt: Date.now() - 59_000,
    });
  });
  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('dashboard: the totals, the added-per-day table and the source health are the API\'s', async () => {
    const c = await signedIn('analyst');
    const stats = await get('/api/v1/stats');
    const sources = (await get('/api/v1/sources')).data as Json[];
    await c.goto('/');
    await c.page.locator('[data-figure="all"]').waitFor();
    const figure = async (name: string) => Number((await c.page.locator(`[data-figure="${name}"]`).innerText()).replace(/,/g, ''));
    assert.equal(await figure('all'), stats.totals.all);
    for (const [k, v] of Object.entries(stats.totals.by_status)) assert.equal(await figure(`status:${k}`), v, k);
    for (const [k, v] of Object.entries(stats.totals.by_type)) assert.equal(await figure(`type:${k}`), v, k);
    for (const [k, v] of Object.entries(stats.totals.by_band)) assert.equal(await figure(`band:${k}`), v, k);
    assert.ok(stats.totals.all >= 165, 'the seeded IOCs are counted');

    // The chart is drawn, and its figures are in the table under it.
    assert.ok(stats.added_per_day.length > 0, 'the seeded runs added IOCs');
    await c.page.locator('.chart canvas').first().waitFor();
    await c.page.getByText("The chart's figures as a table").click();
    const table = c.page.locator('table.added-table');
    const heads = await table.locator('thead th').allInnerTexts();
    for (const row of stats.added_per_day as Array<{ day: string; source: string; new: number }>) {
      const col = heads.indexOf(row.source);
      assert.ok(col > 0, `a column for ${row.source}`);
      const cells = await table.locator('tbody tr', { has: c.page.locator(`th:text-is("${row.day}")`) }).locator('th, td').allInnerTexts();
      assert.equal(Number(cells[col]!.replace(/,/g, '')), row.new, `${row.day} ${row.source}`);
    }

    // Source health: every source, its last run's figures, and the failing one says so in words.
    for (const s of sources) {
      const row = c.page.locator(`tr[data-source="${s.id}"]`);
      assert.equal(await row.count(), 1, s.id);
      if (s.last_run) {
        const cells = await row.locator('td').allInnerTexts();
        assert.equal(Number(cells[4]!.replace(/,/g, '')), s.last_run.records, `${s.id} records`);
        assert.equal(Number(cells[5]!.replace(/,/g, '')), s.last_run.new, `${s.id} new`);
      }
    }
    const urlhaus = sources.find((s) => s.id === 'urlhaus')!;
    assert.equal(urlhaus.last_run.outcome, 'failed');
    assert.match(await c.page.locator('tr[data-source="urlhaus"]').innerText(), /failing[\s\S]*network: connection refused/i);
    const feodo = sources.find((s) => s.id === 'feodo')!;
    assert.match(await c.page.locator('tr[data-source="feodo"] .state').innerText(), feodo.health.stale ? /stale/i : /ok/i);
    await c.screenshot('analyst-dashboard');
    await c.close();
  });

  it('search: a filter from the form lands in the URL, paging to the end gives the API\'s list, the exports carry the filter', async () => {
    const c = await signedIn('analyst');
    await c.goto('/search');
    await c.page.getByLabel('Type').selectOption('ipv4');
    await c.page.getByLabel('Confidence band').selectOption('medium');
    await c.page.getByRole('button', { name: 'Search', exact: true }).click();
    await c.page.waitForURL(/\/search\?type=ipv4&confidence=medium$/);
    await c.page.getByLabel('Per page').selectOption('25');
    await c.page.waitForURL(/limit=25/);

    const expected = await allIds('type=ipv4&confidence=medium');
    assert.ok(expected.length > 25, `more than one page (${expected.length})`);
    const seen: string[] = [];
    for (let pages = 0; pages < 20; pages++) {
      await c.page.locator('table.results tbody tr').first().waitFor();
      await c.page.getByRole('status').filter({ hasText: /on this page/ }).waitFor();
      seen.push(...(await c.page.locator('table.results tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id') ?? ''))));
      const next = c.page.getByRole('button', { name: 'Next page' });
      if (await next.isDisabled()) break;
      const url = c.page.url();
      await next.click();
      await c.page.waitForURL((u) => u.toString() !== url);
      assert.match(c.page.url(), /cursor=/, 'the page is in the URL');
    }
    assert.deepEqual(seen, expected, 'every row, once, in the API order');

    // First page goes back; a row links to its detail.
    await c.page.getByRole('button', { name: 'First page' }).click();
    await c.page.waitForURL((u) => !u.search.includes('cursor='));
    await c.page.locator(`tr[data-id="${expected[0]}"]`).waitFor();
    assert.equal(await c.page.locator(`tr[data-id="${expected[0]}"] a`).getAttribute('href'), `/iocs/${expected[0]}`);

    // The CSV export downloads the whole selection with the filters of the page.
    const fields = await c.page.locator('form[data-export="file"] input[type=hidden]').evaluateAll((els) => els.map((e) => [e.getAttribute('name'), e.getAttribute('value')]));
    assert.deepEqual(fields, [['type', 'ipv4'], ['confidence', 'medium']]);
    const [download] = await Promise.all([c.page.waitForEvent('download'), c.page.getByRole('button', { name: 'CSV' }).click()]);
    const url = new URL(download.url());
    assert.equal(url.pathname, '/api/v1/iocs/export');
    assert.deepEqual(Object.fromEntries(url.searchParams), { type: 'ipv4', confidence: 'medium', format: 'csv' });
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    assert.equal(csv.length, expected.length + 1, 'a header and one line per IOC of the selection');
    assert.equal(await c.page.locator('form[data-export="stix"] input[name=type]').getAttribute('value'), 'ipv4', 'the STIX export too (Pro)');
    await c.screenshot('analyst-search');
    await c.close();
  });

  it('detail: the IOC, its sources (the reference as text), its versions and the current STIX object', async () => {
    const c = await signedIn('analyst');
    const ioc = await get(`/api/v1/iocs/${encodeURIComponent(EXTRA[0]!.value)}`);
    const versions = await get(`/api/v1/iocs/${ioc.id}/versions`);
    await c.goto(`/search?q=${encodeURIComponent(ioc.value)}`);
    await c.page.locator(`tr[data-id="${ioc.id}"] a`).click();
    await c.page.waitForURL(`**/iocs/${ioc.id}`);
    await c.page.locator('dl.facts').waitFor();
    assert.match(await c.page.locator('h1').innerText(), /hxxp:\/\/malicious-3\[\.\]example\[\.\]net/);
    const rows = c.page.locator('table.sightings tbody tr');
    assert.equal(await rows.count(), ioc.sightings.length);
    assert.match(await rows.first().innerText(), /https:\/\/tracker\.example\/entry\/42/);
    assert.equal(await c.page.locator('table.sightings a').count(), 0, 'the reference is not a link');
    await c.page.locator('ol.versions').waitFor();
    assert.equal(await c.page.locator('ol.versions > li').count(), versions.data.length);
    assert.deepEqual(JSON.parse(await c.page.locator('pre.json').innerText()), versions.data[0].object);
    await c.close();
  });

  it('an analyst revokes an IOC (TAXII serves it revoked) and allow-lists another, each with a reason and a confirmation', async () => {
    const c = await signedIn('analyst');
    const ioc = await get('/api/v1/iocs/revoke-me.example.org');
    await c.goto(`/iocs/${ioc.id}`);
    await c.page.getByRole('button', { name: 'Revoke…' }).click();
    await c.page.locator('#revoke-reason').fill('false positive: browser test');
    await c.page.getByRole('button', { name: 'Revoke', exact: true }).click();
    assert.equal((await get(`/api/v1/iocs/${ioc.id}`)).status, 'active', 'nothing happens before the confirmation');
    await c.page.getByRole('button', { name: 'Confirm: revoke' }).click();
    await c.page.locator('[data-field="status"]', { hasText: 'revoked' }).waitFor();
    const taxii = await fetch(`${srv.base}/api/taxii2/api/collections/all-iocs/objects/?match[id]=${ioc.id}`, {
      headers: { authorization: `Bearer ${srv.keys.analyst}`, accept: 'application/taxii+json;version=2.1' },
    });
    assert.deepEqual(((await taxii.json()) as Json).objects.map((o: Json) => [o.id, o.revoked]), [[ioc.id, true]], 'a polling SIEM reads it revoked');
    assert.ok(!(await allIds('type=domain')).includes(ioc.id), 'gone from the active list');
    assert.equal(srv.audits.find((a) => a.event.action === 'ioc.revoke' && a.event.target === ioc.id)?.event.details?.reason, 'false positive: browser test');
    assert.ok((await c.page.locator('ol.versions > li').count()) >= 2, 'the page reloaded the versions');

    const other = await get('/api/v1/iocs/allow-me.example.org');
    await c.goto(`/iocs/${other.id}`);
    await c.page.getByRole('button', { name: 'Allow-list…' }).click();
    await c.page.locator('#allow-reason').fill('our partner');
    await c.page.getByRole('button', { name: 'Allow-list', exact: true }).click();
    await c.page.getByRole('button', { name: 'Confirm: allow-list' }).click();
    await c.page.getByRole('status').filter({ hasText: 'Allow-listed; 1 IOC revoked.' }).waitFor();
    assert.equal(await c.page.locator('[data-field="status"]').innerText(), 'revoked');
    const list = (await get('/api/v1/allowlist')).data as Json[];
    assert.ok(list.some((e) => e.value === 'allow-me.example.org' && e.reason === 'our partner'));
    await c.screenshot('analyst-detail-revoked');
    await c.close();
  });

  it('lookup: a pasted text gives the API\'s verdicts in words, links to details, and copies the listed values', async () => {
    const c = await signedIn('analyst');
    const text = 'Blocked 198.51.100.7 and hxxp://malicious-5[.]example[.]net/x from 203.0.113.9; 8.8.8.8 was fine.';
    const api = await fetch(`${srv.base}/api/v1/lookup`, { method: 'POST', headers: { authorization: `Bearer ${srv.keys.analyst}`, 'content-type': 'text/plain' }, body: text });
    const answer = (await api.json()) as Json;
    await c.goto('/lookup');
    assert.match(await c.page.locator('[data-limit]').innerText(), /10,000/, "the plan's batch size");
    await c.page.getByLabel('Text or values to look up').fill(text);
    await c.page.getByRole('button', { name: 'Look up' }).click();
    await c.page.locator('table.verdicts').waitFor();
    const rows = await c.page.locator('table.verdicts tbody tr').evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-value'), r.getAttribute('data-verdict')]));
    assert.deepEqual(rows, answer.data.map((d: Json) => [d.value, d.verdict]));
    assert.deepEqual(new Set(answer.data.map((d: Json) => d.verdict)), new Set(['listed', 'listed-host', 'listed-network', 'unknown']), 'the text covers four verdicts');
    const words = await c.page.locator('table.verdicts .verdict').allInnerTexts();
    assert.deepEqual(words, answer.data.map((d: Json) => ({ listed: 'Listed', 'listed-host': 'Listed host', 'listed-network': 'Listed in a network', unknown: 'Unknown' })[d.verdict as string]));
    const network = c.page.locator('tr[data-verdict="listed-network"]');
    assert.match(await network.innerText(), /network 203\[\.\]0\[\.\]113\[\.\]0\/24/);
    assert.equal(await network.locator('a').getAttribute('href'), `/iocs/${answer.data.find((d: Json) => d.verdict === 'listed-network').ioc_ids[0]}`);
    assert.equal(await c.page.locator('tr[data-verdict="unknown"] a').count(), 0);

    await c.page.getByRole('button', { name: /Copy the listed ones/ }).click();
    await c.page.getByText(/Copied 3 listed values/).waitFor();
    const copied = await c.page.evaluate('navigator.clipboard.readText()');
    assert.equal(copied, answer.data.filter((d: Json) => d.verdict !== 'unknown').map((d: Json) => d.value).join('\n'), 'the real values, one per line');
    await c.screenshot('analyst-lookup');
    await c.close();
  });

  it('a free account: Pro notices on search and detail, no analyst actions, its batch limit and a 413 explained', async () => {
    const c = await signedIn('free');
    await c.goto('/search?type=domain');
    await c.page.locator('table.results tbody tr').first().waitFor();
    assert.match(await c.page.locator('.exports .notice').innerText(), /Pro plan/);
    assert.equal(await c.page.locator('form[data-export="stix"]').count(), 0);
    assert.equal(await c.page.locator('form[data-export="file"]').count(), 1, 'CSV and JSON for every plan');

    const ioc = await get('/api/v1/iocs/198.51.100.7');
    await c.goto(`/iocs/${ioc.id}`);
    await c.page.locator('dl.facts').waitFor();
    assert.match(await c.page.locator('.notice').innerText(), /Pro plan/);
    assert.equal(await c.page.locator('pre.json').count(), 0);
    assert.equal(await c.page.getByRole('button', { name: /Revoke|Allow-list/ }).count(), 0);
    assert.match(await c.page.locator('main').innerText(), /need the analyst role/);

    await c.goto('/lookup');
    assert.match(await c.page.locator('[data-limit]').innerText(), /^100$/);
    await c.page.getByLabel('Text or values to look up').fill(Array.from({ length: 101 }, (_, i) => `198.51.${Math.floor(i / 200)}.${(i % 200) + 1}`).join('\n'));
    await c.page.getByRole('button', { name: 'Look up' }).click();
    const alert = c.page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /at most 100 values[\s\S]*Pro plan/);
    forgive(c, 413);
    await c.screenshot('analyst-free-lookup');
    await c.close();
  });
});
