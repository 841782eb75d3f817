import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { importFile } from '../../src/connectors/pipeline/file-import.js';
import { runImport } from '../../src/connectors/pipeline/import-pipeline.js';
import { parseStream } from '../../src/connectors/formats/open-file-records.js';
import { runSource } from '../../src/connectors/pipeline/runner.js';
import { resolveSources } from '../../src/connectors/catalog/source-config.js';
import { genericSource } from '../../src/connectors/catalog/sources/generic.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { writeObservations, type ExcludedValue } from '../../src/connectors/pipeline/write-observations.js';
import { Exclusions } from '../../src/domain/exclusions.js';
import type { Observation } from '../../src/store/types.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { sqliteStore } from '../support/stores.js';

const NOW = Date.UTC(2026, 4, 6);
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const EMPTY_SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The list of issue 12: five values that must never be IOCs, then the empty file's hashes, then a real one. */
const LIST = ['10.0.0.5', '8.8.8.8', '203.0.113.7', '2001:db8::1', 'google.com', EMPTY_MD5, EMPTY_SHA1, EMPTY_SHA256, '45.133.1.20'];

async function freshStore(): Promise<SqliteStore> {
  const store = await sqliteStore();
  await store.upsertSource({ id: 'file', name: 'File', reliability: 1, redistributable: true, aggregate: false, tlp: 'clear' });
  return store;
}

async function storedValues(store: SqliteStore): Promise<string[]> {
  return (await store.queryIocs({ status: 'all', limit: 100 })).items.map((i) => i.value).sort();
}

