import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { resolveSources } from '../../src/connectors/catalog/source-config.js';
import { genericSource } from '../../src/connectors/catalog/sources/generic.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { parseStream } from '../../src/connectors/formats/open-file-records.js';
import { importFile } from '../../src/connectors/pipeline/file-import.js';
import { runImport } from '../../src/connectors/pipeline/import-pipeline.js';
import { runSource } from '../../src/connectors/pipeline/runner.js';
import { loadAllowList } from '../../src/connectors/pipeline/write-observations.js';
import { parseAllowValue } from '../../src/domain/allowlist.js';
import { Exclusions } from '../../src/domain/exclusions.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { TokenSigner } from '../../src/auth/signed-token.js';
import { AllowListService } from '../../src/rest/allowlist-service.js';
import { FeedServer } from '../support/feed-server.js';
import { sqliteStore } from '../support/stores.js';

const NOW = Date.UTC(2026, 4, 6);
/** Public values, none excluded by the built-in rules; 10.0.0.5 is (reserved), and is counted as excluded first. */
const LIST = ['45.133.1.20', '45.133.1.21', '91.92.93.94', 'http://91.92.93.94/payload', 'cdn.partner-example.net', 'partner-example.net', 'evil-example.org', '10.0.0.5'];

async function allow(store: SqliteStore, text: string, expiresAt: number | null = null): Promise<void> {
  const p = parseAllowValue(text);
  if (!p.ok) throw new Error(p.why);
  await store.addAllowEntry({ ...p.target, reason: 'ours', author: null, createdAt: NOW, expiresAt });
}

async function storedValues(store: SqliteStore): Promise<string[]> {
  return (await store.queryIocs({ status: 'all', limit: 100 })).items.map((i) => i.value).sort();
}

async function freshStore(): Promise<SqliteStore> {
  const store = await sqliteStore();
  await store.upsertSource({ id: 'file', name: 'File', reliability: 1, redistributable: true, aggregate: false, tlp: 'clear' });
  await allow(store, '45.133.1.21');
  await allow(store, '91.92.93.0/24');
  await allow(store, '*.partner-example.net');
  await allow(store, '*.expired-example.net', NOW - 1);
  await allow(store, '10.0.0.0/8');
  return store;
}

