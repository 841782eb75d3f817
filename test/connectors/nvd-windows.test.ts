import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { runSource, type RunReport } from '../../src/connectors/pipeline/runner.js';
import { resolveSources, type ResolvedSource } from '../../src/connectors/catalog/source-config.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { nvd } from '../../src/connectors/catalog/sources/nvd.js';
import { sqliteStore } from '../support/stores.js';

const DAY = 86_400_000;
const MAX_WINDOW = 120 * DAY;
const NOW = Date.UTC(2026, 10, 20, 12);
const { ingest } = resolveSources(CATALOG, {}, {});
const src: ResolvedSource = { def: nvd, enabled: true, reason: undefined, apiKey: undefined, username: undefined, custom: false, scheduleMs: 2 * 3_600_000, minIntervalMs: 0 };

/** An ISO 8601 time with an explicit offset, as the CVE API 2.0 demands since 2025-07. */
const OFFSET_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?(Z|[+-]\d\d:\d\d)$/;

/**
 * A stand-in for the NVD CVE API 2.0 on loopback: it refuses, as NVD does (404 with a `message` header and no body),
 * a window missing a bound, without a UTC offset, longer than 120 days, reversed, or ending after `now`; records every
 * window asked; and pages CVEs modified in the window by startIndex/resultsPerPage.
 */
class NvdStandIn {
  now = NOW;
  /** CVE id → lastModified (epoch ms). */
  cves = new Map<string, number>();
  asked: Array<{ start: number; end: number; startIndex: number }> = [];
  refused: string[] = [];
  private server: Server | undefined;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const startText = q.get('lastModStartDate');
      const endText = q.get('lastModEndDate');
      const refuse = (message: string) => {
        this.refused.push(`${startText} → ${endText}: ${message}`);
        res.writeHead(404, { message, 'content-length': '0' }).end();
      };
      if (!startText || !endText) return refuse('Both lastModStartDate and lastModEndDate are required when either is present');
      if (!OFFSET_TIME.test(startText) || !OFFSET_TIME.test(endText)) return refuse('Invalid ISO 8601 date/time format, see documentation.');
      const start = Date.parse(startText);
      const end = Date.parse(endText);
      if (end < start) return refuse('The lastModEndDate must be after the lastModStartDate');
      if (end - start > MAX_WINDOW) return refuse('The date range must not exceed 120 days');
      if (end > this.now) return refuse('The lastModEndDate may not be in the future');
      const startIndex = Number(q.get('startIndex') ?? 0);
      const size = Number(q.get('resultsPerPage') ?? 2000);
      this.asked.push({ start, end, startIndex });
      const hits = [...this.cves].filter(([, t]) => t >= start && t <= end).sort((a, b) => a[1] - b[1]);
      const page = hits.slice(startIndex, startIndex + size).map(([id, t]) => ({
        cve: { id, sourceIdentifier: 'cve@mitre.org', published: new Date(t - DAY).toISOString().slice(0, 23), lastModified: new Date(t).toISOString().slice(0, 23), vulnStatus: 'Analyzed', descriptions: [{ lang: 'en', value: `${id} test entry` }] },
      }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        resultsPerPage: page.length, startIndex, totalResults: hits.length, format: 'NVD_CVE', version: '2.0',
        timestamp: new Date(this.now).toISOString().slice(0, 23), vulnerabilities: page,
      }));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  rewrite = (url: string): string => url.replace('https://services.nvd.nist.gov', this.base);

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

/**
 * Issue 12 §2.6: the CVE API 2.0 refuses a lastMod window longer than 120 days and one ending in the future. After a
 * long outage the gap is walked in consecutive windows of at most 120 days, oldest first, the last ending at the
 * run's time (never past it).
 */
describe('nvd: lastMod windows of at most 120 days, never past now', () => {
  const nvdServer = new NvdStandIn();
  before(() => nvdServer.start());
  after(() => nvdServer.stop());
  beforeEach(() => {
    nvdServer.asked = [];
    nvdServer.refused = [];
    nvdServer.cves.clear();
  });

  const run = async (store: Awaited<ReturnType<typeof sqliteStore>>, now: number, sleeps: number[] = []): Promise<RunReport> => {
    nvdServer.now = now;
    return runSource(src, { store, settings: ingest, clock: () => now, rewriteUrl: nvdServer.rewrite, sleep: async (ms) => void sleeps.push(ms) });
  };

  it('a first run asks one 30-day window that ends now, not later today', async () => {
    const store = await sqliteStore();
    try {
      nvdServer.cves.set('CVE-2026-41877', NOW - 3_600_000);
      const r = await run(store, NOW);
      assert.deepEqual(nvdServer.refused, []);
      assert.equal(r.outcome, 'ok', String(r.error));
      assert.deepEqual(nvdServer.asked, [{ start: NOW - 30 * DAY, end: NOW, startIndex: 0 }]);
      assert.equal(r.inserted, 1);
    } finally {
      await store.close();
    }
  });

  it('after a 300-day outage: three consecutive windows (120, 120, 60 days), every CVE of the gap stored', async () => {
    const store = await sqliteStore();
    try {
      const last = NOW - 300 * DAY;
      nvdServer.cves.set('CVE-2025-10001', last - 2 * DAY);
      assert.equal((await run(store, last)).outcome, 'ok');
      nvdServer.asked = [];
      // Modified during the outage, one in each window, and one past the first 120 days by a minute.
      nvdServer.cves.set('CVE-2025-20001', last + 10 * DAY);
      nvdServer.cves.set('CVE-2025-20002', last + MAX_WINDOW + 60_000);
      nvdServer.cves.set('CVE-2026-20003', last + 200 * DAY);
      nvdServer.cves.set('CVE-2026-20004', NOW - 60_000);
      const sleeps: number[] = [];
      const r = await run(store, NOW, sleeps);
      assert.deepEqual(nvdServer.refused, [], 'no window refused');
      assert.equal(r.outcome, 'ok', String(r.error));
      assert.deepEqual(nvdServer.asked.map((w) => [(w.start - last) / DAY, (w.end - last) / DAY]), [[0, 120], [120, 240], [240, 300]]);
      for (const w of nvdServer.asked) {
        assert.ok(w.end - w.start <= MAX_WINDOW, 'at most 120 days');
        assert.ok(w.end <= NOW, 'never past now');
      }
      assert.equal(r.inserted, 4, 'every CVE modified during the outage');
      assert.ok(sleeps.filter((ms) => ms === 6000).length >= 2, 'the rate-limit pause applies between windows too');
    } finally {
      await store.close();
    }
  });

  it('pages within a window (startIndex) and then moves to the next window', async () => {
    const store = await sqliteStore();
    try {
      const last = NOW - 130 * DAY;
      nvdServer.cves.set('CVE-2025-10001', last - DAY);
      await run(store, last);
      nvdServer.asked = [];
      for (let i = 0; i < 2500; i++) nvdServer.cves.set(`CVE-2025-3${String(i).padStart(4, '0')}`, last + DAY + i * 1000);
      nvdServer.cves.set('CVE-2026-49999', NOW - DAY);
      const r = await run(store, NOW);
      assert.equal(r.outcome, 'ok', String(r.error));
      assert.deepEqual(nvdServer.asked.map((w) => [(w.start - last) / DAY, (w.end - last) / DAY, w.startIndex]), [[0, 120, 0], [0, 120, 2000], [120, 130, 0]]);
      assert.equal(r.inserted, 2501);
    } finally {
      await store.close();
    }
  });
});
