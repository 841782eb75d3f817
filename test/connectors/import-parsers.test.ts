import { decayedScore } from '../../src/domain/scoring.js';
import type { IocType } from '../../src/domain/ioc-types.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Readable } from 'node:stream';
import { iocView } from '../../src/rest/ioc-view.js';
import { runImport, type ImportOptions, type ImportProblem, type ImportSummary } from '../../src/connectors/pipeline/import-pipeline.js';
import { detectFileFormat, openFileRecords, parseStream, type FileFormat } from '../../src/connectors/formats/open-file-records.js';
import type { ParsedItem } from '../../src/connectors/formats/raw-record.js';
import { recordToObservation } from '../../src/connectors/pipeline/record-to-observation.js';
import type { ExclusionRules } from '../../src/domain/exclusions.js';
import { sqliteStore } from '../support/stores.js';
import type { Ioc } from '../../src/store/types.js';

/** Tests run from dist/test/connectors/ with cwd = the repository root; the fixtures are not compiled. */
const FIXTURES = path.resolve(process.cwd(), 'test/fixtures/import');
const fixture = (name: string) => path.join(FIXTURES, name);

/** A fixed clock, so undated lines get a known first/last seen and a second import is comparable. */
const NOW = Date.UTC(2026, 4, 6);
/** The stored score: the native confidence × reliability (1 here), aged from the last sighting to NOW. */
const aged = (base: number, ioc: { type: IocType; lastSeen: number }) => decayedScore(base, ioc.type, ioc.lastSeen, NOW);
const iso = (ms: number) => new Date(ms).toISOString();
/** Confidence given to lines without one; the source's reliability is 1, so it is the stored score. */
const DEFAULT_CONFIDENCE = 40;
/**
 * These fixtures use documentation addresses (RFC 5737, RFC 3849) and the empty file's hashes on purpose, so these
 * tests of parsing and storing pass rules that exclude nothing. The exclusions on import are tested in
 * exclusions-on-write.test.ts.
 */
const EXCLUSIONS: ExclusionRules = { judge: () => undefined };

async function freshStore(): Promise<SqliteStore> {
  const store = await sqliteStore();
  // What `socd import` registers for a new file source: reliability 1, TLP:CLEAR unless told otherwise.
  await store.upsertSource({ id: 'file', name: 'File', reliability: 1, redistributable: true, aggregate: false, tlp: 'clear' });
  return store;
}

interface Imported {
  format: FileFormat;
  summary: ImportSummary;
  problems: ImportProblem[];
}

async function importFile(store: SqliteStore, name: string, opts: Partial<ImportOptions> = {}): Promise<Imported> {
  const file = fixture(name);
  const format = await detectFileFormat(file);
  const problems: ImportProblem[] = [];
  const summary = await runImport(store, openFileRecords(file, format), {
    source: 'file',
    exclusions: EXCLUSIONS,
    confidence: DEFAULT_CONFIDENCE,
    tlp: null,
    clock: () => NOW,
    onProblem: (p) => problems.push(p),
    ...opts,
  });
  return { format, summary, problems };
}

/** Every stored IOC, keyed `type:value`. */
async function stored(store: SqliteStore): Promise<Map<string, Ioc>> {
  const page = await store.queryIocs({ status: 'all', limit: 1000 });
  assert.equal(page.next, null, 'fixtures hold fewer than 1000 IOCs');
  return new Map(page.items.map((i) => [`${i.type}:${i.value}`, i]));
}

function one(map: Map<string, Ioc>, key: string): Ioc {
  const ioc = map.get(key);
  assert.ok(ioc, `${key} was stored (stored: ${[...map.keys()].join(', ')})`);
  return ioc;
}

const byLine = (a: ImportProblem, b: ImportProblem) => a.line - b.line;