describe('exclusions apply to every write path', () => {
  it('runImport: excluded values are counted and reported with their line and reason, never stored', async () => {
    const store = await freshStore();
    const excluded: Array<{ line: number; reason: string }> = [];
    const summary = await runImport(store, parseStream(Readable.from([Buffer.from(`${LIST.join('\n')}\n`)]), 'text'), {
      source: 'file', confidence: 90, clock: () => NOW, exclusions: new Exclusions(), onExcluded: (e) => excluded.push(e),
    });
    assert.deepEqual([summary.read, summary.inserted, summary.rejected, summary.excluded], [9, 1, 0, 8]);
    assert.deepEqual(excluded.map((e) => e.line), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.match(excluded[0]!.reason, /^10\.0\.0\.5: private, reserved or bogon/);
    assert.match(excluded[1]!.reason, /^8\.8\.8\.8: a public resolver/);
    assert.match(excluded[2]!.reason, /^203\.0\.113\.7: private, reserved or bogon/);
    assert.match(excluded[3]!.reason, /^2001:db8::1: private, reserved or bogon/);
    assert.match(excluded[4]!.reason, /^google\.com: a top domain/);
    for (const e of excluded.slice(5)) assert.match(e.reason, /: the hash of an empty file$/);
    assert.deepEqual(await storedValues(store), ['45.133.1.20']);
    await store.close();
  });

  it('importFile (the worker thread path of `socd import`): the configured exclusions apply too', async () => {
    const store = await freshStore();
    const dir = mkdtempSync(path.join(tmpdir(), 'socd-excl-'));
    const file = path.join(dir, 'list.txt');
    writeFileSync(file, `${LIST.join('\n')}\n45.133.1.21\n`);
    const lines: number[] = [];
    const summary = await importFile(store, file, {
      format: 'text', source: 'file', clock: () => NOW, exclusions: new Exclusions({ values: ['45.133.1.21'] }),
      onExcluded: (e) => lines.push(e.line),
    });
    assert.deepEqual([summary.inserted, summary.excluded], [1, 9]);
    assert.deepEqual(lines, [1, 2, 3, 4, 5, 6, 7, 8, 10]);
    assert.deepEqual(await storedValues(store), ['45.133.1.20']);
    await store.close();
  });

  it('the runner reports the first excluded values with their record and reason', async () => {
    const store = await sqliteStore();
    const dir = mkdtempSync(path.join(tmpdir(), 'socd-excl-'));
    const file = path.join(dir, 'feed.txt');
    writeFileSync(file, `${LIST.join('\n')}\n`);
    const def = genericSource({ id: 'local-list', generic: 'text', url: pathToFileURL(file).toString() });
    const { ingest } = resolveSources(CATALOG, {}, {});
    const report = await runSource(
      { def, enabled: true, reason: undefined, apiKey: undefined, username: undefined, custom: true, scheduleMs: 3_600_000, minIntervalMs: 0 },
      { store, settings: ingest, clock: () => NOW },
    );
    assert.equal(report.outcome, 'ok', report.error ?? '');
    assert.deepEqual([report.inserted, report.excluded, report.rejected], [1, 8, 0]);
    assert.equal(report.exclusions.length, 8);
    assert.match(report.exclusions[0]!, /^record 1: 10\.0\.0\.5: private, reserved or bogon/);
    assert.match(report.exclusions[7]!, /^record 8: e3b0c442\w+: the hash of an empty file$/);
    assert.deepEqual(await storedValues(store), ['45.133.1.20']);
    await store.close();
  });

  it('the runner records a configured exclusion rule\'s refusals as the run\'s `excluded`, apart from `rejected`', async () => {
    const store = await sqliteStore();
    const dir = mkdtempSync(path.join(tmpdir(), 'socd-excl-'));
    const file = path.join(dir, 'feed.txt');
    // Two values of a configured rule, one reserved address, one unreadable line, two kept.
    writeFileSync(file, '45.133.1.20\n45.133.1.21\npartner.example.org\n10.0.0.5\nnot a value\nevil-example.org\n');
    const def = genericSource({ id: 'local-list', generic: 'text', url: pathToFileURL(file).toString() });
    const { ingest } = resolveSources(CATALOG, { exclusions: { values: ['45.133.1.21'], domains: ['example.org'] } }, {});
    const src = { def, enabled: true, reason: undefined, apiKey: undefined, username: undefined, custom: true, scheduleMs: 3_600_000, minIntervalMs: 0 };
    const report = await runSource(src, { store, settings: ingest, clock: () => NOW });
    assert.equal(report.outcome, 'ok', report.error ?? '');
    assert.deepEqual([report.inserted, report.excluded, report.rejected], [2, 3, 1]);
    const stored = await store.lastRun('local-list', ['ok']);
    assert.deepEqual([stored?.excluded, stored?.rejected, stored?.allowlisted], [3, 1, 0]);
    assert.equal((await store.listRuns('local-list', { limit: 1 })).items[0]?.excluded, 3, 'the run pages read it');
    assert.equal((await store.latestRuns()).find((r) => r.sourceId === 'local-list')?.excluded, 3, 'and the latest runs');
    assert.deepEqual(await storedValues(store), ['45.133.1.20', 'evil-example.org'], 'a rule on a domain is not a rule on a longer name');
    await store.close();
  });

  it('a hosting IP in a CDN range is context, not an IOC: the URL of the same record keeps it as a tag', async () => {
    const store = await sqliteStore();
    await store.upsertSource({ id: 'feed', name: 'Feed', reliability: 0.6, redistributable: true, aggregate: false, tlp: 'clear' });
    const obs = (type: Observation['type'], value: string): Observation => ({
      type, value, confidence: 60, tags: ['phishing'], malware: [], sectors: [], tlp: null, firstSeen: NOW, lastSeen: NOW, reference: null,
    });
    const excluded: ExcludedValue[] = [];
    async function* chunks() {
      yield {
        observations: [
          obs('url', 'https://sites.google.com/view/example-invoice'), obs('ipv4', '172.67.181.22'),
          obs('url', 'https://secure-examplebank-login.top/auth/'), obs('ipv4', '45.133.1.20'),
          obs('ipv4', '2.16.1.1'), obs('domain', 'weebly-phish.example'), obs('ipv4', '199.34.228.53'),
        ],
        lines: [1, 1, 2, 2, 3, 4, 4],
      };
    }
    const result = await writeObservations(store, 'feed', chunks(), {
      exclusions: new Exclusions(), batchSize: 100, clock: () => NOW, onExcluded: (e) => excluded.push(e),
    });
    assert.deepEqual([result.inserted, result.excluded], [4, 3]);
    assert.deepEqual(excluded.map((e) => [e.line, e.reason]), [
      [1, '172.67.181.22: CDN/shared hosting range (Cloudflare)'],
      [3, '2.16.1.1: CDN/shared hosting range (Akamai)'],
      [4, '199.34.228.53: CDN/shared hosting range (Weebly)'],
    ]);
    const iocs = new Map((await store.queryIocs({ status: 'all', limit: 100 })).items.map((i) => [i.value, i.tags]));
    assert.deepEqual([...iocs.keys()].sort(), ['45.133.1.20', 'https://secure-examplebank-login.top/auth/', 'https://sites.google.com/view/example-invoice', 'weebly-phish.example']);
    assert.deepEqual(iocs.get('https://sites.google.com/view/example-invoice'), ['hosted-on:cloudflare', 'phishing']);
    assert.deepEqual(iocs.get('weebly-phish.example'), ['hosted-on:weebly', 'phishing']);
    assert.deepEqual(iocs.get('https://secure-examplebank-login.top/auth/'), ['phishing'], 'another record gets no context');
    // With the CDN list off, the address is an IOC again.
    const off = await writeObservations(store, 'feed', chunks(), { exclusions: new Exclusions({ cdn: false }), batchSize: 100, clock: () => NOW });
    assert.deepEqual([off.inserted, off.excluded], [3, 0]);
    await store.close();
  });

  it('nothing outside the store and the observation writer calls the store\'s write methods', () => {
    // The one gate (src/connectors/pipeline/write-observations.ts) applies the exclusions: a new write path that called the
    // store directly would skip them.
    const root = path.resolve(process.cwd(), 'src');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          const rel = path.relative(root, p).split(path.sep).join('/');
          if (rel.startsWith('store/') || rel === 'connectors/pipeline/write-observations.ts') continue;
          if (/\.upsertObservation(s|Stream)\b/.test(readFileSync(p, 'utf8'))) offenders.push(rel);
        }
      }
    };
    walk(root);
    assert.deepEqual(offenders, []);
  });
});