describe('the allow-list holds on every write path', () => {
  it('runImport: allow-listed values are counted apart, reported with the entry, never stored; exclusions come first', async () => {
    const store = await freshStore();
    const held: Array<{ line: number; reason: string }> = [];
    const excluded: number[] = [];
    const summary = await runImport(store, parseStream(Readable.from([Buffer.from(`${[...LIST, 'www.expired-example.net'].join('\n')}\n`)]), 'text'), {
      source: 'file', confidence: 90, clock: () => NOW, exclusions: new Exclusions(), allowlist: await loadAllowList(store, NOW),
      onAllowlisted: (e) => held.push(e), onExcluded: (e) => excluded.push(e.line),
    });
    assert.deepEqual([summary.read, summary.inserted, summary.rejected, summary.excluded, summary.allowlisted], [9, 3, 0, 1, 5]);
    assert.deepEqual(excluded, [8], 'a reserved address is an exclusion, whatever the allow-list says');
    assert.deepEqual(held.map((e) => [e.line, e.reason]), [
      [2, '45.133.1.21: excluded by allow-list: 45.133.1.21'],
      [3, '91.92.93.94: excluded by allow-list: 91.92.93.0/24'],
      [4, 'http://91.92.93.94/payload: excluded by allow-list: 91.92.93.0/24'],
      [5, 'cdn.partner-example.net: excluded by allow-list: *.partner-example.net'],
      [6, 'partner-example.net: excluded by allow-list: *.partner-example.net'],
    ]);
    assert.deepEqual(await storedValues(store), ['45.133.1.20', 'evil-example.org', 'www.expired-example.net'], 'an expired entry holds nothing back');
    await store.close();
  });

  it('importFile (the worker thread path of `socd import`) holds them back too', async () => {
    const store = await freshStore();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'socd-allow-')), 'list.txt');
    writeFileSync(file, `${LIST.join('\n')}\n`);
    const summary = await importFile(store, file, {
      format: 'text', source: 'file', clock: () => NOW, exclusions: new Exclusions(), allowlist: await loadAllowList(store, NOW),
    });
    assert.deepEqual([summary.inserted, summary.excluded, summary.allowlisted], [2, 1, 5]);
    assert.deepEqual(await storedValues(store), ['45.133.1.20', 'evil-example.org']);
    await store.close();
  });

  it('the runner loads the allow-list at the start of the run, counts what it held back and records the count', async () => {
    const store = await freshStore();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'socd-allow-')), 'feed.txt');
    writeFileSync(file, `${LIST.join('\n')}\n`);
    const def = genericSource({ id: 'local-list', generic: 'text', url: pathToFileURL(file).toString() });
    const { ingest } = resolveSources(CATALOG, {}, {});
    const src = { def, enabled: true, reason: undefined, apiKey: undefined, username: undefined, custom: true, scheduleMs: 3_600_000, minIntervalMs: 0 };
    const report = await runSource(src, { store, settings: ingest, clock: () => NOW });
    assert.equal(report.outcome, 'ok', report.error ?? '');
    assert.deepEqual([report.inserted, report.excluded, report.allowlisted, report.rejected], [2, 1, 5, 0]);
    assert.ok(report.exclusions.includes('record 5: cdn.partner-example.net: excluded by allow-list: *.partner-example.net'));
    assert.equal((await store.lastRun('local-list', ['ok']))?.allowlisted, 5, 'the run records the count');
    assert.deepEqual(await storedValues(store), ['45.133.1.20', 'evil-example.org']);
    await store.close();
  });

  it('a snapshot whose every value is allow-listed is still a snapshot: what it listed before is delisted, not kept', async () => {
    const store = await sqliteStore();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'socd-allow-')), 'feed.txt');
    writeFileSync(file, '45.133.1.21\n');
    const def = genericSource({ id: 'local-list', generic: 'text', url: pathToFileURL(file).toString() });
    const { ingest } = resolveSources(CATALOG, {}, {});
    const src = { def, enabled: true, reason: undefined, apiKey: undefined, username: undefined, custom: true, scheduleMs: 3_600_000, minIntervalMs: 0 };
    assert.equal((await runSource(src, { store, settings: ingest, clock: () => NOW })).inserted, 1);
    await allow(store, '45.133.1.21');
    const second = await runSource(src, { store, settings: ingest, clock: () => NOW + 3_600_000 });
    assert.equal(second.outcome, 'ok', second.error ?? '');
    assert.deepEqual([second.allowlisted, second.delisted], [1, 1]);
    await store.close();
  });

  it('a snapshot that did not change (304) relists its values, but not what the allow-list holds back', async () => {
    const store = await sqliteStore();
    const feed = new FeedServer();
    await feed.start();
    const url = 'https://feeds.example/etag-list.txt';
    feed.handlers.set(url, (req, res) => {
      if (req.headers['if-none-match'] === '"v1"') res.writeHead(304).end();
      else res.writeHead(200, { etag: '"v1"', 'content-type': 'text/plain' }).end('45.133.1.50\n45.133.1.51\n');
    });
    try {
      const def = genericSource({ id: 'etag-list', generic: 'text', url });
      const { ingest } = resolveSources(CATALOG, {}, {});
      const src = { def, enabled: true, reason: undefined, apiKey: undefined, username: undefined, custom: true, scheduleMs: 3_600_000, minIntervalMs: 0 };
      const run = () => runSource(src, { store, settings: ingest, rewriteUrl: feed.rewrite, sleep: async () => {} });
      assert.equal((await run()).inserted, 2);
      const service = new AllowListService(store, new TokenSigner('t'.repeat(32)), { defaultLimit: 100, maxLimit: 1000 });
      assert.equal((await service.add({ value: '45.133.1.50', reason: 'ours' }, { accountId: null, email: null, keyPrefix: null, via: 'cli', origin: 'test' })).revoked, 1);
      const second = await run();
      assert.equal(second.outcome, 'not-modified', second.error ?? '');
      assert.deepEqual([second.allowlisted, second.updated + second.unchanged], [1, 1]);
      const status = async (v: string) => (await store.queryIocs({ status: 'all', value: v, types: ['ipv4'], limit: 1 })).items[0]?.status;
      assert.equal(await status('45.133.1.50'), 'revoked', 'the relisting did not bring it back');
      assert.equal(await status('45.133.1.51'), 'active');
    } finally {
      await feed.stop();
      await store.close();
    }
  });

  it('a value held back but active all the same (written by a run that began before its entry) is revoked by the next write', async () => {
    const store = await sqliteStore();
    await store.upsertSource({ id: 'file', name: 'File', reliability: 1, redistributable: true, aggregate: false, tlp: 'clear' });
    const list = () => parseStream(Readable.from([Buffer.from('45.133.1.70\n45.133.1.71\n')]), 'text');
    assert.equal((await runImport(store, list(), { source: 'file', clock: () => NOW, exclusions: new Exclusions() })).inserted, 2);
    // The entry lands in the store without its revocation, as when a run that loaded the list earlier wrote after it.
    await allow(store, '45.133.1.70');
    const summary = await runImport(store, list(), { source: 'file', clock: () => NOW + 1000, exclusions: new Exclusions(), allowlist: await loadAllowList(store, NOW + 1000) });
    assert.deepEqual([summary.allowlisted, summary.updated + summary.unchanged], [1, 1]);
    const status = async (v: string) => (await store.queryIocs({ status: 'all', value: v, types: ['ipv4'], limit: 1 })).items[0]?.status;
    assert.equal(await status('45.133.1.70'), 'revoked');
    assert.equal(await status('45.133.1.71'), 'active');
    await store.close();
  });
});