async function collect(items: AsyncIterable<ParsedItem>): Promise<ParsedItem[]> {
  const out: ParsedItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Imports a fixture twice at the same instant: the second run must find every valid line already stored as is. */
async function assertReimportUnchanged(name: string): Promise<void> {
  const store = await freshStore();
  const first = await importFile(store, name);
  const before = await stored(store);
  const second = await importFile(store, name);
  assert.equal(second.summary.read, first.summary.read, `${name}: read`);
  assert.equal(second.summary.rejected, first.summary.rejected, `${name}: rejected`);
  assert.deepEqual(second.summary.skipped, first.summary.skipped, `${name}: skipped`);
  assert.equal(second.summary.inserted, 0, `${name}: inserted on re-import`);
  assert.equal(second.summary.updated, 0, `${name}: updated on re-import`);
  assert.equal(second.summary.unchanged, first.summary.read - first.summary.rejected, `${name}: unchanged on re-import`);
  assert.deepEqual(second.problems, first.problems, `${name}: the same lines are rejected again`);
  const after = await stored(store);
  assert.deepEqual([...after.keys()], [...before.keys()], `${name}: no IOC added`);
  for (const [key, ioc] of after) assert.deepEqual(ioc, before.get(key), `${name}: ${key} untouched`);
  await store.close();
}

describe('plain list (list.txt: comments, blank lines, CRLF, defanged values, trailing notes)', () => {
  it('imports every valid line and reports the bad ones by line with the offending value', async () => {
    const store = await freshStore();
    const { format, summary, problems } = await importFile(store, 'list.txt');
    assert.equal(format, 'text');
    // 19 lines: 6 are comments or blank (#, ;, //, whitespace-only), 13 carry a value.
    assert.deepEqual(summary, { read: 13, inserted: 9, updated: 0, unchanged: 1, ignored: 0, rejected: 3, excluded: 0, allowlisted: 0, skipped: {}, batches: 1 });
    assert.deepEqual(problems, [
      { line: 11, reason: '999.1.1.1: octet out of range' },
      { line: 12, reason: 'not_a_value: cannot detect the IOC type (not a CVE id, hash, URL, email, IP address or domain)' },
      { line: 18, reason: '10.0.0.1/24: host bits set, did you mean 10.0.0.0/24' },
    ]);
    const iocs = await stored(store);
    // Refanged and canonical; no CR left over from the CRLF endings; notes after the value are dropped.
    assert.deepEqual(
      [...iocs.keys()].sort(),
      [
        'cve:CVE-2024-3400',
        'domain:evil.example',
        'email:user@phish.example',
        'ipv4:198.51.100.23',
        'ipv4:203.0.113.7',
        'ipv4:203.0.113.8',
        'ipv6:2001:db8::1',
        'md5:d41d8cd98f00b204e9800998ecf8427e',
        'url:http://bad.example/path?x=1',
      ],
    );
    // Lines after the rejected ones (11, 12, 18) still landed: 13 (md5), 14 (cve), 19 (tab-indented).
    const undated = one(iocs, 'ipv4:203.0.113.7');
    assert.equal(undated.score, aged(DEFAULT_CONFIDENCE, undated));
    assert.equal(undated.firstSeen, NOW);
    assert.equal(undated.lastSeen, NOW);
    assert.equal(undated.tlp, 'clear');
    assert.deepEqual(undated.sources, ['file']);
    assert.deepEqual([undated.tags, undated.malware, undated.sectors], [[], [], []]);
    await store.close();
  });

  it('the same value spelled twice (evil[.]example, EVIL.Example) is one IOC with one sighting', async () => {
    const store = await freshStore();
    await importFile(store, 'list.txt');
    const ioc = one(await stored(store), 'domain:evil.example');
    const detail = await store.getIoc(ioc.id);
    assert.equal(detail?.sightings.length, 1);
    assert.equal(detail?.sightings[0]?.count, 1);
    await store.close();
  });

  it('small batches give the same result, one transaction per batch', async () => {
    const store = await freshStore();
    const seen: number[] = [];
    const { summary } = await importFile(store, 'list.txt', { batchSize: 3, onBatch: (s) => seen.push(s.inserted + s.unchanged) });
    // 10 valid records in batches of 3: 3, 3, 3, 1.
    assert.equal(summary.batches, 4);
    assert.deepEqual(seen, [3, 6, 9, 10]);
    // The duplicate (line 16) is in a later batch than the first spelling (line 5): still unchanged, not a new IOC.
    assert.deepEqual([summary.inserted, summary.unchanged, summary.rejected], [9, 1, 3]);
    assert.equal(await store.countIocs(), 9);
    await store.close();
  });

  it('a later re-import of an undated list advances last_seen (updated, not unchanged)', async () => {
    const store = await freshStore();
    await importFile(store, 'list.txt');
    const later = NOW + 86_400_000;
    const { summary } = await importFile(store, 'list.txt', { clock: () => later });
    // 9 IOCs updated once; the second spelling of evil.example finds it already at the new time.
    assert.deepEqual([summary.inserted, summary.updated, summary.unchanged, summary.rejected], [0, 9, 1, 3]);
    const ioc = one(await stored(store), 'ipv4:203.0.113.7');
    assert.equal(ioc.firstSeen, NOW);
    assert.equal(ioc.lastSeen, later);
    const detail = await store.getIoc(ioc.id);
    assert.equal(detail?.sightings[0]?.count, 2);
    await store.close();
  });
});

describe('CSV (iocs.csv: BOM, header, quoted fields with commas and quotes, a broken row)', () => {
  it('counts, rejected lines and reasons', async () => {
    const store = await freshStore();
    const { format, summary, problems } = await importFile(store, 'iocs.csv');
    assert.equal(format, 'csv');
    // 17 lines: header, a # comment and a blank line carry no record; 14 rows are read.
    assert.deepEqual(summary, { read: 14, inserted: 8, updated: 1, unchanged: 0, ignored: 0, rejected: 5, excluded: 0, allowlisted: 0, skipped: {}, batches: 1 });
    const sorted = [...problems].sort(byLine);
    assert.deepEqual(sorted.map((p) => p.line), [7, 9, 10, 11, 12]);
    // Line 7 has a quote in the middle of an unquoted field: the row is refused, quoted in the reason.
    assert.match(sorted[0]!.reason, /unbalanced quote/);
    assert.match(sorted[0]!.reason, /203\.0\.113\.11,ipv4,broken/);
    assert.match(sorted[0]!.reason, /broken/);
    assert.deepEqual(sorted.slice(1), [
      { line: 9, reason: 'confidence "150" is not 0–100 or low/medium/high' },
      { line: 10, reason: 'first_seen "not-a-date" is not an ISO 8601 date-time' },
      { line: 11, reason: 'empty value' },
      { line: 12, reason: 'unknown type "bogus"' },
    ]);
    await store.close();
  });

  it('stores normalized values with tags, malware, sectors, confidence, TLP and first_seen carried over', async () => {
    const store = await freshStore();
    await importFile(store, 'iocs.csv');
    const iocs = await stored(store);
    assert.deepEqual(
      [...iocs.keys()].sort(),
      [
        'domain:evil.example',
        'domain:long.example',
        'domain:short.example',
        'domain:spaced.example',
        'ipv4:198.51.100.77',
        'ipv4:203.0.113.10',
        'ipv4:203.0.113.12',
        'url:http://evil.example/login?a=1,b=2',
      ],
    );

    // The first column of the BOM-prefixed header is still recognised as "value".
    const c2 = one(iocs, 'ipv4:203.0.113.10');
    assert.deepEqual(c2.tags, ['botnet', 'c2']); // "c2,botnet" quoted: one cell, split into a list
    assert.deepEqual(c2.malware, ['Emotet']);
    assert.deepEqual(c2.sectors, ['energy']);
    assert.equal(c2.score, aged(80, c2));
    assert.equal(c2.tlp, 'green');
    assert.equal(iso(c2.firstSeen), '2026-05-01T10:00:00.000Z');
    assert.equal(c2.lastSeen, NOW);

    // A quoted value holding a comma, refanged; a quoted cell with doubled quotes; sectors lowercased.
    const url = one(iocs, 'url:http://evil.example/login?a=1,b=2');
    assert.deepEqual(url.tags, ['"quoted" tag', 'phishing']);
    assert.deepEqual(url.sectors, ['energy', 'financial-services']);
    assert.equal(url.score, aged(85, url)); // "high"
    assert.equal(url.tlp, 'amber');
    assert.equal(iso(url.firstSeen), '2026-05-02T00:00:00.000Z');

    // The row right after the broken one (line 8); its time has an offset.
    const after = one(iocs, 'ipv4:198.51.100.77');
    assert.deepEqual(after.tags, ['scanner']);
    assert.equal(iso(after.firstSeen), '2026-05-02T22:00:00.000Z');

    // evil.example appears on lines 6 and 14: one IOC, the tags of both.
    assert.deepEqual(one(iocs, 'domain:evil.example').tags, ['extra']);
    // Cells are trimmed, inside quotes too.
    assert.deepEqual(one(iocs, 'domain:spaced.example').tags, ['a', 'b']);

    const red = one(iocs, 'ipv4:203.0.113.12');
    assert.equal(red.score, aged(15, red)); // "low"
    assert.equal(red.tlp, 'red'); // "TLP:RED"
    assert.deepEqual(red.malware, ['Mirai']);

    // A short row and a row with extra columns both load with the defaults.
    for (const key of ['domain:short.example', 'domain:long.example']) {
      const ioc = one(iocs, key);
      assert.equal(ioc.score, aged(DEFAULT_CONFIDENCE, ioc));
      assert.equal(ioc.firstSeen, NOW);
    }
    await store.close();
  });

  it('an unterminated quoted field is reported, the rows before it land, and the import goes on to the end', async () => {
    const store = await freshStore();
    const { summary, problems } = await importFile(store, 'unterminated-quote.csv');
    assert.ok(summary.rejected >= 1, 'the broken row is reported');
    assert.ok(problems.some((p) => /quote/i.test(p.reason)), JSON.stringify(problems));
    assert.ok((await stored(store)).has('ipv4:203.0.113.60'), 'the row before the broken one landed');
    await store.close();
  });

  it(
    'rows after an unterminated quoted field still import, and the error names the line of the quote',
    async () => {
      const store = await freshStore();
      const { summary, problems } = await importFile(store, 'unterminated-quote.csv');
      const iocs = await stored(store);
      assert.ok(iocs.has('ipv4:203.0.113.62'), 'row 4, after the broken row 3');
      assert.ok(iocs.has('ipv4:203.0.113.63'), 'row 5');
      assert.equal(summary.inserted, 3);
      assert.deepEqual(problems.map((p) => p.line), [3]);
      await store.close();
    },
  );

  it('a quoted field holding a CRLF line break imports (the control characters drop the tag)', async () => {
    const store = await freshStore();
    const { summary, problems } = await importFile(store, 'multiline-crlf.csv');
    assert.deepEqual([summary.read, summary.inserted, summary.rejected], [3, 2, 1]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.reason, /^999\.0\.0\.9: octet out of range$/);
    const iocs = await stored(store);
    assert.deepEqual(one(iocs, 'domain:multiline.example').tags, []);
    assert.deepEqual(one(iocs, 'domain:after-multiline.example').tags, ['x']);
    await store.close();
  });

  it('None, null, n/a and - in tag and malware cells are no value, as in delimited feeds', async () => {
    const store = await freshStore();
    const { summary } = await importFile(store, 'null-words.csv');
    assert.equal(summary.inserted, 2);
    const iocs = await stored(store);
    assert.deepEqual([one(iocs, 'domain:null-tags.example').tags, one(iocs, 'domain:null-tags.example').malware], [[], []]);
    assert.deepEqual([one(iocs, 'domain:some-tags.example').tags, one(iocs, 'domain:some-tags.example').malware], [['phishing'], []]);
    await store.close();
  });

  it(
    'line numbers stay right after a quoted field holding a CRLF line break',
    async () => {
      const store = await freshStore();
      const { problems } = await importFile(store, 'multiline-crlf.csv');
      assert.deepEqual(problems.map((p) => p.line), [4]);
      await store.close();
    },
  );

  it('a CSV without a value column is refused as a whole', async () => {
    const store = await freshStore();
    const input = Readable.from([Buffer.from('name,kind\n1.2.3.4,ipv4\n')]);
    await assert.rejects(runImport(store, parseStream(input, 'csv'), { source: 'file', exclusions: EXCLUSIONS, clock: () => NOW }), {
      name: 'MissingValueColumnError',
      message: /no value column in the CSV header \(name, kind\)/,
    });
    assert.equal(await store.countIocs(), 0);
    await store.close();
  });
});

describe('TSV (iocs.tsv: other header names, type aliases)', () => {
  it('maps header synonyms and type aliases, clamps last_seen, keeps the reference', async () => {
    const store = await freshStore();
    const { format, summary, problems } = await importFile(store, 'iocs.tsv');
    assert.equal(format, 'tsv');
    assert.deepEqual(summary, { read: 5, inserted: 4, updated: 0, unchanged: 0, ignored: 0, rejected: 1, excluded: 0, allowlisted: 0, skipped: {}, batches: 1 });
    assert.deepEqual(problems, [{ line: 4, reason: 'file-hash-wrong-length: invalid character "i" (SHA-256 is 64 hex characters)' }]);
    const iocs = await stored(store);
    assert.deepEqual(
      [...iocs.keys()].sort(),
      ['domain:evil-tsv.example', 'ipv4:203.0.113.40', 'ipv6:2001:db8::40', 'sha1:0123456789abcdef0123456789abcdef01234567'],
    );
    // indicator / ioc_type=ip-dst / labels / malware_family / industry / score / TLP:WHITE / first_seen / last_seen / reference
    const ip = one(iocs, 'ipv4:203.0.113.40');
    assert.deepEqual(ip.tags, ['c2', 'cobalt strike']);
    assert.deepEqual(ip.malware, ['CobaltStrike']);
    assert.deepEqual(ip.sectors, ['energy', 'nuclear']); // "Made-Up" is not a CISA sector: dropped
    assert.equal(ip.score, aged(65, ip));
    assert.equal(ip.tlp, 'clear'); // TLP 1.0 white
    assert.equal(iso(ip.firstSeen), '2026-04-01T00:00:00.000Z');
    assert.equal(iso(ip.lastSeen), '2026-04-03T12:00:00.000Z');
    const detail = await store.getIoc(ip.id);
    assert.equal(detail?.sightings[0]?.reference, 'https://example.org/report/1');
    // last_seen (2026-04-01) earlier than first_seen (2026-04-05): last_seen is raised to first_seen.
    const dom = one(iocs, 'domain:evil-tsv.example');
    assert.equal(iso(dom.firstSeen), '2026-04-05T00:00:00.000Z');
    assert.equal(dom.lastSeen, dom.firstSeen);
    await store.close();
  });
});

describe('JSON array of strings and objects (list.json)', () => {
  it('numbers items from 1 and rejects what is not a string or an object with a value', async () => {
    const store = await freshStore();
    const { format, summary, problems } = await importFile(store, 'list.json');
    assert.equal(format, 'json');
    assert.deepEqual(summary, { read: 11, inserted: 5, updated: 0, unchanged: 0, ignored: 0, rejected: 6, excluded: 0, allowlisted: 0, skipped: {}, batches: 1 });
    assert.deepEqual(problems, [
      { line: 5, reason: 'expected a string or an object with a "value" field' }, // 42
      { line: 6, reason: 'expected a string or an object with a "value" field' }, // null
      { line: 7, reason: 'expected a string or an object with a "value" field' }, // ["nested"]
      { line: 8, reason: 'object has no "value" (or "indicator", "ioc") string' },
      { line: 9, reason: '999.0.0.1: octet out of range' },
      { line: 10, reason: 'tlp "purple" is not a TLP level (clear, green, amber, amber+strict, red)' },
    ]);
    const iocs = await stored(store);
    assert.deepEqual(
      [...iocs.keys()].sort(),
      [
        'cve:CVE-2024-3400',
        'domain:evil-json.example',
        'ipv4:203.0.113.20',
        'sha1:0123456789abcdef0123456789abcdef01234567',
        'url:https://phish.example/a',
      ],
    );
    const url = one(iocs, 'url:https://phish.example/a');
    assert.deepEqual(url.tags, ['kit', 'phishing']); // deduplicated
    assert.deepEqual(url.malware, ['Qakbot']); // a string becomes a one-item list
    assert.deepEqual(url.sectors, ['energy', 'healthcare-public-health']);
    assert.equal(url.score, aged(90, url));
    assert.equal(url.tlp, 'amber');
    assert.equal(iso(url.firstSeen), '2026-04-01T00:00:00.000Z');
    assert.equal(iso(url.lastSeen), '2026-04-02T00:00:00.000Z');
    assert.deepEqual(one(iocs, 'cve:CVE-2024-3400').tags, ['edge', 'vpn']); // "indicator" field, "labels": "vpn|edge"
    assert.equal(one(iocs, 'sha1:0123456789abcdef0123456789abcdef01234567').score, aged(50, one(iocs, 'sha1:0123456789abcdef0123456789abcdef01234567'))); // "ioc" field, "medium"
    assert.equal(one(iocs, 'ipv4:203.0.113.20').score, aged(DEFAULT_CONFIDENCE, one(iocs, 'ipv4:203.0.113.20')));
    await store.close();
  });

  it('a document that is not JSON is one rejected item, not a crash', async () => {
    const store = await freshStore();
    const problems: ImportProblem[] = [];
    const summary = await runImport(store, parseStream(Readable.from([Buffer.from('["1.2.3.4", ')]), 'json'), {
      source: 'file',
      exclusions: EXCLUSIONS,
      clock: () => NOW,
      onProblem: (p) => problems.push(p),
    });
    assert.deepEqual([summary.read, summary.rejected, summary.inserted], [1, 1, 0]);
    assert.equal(problems[0]?.line, 0);
    assert.match(problems[0]!.reason, /^not valid JSON: /);
    await store.close();
  });

  it('JSON and NDJSON files with a UTF-8 byte order mark import', async () => {
    const store = await freshStore();
    const json = await importFile(store, 'bom-array.json');
    assert.equal(json.format, 'json');
    assert.deepEqual([json.summary.inserted, json.summary.rejected], [2, 0], JSON.stringify(json.problems));
    const ndjson = await importFile(store, 'bom-lines.ndjson');
    assert.equal(ndjson.format, 'ndjson');
    assert.deepEqual([ndjson.summary.inserted, ndjson.summary.rejected], [2, 0], JSON.stringify(ndjson.problems));
    assert.deepEqual(
      [...(await stored(store)).keys()].sort(),
      ['domain:bom-json.example', 'domain:bom-ndjson.example', 'ipv4:203.0.113.80', 'ipv4:203.0.113.81'],
    );
    await store.close();
  });
});

describe('our own REST output ({"data": [...]}, rest-page.json)', () => {
  it('reads back with the integer score, TLP, sectors, tags, malware and times', async () => {
    const store = await freshStore();
    const { format, summary, problems } = await importFile(store, 'rest-page.json');
    assert.equal(format, 'json');
    assert.deepEqual(summary, { read: 3, inserted: 3, updated: 0, unchanged: 0, ignored: 0, rejected: 0, excluded: 0, allowlisted: 0, skipped: {}, batches: 1 });
    assert.deepEqual(problems, []);
    const iocs = await stored(store);
    assert.deepEqual([...iocs.keys()].sort(), ['cve:CVE-2023-4966', 'domain:rest.example', 'ipv4:203.0.113.50']);
    const ip = one(iocs, 'ipv4:203.0.113.50');
    assert.equal(ip.score, aged(77, ip)); // score wins over the band "high" (85)
    assert.equal(ip.tlp, 'green');
    assert.deepEqual([ip.tags, ip.malware, ip.sectors], [['c2'], ['Dridex'], ['financial-services']]);
    assert.equal(iso(ip.firstSeen), '2026-03-01T08:00:00.000Z');
    assert.equal(iso(ip.lastSeen), '2026-03-05T09:30:00.000Z');
    // Only the band: its STIX integer.
    assert.equal(one(iocs, 'cve:CVE-2023-4966').score, aged(50, one(iocs, 'cve:CVE-2023-4966')));
    const dom = one(iocs, 'domain:rest.example');
    assert.equal(dom.score, aged(12, dom));
    assert.equal(dom.tlp, 'amber+strict');
    assert.deepEqual(dom.sectors, ['energy', 'transportation-systems']);
    // The ids of another server are not ours: a new id is minted.
    assert.notEqual(ip.id, 'indicator--6f1c7e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b');
    await store.close();
  });

  it('what GET /api/v1/iocs would answer for the imported IOCs imports into another server identically', async () => {
    const first = await freshStore();
    await importFile(first, 'iocs.csv');
    const page = await first.queryIocs({ status: 'all', limit: 1000 });
    const body = JSON.stringify({ data: page.items.map(iocView), pagination: { limit: 1000, next_cursor: null, has_more: false } });
    const second = await freshStore();
    const summary = await runImport(second, parseStream(Readable.from([Buffer.from(body)]), 'json'), { source: 'file', exclusions: EXCLUSIONS, clock: () => NOW });
    assert.deepEqual([summary.read, summary.inserted, summary.rejected], [page.items.length, page.items.length, 0]);
    const a = await stored(first);
    const b = await stored(second);
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
    for (const [key, x] of a) {
      const y = one(b, key);
      assert.deepEqual(
        [y.score, y.tlp, y.tags, y.malware, y.sectors, y.firstSeen, y.lastSeen],
        [x.score, x.tlp, x.tags, x.malware, x.sectors, x.firstSeen, x.lastSeen],
        key,
      );
    }
    await first.close();
    await second.close();
  });
});

describe('NDJSON (lines.ndjson: one broken line)', () => {
  it('a broken line costs that line only; STIX objects on a line are read as STIX', async () => {
    const store = await freshStore();
    const { format, summary, problems } = await importFile(store, 'lines.ndjson');
    assert.equal(format, 'ndjson');
    // 10 lines, 2 blank (one whitespace-only).
    assert.deepEqual(summary, { read: 8, inserted: 5, updated: 0, unchanged: 0, ignored: 0, rejected: 3, excluded: 0, allowlisted: 0, skipped: {}, batches: 1 });
    assert.deepEqual(problems.map((p) => p.line), [4, 7, 8]);
    assert.match(problems[0]!.reason, /^not valid JSON: /);
    assert.equal(problems[1]!.reason, 'expected a string or an object with a "value" field');
    assert.equal(problems[2]!.reason, 'confidence "very high" is not 0–100 or low/medium/high');
    const iocs = await stored(store);
    assert.deepEqual(
      [...iocs.keys()].sort(),
      ['domain:after-broken.example', 'domain:evil-ndjson.example', 'domain:last.example', 'domain:stix-line.example', 'ipv4:203.0.113.30'],
    );
    const after = one(iocs, 'domain:after-broken.example');
    assert.deepEqual([after.malware, after.sectors], [['AgentTesla'], ['dams']]);
    const first = one(iocs, 'ipv4:203.0.113.30');
    assert.deepEqual(first.tags, ['a']);
    assert.equal(iso(first.firstSeen), '2026-05-01T00:00:00.000Z');
    const stix = one(iocs, 'domain:stix-line.example');
    assert.deepEqual([stix.tags, stix.sectors], [['apt'], ['energy']]);
    assert.equal(iso(stix.firstSeen), '2026-05-01T00:00:00.000Z');
    await store.close();
  });
});

describe('STIX 2.1 bundle (bundle.stix.json)', () => {
  it('indicators and the CVE of a vulnerability import; other objects are skipped by kind', async () => {
    const store = await freshStore();
    const { format, summary, problems } = await importFile(store, 'bundle.stix.json');
    assert.equal(format, 'json');
    // 10 objects: 4 records from 3 objects (the OR pattern gives two), 1 rejected, 6 skipped (not read).
    assert.deepEqual(summary, {
      read: 5,
      inserted: 4,
      updated: 0,
      unchanged: 0,
      ignored: 0,
      rejected: 1,
      excluded: 0,
      allowlisted: 0,
      skipped: {
        identity: 1,
        'marking-definition': 1,
        malware: 1,
        relationship: 1,
        'indicator (revoked)': 1,
        'indicator (pattern_type sigma)': 1,
      },
      batches: 1,
    });
    assert.deepEqual(problems, [
      { line: 8, reason: "indicator--c4f0a1d2-9b7e-4e1a-8f3c-2d5e6f7a8b9c: unbalanced brackets: '[' at offset 0 is never closed" },
    ]);
    const iocs = await stored(store);
    assert.deepEqual(
      [...iocs.keys()].sort(),
      ['cve:CVE-2024-3400', 'domain:stix.example', 'ipv4:198.51.100.1', 'url:http://stix.example/payload.exe'],
    );
    const ip = one(iocs, 'ipv4:198.51.100.1');
    assert.equal(ip.score, aged(80, ip)); // the indicator's confidence
    assert.deepEqual(ip.tags, ['c2']); // labels other than sector:…
    assert.deepEqual(ip.sectors, ['energy']); // sector:energy kept, sector:Not-A-Sector dropped
    assert.equal(iso(ip.firstSeen), '2026-04-30T00:00:00.000Z'); // valid_from
    assert.equal(iso(ip.lastSeen), '2026-05-02T12:00:00.000Z'); // modified
    const detail = await store.getIoc(ip.id);
    assert.equal(detail?.sightings[0]?.reference, 'indicator--a932fcc6-e032-476c-826f-cb970a5a1ade');
    // Both values of the OR pattern, with the labels of their indicator.
    for (const key of ['url:http://stix.example/payload.exe', 'domain:stix.example']) {
      const ioc = one(iocs, key);
      assert.deepEqual(ioc.tags, ['malware-delivery']);
      assert.equal(ioc.score, aged(DEFAULT_CONFIDENCE, ioc));
      assert.equal(iso(ioc.firstSeen), '2026-05-03T00:00:00.000Z');
    }
    // The CVE comes from the external reference, not from the name.
    const cve = one(iocs, 'cve:CVE-2024-3400');
    assert.match(cve.id, /^vulnerability--/);
    assert.equal(iso(cve.firstSeen), '2026-04-12T00:00:00.000Z');
    await store.close();
  });
});

describe('re-importing the same file at the same instant', () => {
  for (const name of ['list.txt', 'iocs.csv', 'iocs.tsv', 'list.json', 'rest-page.json', 'lines.ndjson', 'bundle.stix.json']) {
    it(`${name}: everything unchanged`, async () => {
      await assertReimportUnchanged(name);
    });
  }
});

describe('format detection', () => {
  it('by extension', async () => {
    const cases: Array<[string, FileFormat]> = [
      ['list.txt', 'text'],
      ['iocs.csv', 'csv'],
      ['iocs.tsv', 'tsv'],
      ['list.json', 'json'],
      ['bundle.stix.json', 'json'],
      ['lines.ndjson', 'ndjson'],
    ];
    for (const [name, format] of cases) assert.equal(await detectFileFormat(fixture(name)), format, name);
  });

  it('by content when the extension tells nothing, and the detected format reads the file', async () => {
    const cases: Array<[string, FileFormat, string[]]> = [
      ['detect/blocklist', 'text', ['ipv4:203.0.113.70', 'url:http://detect-text.example/x']],
      ['detect/export.dat', 'csv', ['ipv4:203.0.113.71']],
      // BOM and a quoted header.
      ['detect/export-tabs.dat', 'tsv', ['ipv4:203.0.113.72']],
      // Pretty-printed, after blank lines and indentation.
      ['detect/bundle.out', 'json', ['domain:detect-bundle.example']],
      // One object per line, CRLF.
      ['detect/feed.log', 'ndjson', ['domain:detect-ndjson.example', 'ipv4:203.0.113.73']],
      ['detect/array.out', 'json', ['domain:detect-array.example', 'ipv4:203.0.113.74']],
    ];
    for (const [name, format, keys] of cases) {
      const store = await freshStore();
      const imported = await importFile(store, name);
      assert.equal(imported.format, format, name);
      assert.equal(imported.summary.rejected, 0, `${name}: ${JSON.stringify(imported.problems)}`);
      assert.deepEqual([...(await stored(store)).keys()].sort(), keys, name);
      await store.close();
    }
  });
});

describe('format detection of a CSV whose value column is named url, ip, domain or hash', () => {
  it(
    'is CSV, as the CSV reader accepts those names (detect/urlhaus-export)',
    async () => {
      const store = await freshStore();
      const imported = await importFile(store, 'detect/urlhaus-export');
      assert.equal(imported.format, 'csv');
      // Read as a plain list, the header is rejected and the row is stored as the URL "http://…/a,phish".
      assert.deepEqual([...(await stored(store)).keys()], ['url:http://detect-url-column.example/a']);
      await store.close();
    },
  );
});

describe('runImport', () => {
  it('fails as a whole when the source is not registered, storing nothing', async () => {
    const store = await freshStore();
    await assert.rejects(
      runImport(store, openFileRecords(fixture('list.txt'), 'text'), { source: 'nope', exclusions: EXCLUSIONS, clock: () => NOW }),
      /unknown source nope/,
    );
    assert.equal(await store.countIocs(), 0);
    await store.close();
  });

  it('a default type applies to lines without one, and wrong-typed values are rejected with their value', async () => {
    const store = await freshStore();
    const problems: ImportProblem[] = [];
    const input = Readable.from([Buffer.from('evil-default.example\n203.0.113.90\n')]);
    const summary = await runImport(store, parseStream(input, 'text'), {
      source: 'file',
      exclusions: EXCLUSIONS,
      type: 'domain',
      clock: () => NOW,
      onProblem: (p) => problems.push(p),
    });
    assert.deepEqual([summary.inserted, summary.rejected], [1, 1]);
    assert.equal(problems[0]?.line, 2);
    assert.match(problems[0]!.reason, /^203\.0\.113\.90: /);
    assert.deepEqual([...(await stored(store)).keys()], ['domain:evil-default.example']);
    await store.close();
  });
});

describe('recordToObservation', () => {
  const d = { now: NOW };
  const ok = (r: Parameters<typeof recordToObservation>[0], defaults: Parameters<typeof recordToObservation>[1] = d) => {
    const c = recordToObservation(r, defaults);
    assert.ok(c.ok, `expected ${JSON.stringify(r)} to convert: ${c.ok ? '' : c.reason}`);
    return c.observation;
  };
  const reason = (r: Parameters<typeof recordToObservation>[0]) => {
    const c = recordToObservation(r, d);
    assert.ok(!c.ok, `expected ${JSON.stringify(r)} to be refused`);
    return c.reason;
  };

  it('type aliases of other tools', () => {
    assert.equal(ok({ line: 1, value: '2001:db8::1', type: 'IP-SRC' }).type, 'ipv6');
    assert.equal(ok({ line: 1, value: '1.2.3.4', type: 'ip' }).type, 'ipv4');
    assert.equal(ok({ line: 1, value: '1.2.3.4', type: 'IPv4-Addr' }).type, 'ipv4');
    assert.equal(ok({ line: 1, value: 'a.example', type: 'fqdn' }).type, 'domain');
    assert.equal(ok({ line: 1, value: 'x@a.example', type: 'email-src' }).type, 'email');
    assert.equal(ok({ line: 1, value: 'cve-2021-44228', type: 'vulnerability' }).value, 'CVE-2021-44228');
    assert.equal(reason({ line: 1, value: '1.2.3.4', type: 'x'.repeat(100) }), `unknown type "${'x'.repeat(40)}"`);
    assert.match(reason({ line: 1, value: 'evil.example', type: 'ip' }), /^evil\.example: /);
  });

  it('confidence: 0–100 (rounded) or a band; anything else is refused naming the value', () => {
    assert.equal(ok({ line: 1, value: '1.2.3.4', confidence: 0 }).confidence, 0);
    assert.equal(ok({ line: 1, value: '1.2.3.4', confidence: '99.5' }).confidence, 100);
    assert.equal(ok({ line: 1, value: '1.2.3.4', confidence: ' HIGH ' }).confidence, 85);
    assert.equal(ok({ line: 1, value: '1.2.3.4', confidence: 'low' }).confidence, 15);
    assert.equal(ok({ line: 1, value: '1.2.3.4' }, { now: NOW, confidence: 70 }).confidence, 70);
    assert.equal(ok({ line: 1, value: '1.2.3.4' }).confidence, null);
    for (const bad of [100.4, -1, 'NaN', 'very high']) {
      assert.equal(reason({ line: 1, value: '1.2.3.4', confidence: bad }), `confidence ${JSON.stringify(String(bad))} is not 0–100 or low/medium/high`);
    }
  });

  it('a blank confidence is absent (the default applies), not 0', () => {
    assert.equal(ok({ line: 1, value: '1.2.3.4', confidence: ' ' }, { now: NOW, confidence: 70 }).confidence, 70);
    assert.equal(ok({ line: 1, value: '1.2.3.4', confidence: '\t' }).confidence, null);
  });

  it('TLP: 2.0 levels, TLP 1.0 white, the default; an unknown level is refused', () => {
    assert.equal(ok({ line: 1, value: '1.2.3.4', tlp: 'white' }).tlp, 'clear');
    assert.equal(ok({ line: 1, value: '1.2.3.4', tlp: 'TLP:Amber+Strict' }).tlp, 'amber+strict');
    assert.equal(ok({ line: 1, value: '1.2.3.4' }, { now: NOW, tlp: 'amber' }).tlp, 'amber');
    assert.equal(ok({ line: 1, value: '1.2.3.4' }).tlp, null);
    assert.match(reason({ line: 1, value: '1.2.3.4', tlp: 'purple' }), /^tlp "purple" is not a TLP level/);
  });

  it(
    'times: a year before 100 is that year (or refused), never 19xx',
    () => {
      const c = recordToObservation({ line: 1, value: '1.2.3.4', firstSeen: '0099-01-01' }, d);
      assert.ok(!c.ok || iso(c.observation.firstSeen) === '0099-01-01T00:00:00.000Z', c.ok ? iso(c.observation.firstSeen) : c.reason);
    },
  );

  it('times: first_seen alone, last_seen alone, neither, and impossible dates', () => {
    const first = ok({ line: 1, value: '1.2.3.4', firstSeen: '2026-05-01' });
    assert.deepEqual([iso(first.firstSeen), first.lastSeen], ['2026-05-01T00:00:00.000Z', NOW]);
    const future = ok({ line: 1, value: '1.2.3.4', firstSeen: '2027-05-01' });
    assert.equal(future.lastSeen, future.firstSeen); // never before first_seen
    const last = ok({ line: 1, value: '1.2.3.4', lastSeen: '2026-05-01' });
    assert.deepEqual([iso(last.firstSeen), iso(last.lastSeen)], ['2026-05-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z']);
    const none = ok({ line: 1, value: '1.2.3.4' });
    assert.deepEqual([none.firstSeen, none.lastSeen], [NOW, NOW]);
    assert.equal(reason({ line: 1, value: '1.2.3.4', lastSeen: '2026-13-01' }), 'last_seen "2026-13-01" is not an ISO 8601 date-time');
    assert.equal(reason({ line: 1, value: '1.2.3.4', firstSeen: '2026-02-30' }), 'first_seen "2026-02-30" is not an ISO 8601 date-time');
  });

  it('labels: trimmed, deduplicated, control characters and over-long ones dropped, at most 32; sectors filtered', () => {
    const o = ok({
      line: 1,
      value: '1.2.3.4',
      tags: ['a', 'a', ' b ', '', 'x\u0007y', 'z'.repeat(128), 'w'.repeat(129)],
      sectors: ['ENERGY', 'dams', 'bogus'],
    });
    assert.deepEqual(o.tags, ['a', 'b', 'z'.repeat(128)]);
    assert.deepEqual(o.sectors, ['energy', 'dams']);
    const many = ok({ line: 1, value: '1.2.3.4', malware: Array.from({ length: 40 }, (_, i) => `m${String(i).padStart(2, '0')}`) });
    assert.equal(many.malware.length, 32);
    assert.equal(many.malware[31], 'm31');
    assert.equal(ok({ line: 1, value: '1.2.3.4', reference: 'r'.repeat(3000) }).reference?.length, 2048);
  });
});

describe('parsers on their own', () => {
  it('line list: the value is the first token; comments start with #, ; or //', async () => {
    const items = await collect(parseStream(Readable.from([Buffer.from('  a.example  note\n#x\n;y\n//z\n\t\nb.example\n')]), 'text'));
    assert.deepEqual(items, [{ record: { line: 1, value: 'a.example' } }, { record: { line: 6, value: 'b.example' } }]);
  });

  it('line list: a line split across stream chunks, and a multi-byte character split across chunks', async () => {
    const bytes = Buffer.from('héllo.example\r\nsecond.example\r\n', 'utf8');
    // Cut inside "é" (2 bytes) and between CR and LF.
    const chunks = [bytes.subarray(0, 2), bytes.subarray(2, 15), bytes.subarray(15)];
    const items = await collect(parseStream(Readable.from(chunks), 'text'));
    assert.deepEqual(items, [{ record: { line: 1, value: 'héllo.example' } }, { record: { line: 2, value: 'second.example' } }]);
  });

  it('JSON: a TAXII envelope ({"objects": [...]}) is read as STIX', async () => {
    const envelope = {
      more: false,
      objects: [
        { type: 'indicator', id: 'indicator--0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e', pattern: "[email-addr:value = 'Bad@Example.COM']", pattern_type: 'stix', valid_from: '2026-05-01T00:00:00Z' },
        { type: 'note', id: 'note--0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e' },
      ],
    };
    const items = await collect(parseStream(Readable.from([Buffer.from(JSON.stringify(envelope))]), 'json'));
    assert.equal(items.length, 2);
    assert.deepEqual(items[1], { skipped: 'note' });
    const first = items[0];
    assert.ok(first && 'record' in first);
    assert.deepEqual([first.record.line, first.record.type, first.record.value], [1, 'email', 'Bad@Example.COM']);
  });

  it('JSON: a single object that is neither a list, {"data"} nor a bundle is one problem', async () => {
    const items = await collect(parseStream(Readable.from([Buffer.from('{"value": "1.2.3.4"}')]), 'json'));
    assert.deepEqual(items, [{ problem: { line: 0, reason: 'expected a JSON array, {"data": [...]} or a STIX bundle' } }]);
  });
});

describe('openFileRecords with a byte counter', () => {
  it('loses nothing when the records are first asked for a while after the file was opened', { timeout: 20_000 }, async () => {
    let bytes = 0;
    const counted = openFileRecords(fixture('iocs.csv'), 'csv', (n) => (bytes += n));
    const plain = openFileRecords(fixture('iocs.csv'), 'csv');
    // A store that connects before it reads (PostgreSQL): the file must wait for the reader, not flow past it.
    await new Promise((r) => setTimeout(r, 200));
    const read = async (items: AsyncIterable<ParsedItem>) => {
      const out: ParsedItem[] = [];
      for await (const item of items) out.push(item);
      return out;
    };
    const [a, b] = [await read(counted), await read(plain)];
    assert.ok(a.length > 0);
    assert.deepEqual(a, b);
    assert.equal(bytes, (await import('node:fs')).statSync(fixture('iocs.csv')).size);
  });
});
