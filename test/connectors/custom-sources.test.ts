import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runSources, type RunnerDeps } from '../../src/connectors/pipeline/runner.js';
import { resolveSources, type ResolvedSource } from '../../src/connectors/catalog/source-config.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { BUILTIN_COLLECTIONS } from '../../src/domain/collections.js';
import { observation, source } from '../support/builders.js';
import { FeedServer } from '../support/feed-server.js';
import { startServer, type TestServer } from '../support/server.js';
import { sqliteStore, type SqliteTestStore } from '../support/stores.js';

/** No test here is about a limit: generous ones, which no healthy transfer reaches however loaded the machine. */
const TRANSPORT = { retries: 1, backoffMs: 1, idleTimeoutMs: 60_000, timeoutMs: 60_000, maxRetryAfterMs: 50 };
const NOW = Date.UTC(2026, 10, 1, 12);
const iso = (ms: number) => new Date(ms).toISOString();

const SHA256 = 'a7b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const UPSTREAM_SHA256 = '5f2b1c0e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c';

const CSV_URL = 'https://intel.example.invalid/partner/iocs.csv';
const TEXT_URL = 'https://intel.example.invalid/team/phishing-domains.txt';
const STIX_URL = 'https://intel.example.invalid/bundles/latest.json';

const BUNDLE = {
  type: 'bundle',
  id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d',
  objects: [
    {
      type: 'indicator', spec_version: '2.1', id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
      created: '2026-10-30T10:00:00.000Z', modified: '2026-10-31T10:00:00.000Z', name: 'Phishing kit infrastructure',
      indicator_types: ['malicious-activity'], pattern_type: 'stix', valid_from: '2026-10-30T10:00:00.000Z',
      pattern: "[ipv4-addr:value = '45.133.1.20'] OR [domain-name:value = 'evil-login-example.top']",
      labels: ['phishing'],
    },
    {
      type: 'vulnerability', spec_version: '2.1', id: 'vulnerability--0c7b5b88-8ff7-4a4d-aa9c-feb398cd0061',
      created: '2026-10-29T00:00:00.000Z', modified: '2026-10-29T00:00:00.000Z', name: 'CVE-2024-3094',
      external_references: [{ source_name: 'cve', external_id: 'CVE-2024-3094' }],
    },
    {
      type: 'identity', spec_version: '2.1', id: 'identity--f431f809-377b-45e0-aa1c-6a4751cae5ff',
      created: '2026-10-29T00:00:00.000Z', modified: '2026-10-29T00:00:00.000Z', name: 'Partner CERT', identity_class: 'organization',
    },
  ],
};

