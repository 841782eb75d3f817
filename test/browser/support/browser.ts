import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CONSOLE_DIR } from '../../../src/http/console.js';
import type { Observation } from '../../../src/store/types.js';
import { observation, source } from '../../support/builders.js';
import { startServer, type ServerExtras, type TestServer } from '../../support/server.js';
import type { SqliteTestStore } from '../../support/stores.js';

/**
 * The browser tests' harness (issue 16): Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it) driven
 * by playwright-core against a real server on loopback serving the built console (npm test builds it first).
 *
 *   const b = await launchBrowser();                      // one per test file (after(() => b.close()))
 *   const srv = await consoleServer();                    // startServer + seeded data + the console's accounts
 *   const c = await openConsole(b, srv);                  // a fresh context (no cookies) and page
 *   await c.signIn(ACCOUNTS.analyst);                     // through the sign-in form; lands on the dashboard
 *   await c.goto('/search?type=ipv4');                    // a console path; waits for the page's <h1>
 *   await c.screenshot('search');                         // test-output/screenshots/search.png
 *   c.assertClean();                                      // no console error, page error, dialog or CSP violation so far
 *   await c.close();
 *
 * Every console error, uncaught page error, dialog (alert/confirm/prompt opened by the page: dismissed and recorded)
 * and Content-Security-Policy violation is recorded in `c.problems`; `close()` asserts there were none, so a test
 * that forgets to check still fails. Tests that expect a confirm() of their own call `c.acceptDialogs()` first.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');

/** The console's accounts, made by consoleServer(): one per plan and role. */
export const ACCOUNTS = {
  admin: { email: 'admin@example.com', plan: 'admin' as const },
  analyst: { email: 'analyst@example.com', plan: 'pro' as const, roles: ['analyst'] as const },
  free: { email: 'free@example.com', plan: 'free' as const },
};
export type AccountName = keyof typeof ACCOUNTS;

export async function launchBrowser(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  assert.ok(existsSync(join(CONSOLE_DIR, 'index.html')), 'the console is not built: npm run build:web');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root in a container; no network beyond loopback: no background fetches, no component updates.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export interface ConsoleServer extends TestServer {
  /** The keys of ACCOUNTS, by name. */
  keys: Record<AccountName, string>;
}

const T = Date.now() - 2 * 86_400_000;

/** What every console test sees: two sources and a mix of IOCs, with runs; hostile values come from the tests. */
export function seedObservations(): Observation[] {
  const obs: Observation[] = [];
  for (let i = 0; i < 120; i++) obs.push(observation({ type: 'ipv4', value: `198.51.100.${i + 1}`, confidence: (i * 7) % 100, sectors: i % 4 === 0 ? ['energy'] : [], tags: ['scanner'], firstSeen: T, lastSeen: T }));
  for (let i = 0; i < 40; i++) obs.push(observation({ type: 'domain', value: `malicious-${i}.example.net`, confidence: 85, malware: ['emotet'], firstSeen: T, lastSeen: T }));
  obs.push(observation({ type: 'ipv4', value: '203.0.113.0/24', confidence: 75, firstSeen: T, lastSeen: T }));
  obs.push(observation({ type: 'sha256', value: 'a'.repeat(64), confidence: 95, malware: ['lockbit'], firstSeen: T, lastSeen: T }));
  return obs;
}

/** A server with the console, the seeded IOCs (recorded as runs of two sources) and the console's accounts. */
export async function consoleServer(opts: { extra?: Observation[]; extras?: ServerExtras } = {}): Promise<ConsoleServer> {
  const srv = await startServer(undefined, async (store: SqliteTestStore) => {
    await store.upsertSource(source({ id: 'feodo', name: 'Feodo Tracker' }));
    await store.upsertSource(source({ id: 'urlhaus', name: 'URLhaus' }));
    const all = [...seedObservations(), ...(opts.extra ?? [])];
    for (const [src, part] of [['feodo', all.slice(0, 100)], ['urlhaus', all.slice(100)]] as const) {
      const run = await store.startRun(src, T);
      const r = await store.upsertObservations(src, part, T);
      await store.finishRun(run, {
        outcome: 'ok', records: part.length, inserted: r.inserted, updated: r.updated, unchanged: r.unchanged, delisted: 0, rejected: 0, excluded: 0, allowlisted: 0,
        bytes: 1000, error: null, etag: null, lastModified: null, finishedAt: T + 2000,
      });
    }
  }, opts.extras);
  const keys = {} as Record<AccountName, string>;
  for (const [name, a] of Object.entries(ACCOUNTS) as Array<[AccountName, (typeof ACCOUNTS)[AccountName]]>) {
    if ('roles' in a) {
      await srv.store.createAccount(a.email, a.plan, Date.now(), [...a.roles]);
      keys[name] = await srv.keyFor(a.email, a.plan);
    } else keys[name] = await srv.keyFor(a.email, a.plan);
  }
  return Object.assign(srv, { keys });
}

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  problems: string[];
  goto(path: string): Promise<void>;
  signIn(account: AccountName): Promise<void>;
  screenshot(name: string): Promise<string>;
  /** Accept the page's own confirm() dialogs from now on (they are not recorded as problems). */
  acceptDialogs(): void;
  assertClean(): void;
  close(): Promise<void>;
}

export async function openConsole(browser: Browser, srv: ConsoleServer): Promise<ConsolePage> {
  const context = await browser.newContext({ baseURL: srv.base, viewport: { width: 1366, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.base });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  let accept = false;
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    if (accept && d.type() === 'confirm') void d.accept();
    else {
      problems.push(`dialog (${d.type()}): ${d.message()}`);
      void d.dismiss();
    }
  });
  // A CSP violation is also a console error in Chromium; the event names the directive.
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
  });
  const c: ConsolePage = {
    page,
    context,
    problems,
    async goto(path) {
      await page.goto(path);
      await page.locator('h1').first().waitFor();
    },
    async signIn(account) {
      await page.goto('/signin');
      await page.getByLabel('Email').fill(ACCOUNTS[account].email);
      await page.getByLabel('API key').fill(srv.keys[account]);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
    },
    async screenshot(name) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    acceptDialogs() {
      accept = true;
    },
    assertClean() {
      assert.deepEqual(problems, [], 'no console error, page error, dialog or CSP violation');
    },
    async close() {
      await context.close();
      c.assertClean();
    },
  };
  return c;
}

/** axe-core's serious and critical violations on the current page (the page's CSP does not apply to injected scripts). */
export async function axeViolations(page: Page): Promise<Array<{ id: string; impact: string; help: string; nodes: string[] }>> {
  const { createRequire } = await import('node:module');
  const { readFileSync } = await import('node:fs');
  // Evaluated through DevTools, which the page's CSP does not govern (a <script> tag would be refused, and reported).
  await page.evaluate(readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
  const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as {
    violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }>;
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
}
