import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { networkDown, runSources, type RunReport } from '../../src/connectors/pipeline/runner.js';
import { IngestScheduler, type SchedulerLog } from '../../src/connectors/pipeline/scheduler.js';
import { resolveSources, type ResolvedSource } from '../../src/connectors/catalog/source-config.js';
import type { SourceDefinition } from '../../src/connectors/catalog/source-definition.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { genericSource } from '../../src/connectors/catalog/sources/generic.js';
import { FetchError, fetchSource } from '../../src/connectors/transport/fetch-source.js';
import { FeedServer } from '../support/feed-server.js';
import { sqliteStore } from '../support/stores.js';

const T0 = Date.UTC(2026, 10, 20, 12);
const { ingest } = resolveSources(CATALOG, {}, {});
const resolved = (def: SourceDefinition): ResolvedSource => ({
  def, enabled: true, reason: undefined, apiKey: undefined, username: undefined, custom: true, scheduleMs: 3_600_000, minIntervalMs: 0,
});
/** RFC 2606 reserves `.invalid`: it never resolves, so these fail on DNS without any real name server being asked for a real name. */
const unresolvable = (id: string) => genericSource({ id, generic: 'text', url: `https://${id}.feeds.invalid/list.txt` });

/** A fetch that fails as undici does when the resolver answers `code` (TypeError "fetch failed", the cause carries the code). */
const failingWith = (code: string, calls: string[]): typeof fetch => async (input) => {
  calls.push(String(input));
  const cause = Object.assign(new Error(`getaddrinfo ${code} feeds.example.org`), { code, syscall: 'getaddrinfo', hostname: 'feeds.example.org' });
  throw new TypeError('fetch failed', { cause });
};

/**
 * Issue 12 §2.9: offline, every source spent ~14 s retrying a DNS failure three times. A host name that does not
 * resolve fails at once; and when every source of a run fails on the network, the run says so in one line.
 */