describe('custom sources (customSources with "generic")', () => {
  const feeds = new FeedServer();
  let upstream: TestServer;
  let store: SqliteTestStore;
  let proKey: string;
  const EMAIL = 'ingest@example.com';
  const sleeps: number[] = [];
  /** URLs the runner asked of the upstream TAXII server. */
  const taxiiRequests: string[] = [];

  /** What the upstream SOC Defenders server holds and serves over TAXII. */
  const UPSTREAM = [
    observation({ type: 'ipv4', value: '46.8.19.7', tags: ['scanner'] }),
    observation({ type: 'domain', value: 'upstream-c2-example.top', malware: ['asyncrat'] }),
    observation({ type: 'url', value: 'http://46.8.19.8/payload.bin' }),
    observation({ type: 'sha256', value: UPSTREAM_SHA256 }),
    observation({ type: 'cve', value: 'CVE-2023-4966' }),
  ];

  before(async () => {
    await feeds.start();
    upstream = await startServer();
    proKey = await upstream.keyFor(EMAIL, 'pro');
    await upstream.store.upsertSource(source({ id: 'upstream-feed', name: 'Upstream feed' }));
    await upstream.store.upsertObservations('upstream-feed', UPSTREAM, Date.UTC(2026, 9, 30));
    store = await sqliteStore();
  });
  after(async () => {
    await feeds.stop();
    await upstream.close();
    await store.close();
  });

  const objectsUrl = (collection: string) => `${upstream.base}/api/taxii2/api/collections/${collection}/objects/`;
  const resolve = (customSources: unknown[], sources: Record<string, unknown> = {}) => resolveSources(CATALOG, { customSources, sources }, {});
  const deps = (now = NOW): RunnerDeps => ({
    store, settings: resolve([]).ingest, clock: () => now, rewriteUrl: (u) => {
      if (!u.startsWith(upstream.base)) return feeds.rewrite(u);
      taxiiRequests.push(u);
      return u;
    },
    transport: TRANSPORT, sleep: async (ms) => void sleeps.push(ms),
  });
  const runOne = async (src: ResolvedSource, now = NOW) => {
    const [r] = await runSources([src], deps(now));
    assert.ok(r);
    assert.equal(r.outcome, 'ok', `${src.def.id}: ${r.error}; problems: ${r.problems.join(' | ')}`);
    return r;
  };
  const stored = async (id: string) =>
    (await store.queryIocs({ source: id, status: 'all', limit: 100 })).items.map((i) => `${i.type} ${i.value}`).sort();
  const sightingOf = async (value: string, sourceId: string) => {
    const ioc = (await store.queryIocs({ value, status: 'all', limit: 1 })).items[0];
    assert.ok(ioc, `${value} is stored`);
    const s = (await store.getIoc(ioc.id))!.sightings.find((x) => x.source === sourceId);
    assert.ok(s, `${value} has a sighting by ${sourceId}`);
    return { ioc, s };
  };

  it('generic csv with header none, custom columns, a delimiter and a field map', async () => {
    const { sources } = resolve([{
      id: 'partner-csv', generic: 'csv', url: CSV_URL, delimiter: ';', header: 'none',
      columns: ['seen', 'indicator', 'kind', 'family', 'score'],
      fields: {
        value: 'indicator', type: 'kind', typeMap: { ip: 'ipv4', dom: 'domain', link: 'url', hash: 'sha256' },
        malware: 'family', confidence: 'score', firstSeen: 'seen',
      },
    }]);
    const src = sources.find((s) => s.def.id === 'partner-csv');
    assert.ok(src);
    assert.equal(src.custom, true);
    assert.equal(src.enabled, true);
    feeds.handlers.set(CSV_URL, (_req, res) => res.writeHead(200, { 'content-type': 'text/csv' }).end([
      '# partner export',
      '2026-10-30 08:00:00;45.133.1.50;ip;Mirai;80',
      '2026-10-30 09:00:00;c2-panel-example.top;dom;AsyncRAT;60',
      '2026-10-30 10:00:00;http://45.133.1.51/bins/x86;link;Mirai;90',
      `2026-10-30 11:00:00;${SHA256};hash;;`,
      '2026-10-30 12:00:00;AS64500;asn;;',
      '',
    ].join('\n')));
    const r = await runOne(src);
    assert.equal(r.inserted, 4);
    assert.deepEqual(r.skipped, { 'type asn': 1 });
    assert.deepEqual(await stored('partner-csv'), [
      'domain c2-panel-example.top', 'ipv4 45.133.1.50', `sha256 ${SHA256}`, 'url http://45.133.1.51/bins/x86',
    ]);
    const ip = await sightingOf('45.133.1.50', 'partner-csv');
    assert.deepEqual(ip.ioc.malware, ['Mirai'], 'labels keep the source\'s spelling');
    assert.equal(ip.s.confidence, 80);
    assert.equal(iso(ip.s.firstSeen), '2026-10-30T08:00:00.000Z');
    assert.equal(ip.ioc.tlp, 'amber', 'a private list defaults to TLP:AMBER');
    const dom = await sightingOf('c2-panel-example.top', 'partner-csv');
    assert.deepEqual(dom.ioc.malware, ['AsyncRAT']);
    assert.equal(dom.s.confidence, 60);
  });

  it('generic text list with a declared type and tags', async () => {
    const { sources } = resolve([{ id: 'team-phish', generic: 'text', url: TEXT_URL, type: 'domain', tags: ['phishing'] }]);
    const src = sources.find((s) => s.def.id === 'team-phish')!;
    feeds.handlers.set(TEXT_URL, (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end([
      '# our phishing domains',
      'secure-login-verify-example.top',
      'Account-Update-Example.xyz',
      '45.133.1.60',
      '',
    ].join('\n')));
    const r = await runOne(src);
    assert.equal(r.inserted, 2);
    assert.equal(r.rejected, 1, 'an address in a domain-typed list is not a domain');
    assert.deepEqual(await stored('team-phish'), ['domain account-update-example.xyz', 'domain secure-login-verify-example.top']);
    const { ioc } = await sightingOf('secure-login-verify-example.top', 'team-phish');
    assert.deepEqual(ioc.tags, ['phishing']);
  });

  it('generic stix-bundle: an indicator with an OR pattern gives both values, a vulnerability its CVE', async () => {
    const { sources } = resolve([{ id: 'partner-stix', generic: 'stix-bundle', url: STIX_URL }]);
    const src = sources.find((s) => s.def.id === 'partner-stix')!;
    feeds.handlers.set(STIX_URL, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(BUNDLE)));
    const r = await runOne(src);
    assert.equal(r.inserted, 3);
    assert.deepEqual(r.skipped, { identity: 1 });
    assert.deepEqual(await stored('partner-stix'), ['cve CVE-2024-3094', 'domain evil-login-example.top', 'ipv4 45.133.1.20']);
    const ip = await sightingOf('45.133.1.20', 'partner-stix');
    assert.deepEqual(ip.ioc.tags, ['phishing']);
    assert.equal(iso(ip.s.firstSeen), '2026-10-30T10:00:00.000Z');
    assert.equal(ip.s.reference, 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f');
  });

  const upstreamValues = UPSTREAM.map((o) => `${o.type} ${o.value}`).sort();

  it('generic taxii against our own TAXII server, Basic auth with the account email and the key', async () => {
    const { sources } = resolve(
      [{ id: 'own-taxii', generic: 'taxii', url: objectsUrl('all-iocs'), username: EMAIL }],
      { 'own-taxii': { apiKey: proKey } },
    );
    const src = sources.find((s) => s.def.id === 'own-taxii')!;
    assert.equal(src.username, EMAIL);
    assert.equal(src.apiKey, proKey);
    assert.equal(src.reason, undefined);
    const r = await runOne(src);
    assert.equal(r.inserted, UPSTREAM.length);
    assert.deepEqual(await stored('own-taxii'), upstreamValues);
    const dom = await sightingOf('upstream-c2-example.top', 'own-taxii');
    assert.equal(dom.ioc.type, 'domain');
    assert.match(dom.s.reference ?? '', /^indicator--/);
    const cve = await sightingOf('CVE-2023-4966', 'own-taxii');
    assert.equal(cve.ioc.type, 'cve');
    assert.match(cve.s.reference ?? '', /^vulnerability--/);

    // Incremental: the next run asks only for what was added after the last successful run started.
    taxiiRequests.length = 0;
    const again = await runOne(src, NOW + 3_600_000);
    assert.equal(again.records, 0);
    assert.equal(new URL(taxiiRequests[0]!).searchParams.get('added_after'), iso(NOW));
  });

  it('generic taxii with a Bearer key in headers, a collection by id, pages of 2 followed through next', async () => {
    const ips = BUILTIN_COLLECTIONS.find((c) => c.alias === 'ips')!;
    const { sources } = resolve([
      { id: 'own-taxii-ips', generic: 'taxii', url: objectsUrl(ips.id), headers: { authorization: `Bearer ${proKey}` } },
      { id: 'own-taxii-paged', generic: 'taxii', url: objectsUrl('all-iocs'), headers: { authorization: `Bearer ${proKey}` } },
    ]);
    const byId = sources.find((s) => s.def.id === 'own-taxii-ips')!;
    assert.equal(byId.reason, undefined, 'no key needed when the headers carry one');
    await runOne(byId);
    assert.deepEqual(await stored('own-taxii-ips'), ['ipv4 46.8.19.7']);

    const paged = sources.find((s) => s.def.id === 'own-taxii-paged')!;
    if (paged.def.shape.kind !== 'taxii') assert.fail('a taxii shape');
    taxiiRequests.length = 0;
    const r = await runOne({ ...paged, def: { ...paged.def, shape: { ...paged.def.shape, pageSize: 2 } } });
    assert.ok(taxiiRequests.length >= 3, `${taxiiRequests.length} pages`);
    assert.ok(taxiiRequests.slice(1).every((u) => new URL(u).searchParams.get('next')), 'later pages follow next');
    assert.ok(taxiiRequests.every((u) => new URL(u).searchParams.get('limit') === '2'));
    assert.equal(r.inserted + r.updated + r.unchanged, UPSTREAM.length);
    assert.deepEqual(await stored('own-taxii-paged'), upstreamValues);
  });

  it('generic taxii without credentials: the run fails with the HTTP status, nothing stored', async () => {
    const { sources } = resolve([{ id: 'own-taxii-anon', generic: 'taxii', url: objectsUrl('all-iocs') }]);
    const [r] = await runSources([sources.find((s) => s.def.id === 'own-taxii-anon')!], deps());
    assert.equal(r?.outcome, 'failed');
    assert.match(r?.error ?? '', /^http: HTTP 401/);
    assert.deepEqual(await stored('own-taxii-anon'), []);
  });
});
