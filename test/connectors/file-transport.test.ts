import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runSource } from '../../src/connectors/pipeline/runner.js';
import { resolveSources, type ResolvedSource } from '../../src/connectors/catalog/source-config.js';
import type { SourceDefinition } from '../../src/connectors/catalog/source-definition.js';
import { CATALOG } from '../../src/connectors/catalog/sources/index.js';
import { genericSource } from '../../src/connectors/catalog/sources/generic.js';
import { phishtank } from '../../src/connectors/catalog/sources/phishtank.js';
import { FEEDS, FeedServer } from '../support/feed-server.js';
import { sqliteStore } from '../support/stores.js';

const NOW = Date.UTC(2026, 10, 20, 12);
const { ingest } = resolveSources(CATALOG, {}, {});
const resolved = (def: SourceDefinition, apiKey?: string): ResolvedSource => ({
  def, enabled: true, reason: undefined, apiKey, username: undefined, custom: false, scheduleMs: 3_600_000, minIntervalMs: 0,
});

/**
 * Issue 12 §2.8: air-gapped sites mirror feeds as files and point sources at `file://` copies. A gzipped copy must
 * load as it does over HTTP: every transport recognises gzip by its magic bytes (1f 8b), whatever the name says.
 */
describe('file:// copies: gzip by magic bytes, as over HTTP', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'socd-file-transport-'));
  const server = new FeedServer();
  before(() => server.start());
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const fileUrl = (name: string) => pathToFileURL(path.join(dir, name)).toString();

  const run = async (def: SourceDefinition, rewrite: (u: string) => string, apiKey?: string) => {
    const store = await sqliteStore();
    try {
      const report = await runSource(resolved(def, apiKey), { store, settings: ingest, clock: () => NOW, rewriteUrl: rewrite, sleep: async () => {} });
      const stored = (await store.queryIocs({ source: def.id, status: 'all', limit: 100 })).items.map((i) => `${i.type} ${i.value}`).sort();
      return { report, stored };
    } finally {
      await store.close();
    }
  };

  it("PhishTank's online-valid.json.gz loads from a file:// copy exactly as over HTTP", async () => {
    copyFileSync(path.join(FEEDS, 'phishtank.json.gz'), path.join(dir, 'online-valid.json.gz'));
    server.file('http://data.phishtank.com/data/test-key/online-valid.json.gz', 'phishtank.json.gz', { 'content-type': 'application/octet-stream' });
    const overHttp = await run(phishtank, server.rewrite, 'test-key');
    assert.equal(overHttp.report.outcome, 'ok', String(overHttp.report.error));
    const overFile = await run(phishtank, () => fileUrl('online-valid.json.gz'), 'test-key');
    assert.equal(overFile.report.outcome, 'ok', String(overFile.report.error));
    assert.equal(overFile.stored.length, 7);
    assert.deepEqual(overFile.stored, overHttp.stored);
  });

  it('a gzipped copy whose name does not say so (mirror.dat) is still gunzipped; a plain copy is read as it is', async () => {
    const list = '# mirrored\n45.133.1.20\n185.220.101.4\nevil-example.top\n';
    writeFileSync(path.join(dir, 'mirror.dat'), gzipSync(list));
    writeFileSync(path.join(dir, 'plain.txt.gz'), list);
    const def = genericSource({ id: 'mirror', generic: 'text', url: 'https://feeds.example.invalid/mirror' });
    for (const name of ['mirror.dat', 'plain.txt.gz']) {
      const r = await run(def, () => fileUrl(name));
      assert.equal(r.report.outcome, 'ok', `${name}: ${r.report.error}`);
      assert.deepEqual(r.stored, ['domain evil-example.top', 'ipv4 185.220.101.4', 'ipv4 45.133.1.20'], name);
    }
  });

  it('a gzipped CSV copy loads through the delimited reader', async () => {
    writeFileSync(path.join(dir, 'partner.csv.gz'), gzipSync('value,type,tags\n45.133.1.21,ipv4,None\nevil-example.top,domain,c2\n'));
    const def = genericSource({ id: 'partner', generic: 'csv', url: 'https://feeds.example.invalid/partner.csv' });
    const r = await run(def, () => fileUrl('partner.csv.gz'));
    assert.equal(r.report.outcome, 'ok', String(r.report.error));
    assert.deepEqual(r.stored, ['domain evil-example.top', 'ipv4 45.133.1.21']);
  });

  it('a truncated gzip copy fails as bad-gzip, as over HTTP', async () => {
    const whole = gzipSync(Array.from({ length: 5000 }, (_, i) => `45.134.${i >> 8}.${(i & 255) || 1}`).join('\n'));
    writeFileSync(path.join(dir, 'cut.gz'), whole.subarray(0, Math.floor(whole.length / 2)));
    const def = genericSource({ id: 'cut', generic: 'text', url: 'https://feeds.example.invalid/cut' });
    const r = await run(def, () => fileUrl('cut.gz'));
    assert.equal(r.report.outcome, 'failed');
    assert.match(String(r.report.error), /^bad-gzip: /);
  });

  it('the byte cap applies to what the copy decompresses to', async () => {
    writeFileSync(path.join(dir, 'bomb.gz'), gzipSync(Buffer.from(`${'45.133.1.20\n'.repeat(100_000)}`)));
    const base = genericSource({ id: 'bomb', generic: 'text', url: 'https://feeds.example.invalid/bomb' });
    const def: SourceDefinition = { ...base, fetch: { ...base.fetch, maxBytes: 64 * 1024 } };
    assert.ok(readFileSync(path.join(dir, 'bomb.gz')).length < 64 * 1024, 'small on disk');
    const r = await run(def, () => fileUrl('bomb.gz'));
    assert.equal(r.report.outcome, 'failed');
    assert.match(String(r.report.error), /^too-large: /);
  });
});