describe('offline runs: DNS failures are final, and an all-down run says so once', () => {
  describe('fetchSource: which DNS answers are retried', () => {
    for (const code of ['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA']) {
      it(`${code}: one attempt, no backoff, a network failure that says the name did not resolve`, async () => {
        const calls: string[] = [];
        const sleeps: number[] = [];
        const err = await fetchSource({ url: 'https://feeds.example.org/x', userAgent: 'test', fetchImpl: failingWith(code, calls), sleep: async (ms) => void sleeps.push(ms) }).then(
          () => assert.fail('resolved'),
          (e: unknown) => e as FetchError,
        );
        assert.ok(err instanceof FetchError);
        assert.equal(err.kind, 'network');
        assert.equal(err.attempts, 1);
        assert.equal(calls.length, 1, 'not retried');
        assert.deepEqual(sleeps, [], 'no backoff');
        assert.match(err.message, new RegExp(code));
        assert.match(err.message, /resolve|DNS/);
      });
    }

    it('a connection reset is still retried with backoff (a passing fault)', async () => {
      const calls: string[] = [];
      const sleeps: number[] = [];
      const err = await fetchSource({ url: 'https://feeds.example.org/x', userAgent: 'test', retries: 3, backoffMs: 10, fetchImpl: failingWith('ECONNRESET', calls), sleep: async (ms) => void sleeps.push(ms) }).catch((e: unknown) => e as FetchError);
      assert.equal(err.attempts, 4);
      assert.equal(calls.length, 4);
      assert.deepEqual(sleeps, [10, 20, 40]);
    });
  });

  describe('runSources against hosts that never resolve (.invalid)', () => {
    const server = new FeedServer();
    before(() => server.start());
    after(() => server.stop());

    /** The real fetch, counted: the attempts each run makes. */
    const counting = () => {
      const calls: string[] = [];
      const impl: typeof fetch = (input, init) => {
        calls.push(String(input));
        return fetch(input, init);
      };
      return { calls, impl };
    };

    it('every source fails at once (one attempt each, no backoff) and the run says so in one line', async () => {
      const store = await sqliteStore();
      try {
        const { calls, impl } = counting();
        const sleeps: number[] = [];
        const perSource: RunReport[] = [];
        const lines: string[] = [];
        const defs = ['alpha', 'bravo', 'charlie'].map(unresolvable);
        const reports = await runSources(defs.map(resolved), { store, settings: ingest, clock: () => T0, fetchImpl: impl, sleep: async (ms) => void sleeps.push(ms) }, {
          onReport: (r) => perSource.push(r),
          onNetworkDown: (line) => lines.push(line),
        });
        assert.deepEqual(reports.map((r) => r.outcome), ['failed', 'failed', 'failed']);
        assert.equal(calls.length, 3, `one attempt per source, not four: ${calls.join(', ')}`);
        assert.deepEqual(sleeps, [], 'no backoff between attempts');
        for (const r of reports) assert.match(String(r.error), /^network: .*(ENOTFOUND|EAI_AGAIN)/);
        assert.equal(lines.length, 1, 'one line for the run');
        assert.match(lines[0]!, /^no source could be reached: the network looks down \(3 sources, first error: network: .*alpha\.feeds\.invalid.*\)$/);
        assert.deepEqual(perSource, [], 'instead of one failure report per source');
        assert.equal(networkDown(reports), lines[0]);
      } finally {
        await store.close();
      }
    });

    it('one reachable source: no "network down" line, every failure reported on its own', async () => {
      const store = await sqliteStore();
      try {
        const healthy = genericSource({ id: 'healthy', generic: 'text', url: 'https://feeds.example.invalid/healthy.txt' });
        server.handlers.set('https://feeds.example.invalid/healthy.txt', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('45.133.1.20\n'));
        const rewrite = (u: string) => (u.includes('/healthy.txt') ? server.rewrite(u) : u);
        const perSource: string[] = [];
        const lines: string[] = [];
        const reports = await runSources([unresolvable('alpha'), unresolvable('bravo'), healthy].map(resolved), { store, settings: ingest, clock: () => T0, rewriteUrl: rewrite, sleep: async () => {} }, {
          onReport: (r) => perSource.push(`${r.source} ${r.outcome}`),
          onNetworkDown: (line) => lines.push(line),
        });
        assert.deepEqual(reports.map((r) => r.outcome), ['failed', 'failed', 'ok']);
        assert.deepEqual(lines, []);
        assert.deepEqual(perSource, ['alpha failed', 'bravo failed', 'healthy ok'], 'held failures are reported, in order, once a source gets through');
        assert.equal(networkDown(reports), undefined);
      } finally {
        await store.close();
      }
    });

    it('without an onNetworkDown handler the failures are reported one by one, as before', async () => {
      const store = await sqliteStore();
      try {
        const perSource: string[] = [];
        await runSources(['alpha', 'bravo'].map(unresolvable).map(resolved), { store, settings: ingest, clock: () => T0, sleep: async () => {} }, { onReport: (r) => perSource.push(r.source) });
        assert.deepEqual(perSource, ['alpha', 'bravo']);
      } finally {
        await store.close();
      }
    });

    it('offline, a source that was not attempted (disabled) is still reported on its own', async () => {
      const store = await sqliteStore();
      try {
        const perSource: string[] = [];
        const lines: string[] = [];
        const off = { ...resolved(unresolvable('delta')), enabled: false, reason: 'disabled in the configuration' };
        await runSources([resolved(unresolvable('alpha')), off, resolved(unresolvable('bravo'))], { store, settings: ingest, clock: () => T0, sleep: async () => {} }, {
          onReport: (r) => perSource.push(`${r.source} ${r.outcome}`),
          onNetworkDown: (line) => lines.push(line),
        });
        assert.deepEqual(perSource, ['delta disabled']);
        assert.equal(lines.length, 1);
        assert.match(lines[0]!, /\(2 sources, /);
      } finally {
        await store.close();
      }
    });
  });

  describe('networkDown: which runs look like "the network is down"', () => {
    const report = (source: string, outcome: RunReport['outcome'], error: string | null = null, failure: RunReport['failure'] = null): RunReport => ({
      source, outcome, runId: 1, records: 0, inserted: 0, updated: 0, unchanged: 0, delisted: 0, rejected: 0, allowlisted: 0, excluded: 0, exclusions: [], skipped: {}, problems: [],
      bytes: 0, durationMs: 0, error, failure,
    });
    const dns = (s: string) => report(s, 'failed', `network: fetch failed: getaddrinfo ENOTFOUND ${s}.example`, 'network');
    it('every attempted source failed on the network (skipped, disabled and too-soon ones do not count)', () => {
      const line = networkDown([dns('a'), report('k', 'skipped', 'needs-key'), dns('b'), report('d', 'disabled', 'disabled'), report('t', 'too-soon')]);
      assert.equal(line, 'no source could be reached: the network looks down (2 sources, first error: network: fetch failed: getaddrinfo ENOTFOUND a.example)');
    });
    it('timeouts count as the network too', () => {
      assert.match(String(networkDown([dns('a'), report('b', 'failed', 'timeout: no answer within 60000 ms', 'timeout')])), /\(2 sources/);
    });
    it('not when one source succeeded, failed otherwise (HTTP 500, a bad file), or only one source ran', () => {
      assert.equal(networkDown([dns('a'), report('b', 'ok')]), undefined);
      assert.equal(networkDown([dns('a'), report('b', 'failed', 'http: HTTP 500 after 4 attempts', 'http')]), undefined);
      assert.equal(networkDown([dns('a'), report('b', 'failed', 'page 1 is not JSON')]), undefined);
      assert.equal(networkDown([dns('a')]), undefined);
      assert.equal(networkDown([]), undefined);
    });
  });

  describe('the scheduler logs one line when every due source failed on the network', () => {
    class RecordingLog implements SchedulerLog {
      readonly calls: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
      info(obj: object, msg: string): void {
        this.calls.push({ level: 'info', obj: obj as Record<string, unknown>, msg });
      }
      warn(obj: object, msg: string): void {
        this.calls.push({ level: 'warn', obj: obj as Record<string, unknown>, msg });
      }
      error(obj: object, msg: string): void {
        this.calls.push({ level: 'error', obj: obj as Record<string, unknown>, msg });
      }
    }
    it('one warning naming the count and the first error, not one per source', async () => {
      const store = await sqliteStore();
      try {
        const log = new RecordingLog();
        const scheduler = new IngestScheduler(['alpha', 'bravo', 'charlie'].map(unresolvable).map(resolved), { store, settings: ingest, clock: () => T0, sleep: async () => {} }, log);
        const reports = await scheduler.runDue();
        await scheduler.stop();
        assert.equal(reports.length, 3);
        const warns = log.calls.filter((c) => c.level === 'warn');
        assert.equal(warns.length, 1, JSON.stringify(warns));
        assert.match(warns[0]!.msg, /^no source could be reached: the network looks down \(3 sources, first error: network: /);
        assert.deepEqual(warns[0]!.obj.sources, ['alpha', 'bravo', 'charlie']);
      } finally {
        await store.close();
      }
    });
  });
});
