import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { runSource, type RunReport } from '../../src/connectors/runner.js';
import { resolveSources, type ResolvedSource } from '../../src/connectors/source-config.js';
import type { SourceDefinition } from '../../src/connectors/source-definition.js';
import { genericSource } from '../../src/connectors/sources/generic.js';
import { CATALOG } from '../../src/connectors/sources/index.js';
import { FeedServer } from '../support/feed-server.js';
import { sqliteStore } from '../support/stores.js';

const NOW = Date.UTC(2026, 10, 20, 12);
const MIB = 1 << 20;
const { ingest } = resolveSources(CATALOG, {}, {});
const resolved = (def: SourceDefinition, apiKey?: string): ResolvedSource => ({
  def, enabled: true, reason: undefined, apiKey, username: undefined, custom: true, scheduleMs: 3_600_000, minIntervalMs: 0,
});

/**
 * `mib` MiB of zeros as raw DEFLATE, without ever holding them: one 1 MiB segment compressed with a full flush (it
 * ends on a byte boundary and refers to nothing before it), repeated, then an empty final block. ~1 KB a MiB.
 */
function zeroBomb(mib: number): { deflated: Buffer; crc: number; size: number } {
  const zeros = Buffer.alloc(MIB);
  const segment = deflateRawSync(zeros, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(zeros, crc);
  return { deflated: Buffer.concat([...Array<Buffer>(mib).fill(segment), deflateRawSync(Buffer.alloc(0))]), crc, size: mib * MIB };
}

/** A gzip file (RFC 1952) around raw DEFLATE data. */
function gzipOf(b: ReturnType<typeof zeroBomb>): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(b.crc >>> 0, 0);
  trailer.writeUInt32LE(b.size >>> 0, 4);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]), b.deflated, trailer]);
}

/** A zip archive of one deflated member, written by hand (local header, data, central directory, end record). */
function zipOf(name: string, b: ReturnType<typeof zeroBomb>): Buffer {
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(b.crc >>> 0, 14);
  local.writeUInt32LE(b.deflated.length, 18);
  local.writeUInt32LE(b.size >>> 0, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(b.crc >>> 0, 16);
  central.writeUInt32LE(b.deflated.length, 20);
  central.writeUInt32LE(b.size >>> 0, 24);
  central.writeUInt16LE(n.length, 28);
  const cdOffset = local.length + n.length + b.deflated.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + n.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, n, b.deflated, central, n, end]);
}

/** The real fetch, with the compressed bytes our reader pulled off the wire counted (how far the inflater got). */
function countingFetch() {
  const counter = { pulled: 0 };
  const impl: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (res.status !== 200 || !res.body) return res;
    const counted = res.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        counter.pulled += chunk.byteLength;
        ctl.enqueue(chunk);
      },
    }));
    return new Response(counted, { status: res.status, headers: res.headers });
  };
  return { counter, impl };
}

async function run(def: SourceDefinition, rewrite: (u: string) => string, fetchImpl?: typeof fetch): Promise<{ report: RunReport; stored: string[] }> {
  const store = await sqliteStore();
  try {
    const report = await runSource(resolved(def), {
      store, settings: ingest, clock: () => NOW, rewriteUrl: rewrite, sleep: async () => {}, transport: { retries: 0 },
      ...(fetchImpl ? { fetchImpl } : {}),
    });
    const stored = (await store.queryIocs({ source: def.id, status: 'all', limit: 100 })).items.map((i) => `${i.type} ${i.value}`).sort();
    return { report, stored };
  } finally {
    await store.close();
  }
}

/**
 * Issue 13 §9: a 2.2 MB zip of 1 GiB was inflated whole in memory (1.14 GB peak inside `socd serve`). Every
 * decompression, zip or gzip, over HTTP or from a file, is streamed and stops a step past the source's byte cap.
 * The proof is in bytes, not time or memory readings: how much of the compressed file was read before the run
 * failed (a bomb of 1 GiB of zeros is ~1 MB compressed; 4 MiB of output needs ~4 KB of it).
 */
describe('decompression bombs: the byte cap holds for what a zip or gzip expands to', () => {
  const CAP = 4 * MIB;
  const bomb = zeroBomb(1024);
  const zip = zipOf('listed_email_1.txt', bomb);
  const gz = gzipOf(bomb);
  const server = new FeedServer();
  const dir = mkdtempSync(path.join(tmpdir(), 'socd-bombs-'));
  before(() => server.start());
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const capped = (id: string, zipMember?: string): SourceDefinition => {
    const base = genericSource({ id, generic: 'text', url: `https://feeds.example.invalid/${id}` });
    return { ...base, fetch: { ...base.fetch, maxBytes: CAP, ...(zipMember ? { zipMember } : {}) } };
  };
  const REASON = new RegExp(`^too-large: decompressed size passes the source's limit of ${CAP} bytes$`);

  it('a zip bomb over HTTP fails at the cap, its download cut short (a quarter of the archive at most was read)', async () => {
    const def = capped('zip-bomb', '*');
    server.handlers.set(def.fetch.url as string, (_q, res) => res.writeHead(200, { 'content-type': 'application/zip' }).end(zip));
    const { counter, impl } = countingFetch();
    const { report } = await run(def, server.rewrite, impl);
    assert.equal(report.outcome, 'failed');
    assert.match(String(report.error), REASON);
    assert.ok(counter.pulled < zip.length / 4, `read ${counter.pulled} of ${zip.length} compressed bytes`);
  });

  it('a gzip bomb over HTTP fails at the cap with the same reason, its download cut short', async () => {
    const def = capped('gzip-bomb');
    server.handlers.set(def.fetch.url as string, (_q, res) => res.writeHead(200, { 'content-type': 'application/gzip' }).end(gz));
    const { counter, impl } = countingFetch();
    const { report } = await run(def, server.rewrite, impl);
    assert.equal(report.outcome, 'failed');
    assert.match(String(report.error), REASON);
    assert.ok(report.bytes <= CAP, `delivered ${report.bytes} decompressed bytes`);
    assert.ok(counter.pulled < gz.length / 4, `read ${counter.pulled} of ${gz.length} compressed bytes`);
  });

  it('the same bombs as file:// copies fail at the cap with the same reason', async () => {
    writeFileSync(path.join(dir, 'bomb.zip'), zip);
    writeFileSync(path.join(dir, 'bomb.gz'), gz);
    const z = await run(capped('zip-file', '*'), () => pathToFileURL(path.join(dir, 'bomb.zip')).toString());
    assert.equal(z.report.outcome, 'failed');
    assert.match(String(z.report.error), REASON);
    const g = await run(capped('gzip-file'), () => pathToFileURL(path.join(dir, 'bomb.gz')).toString());
    assert.equal(g.report.outcome, 'failed');
    assert.match(String(g.report.error), REASON);
  });

  it('an honest zip still loads as it streams: the named member among several, whatever comes after it', async () => {
    const def = genericSource({ id: 'zip-ok', generic: 'text', url: 'https://feeds.example.invalid/zip-ok' });
    const archive = zipSync({
      'readme.txt': new TextEncoder().encode('not this one\n'),
      'data/list.txt': new TextEncoder().encode('45.133.1.20\nevil-example.top\n'),
      'z.bin': new Uint8Array(1000),
    });
    server.handlers.set('https://feeds.example.invalid/zip-ok', (_q, res) => res.writeHead(200).end(archive));
    const r = await run({ ...def, fetch: { ...def.fetch, zipMember: 'list.txt' } }, server.rewrite);
    assert.equal(r.report.outcome, 'ok', String(r.report.error));
    assert.deepEqual(r.stored, ['domain evil-example.top', 'ipv4 45.133.1.20']);
    const missing = await run({ ...def, id: 'zip-missing', fetch: { ...def.fetch, zipMember: 'absent.txt' } }, server.rewrite);
    assert.equal(missing.report.outcome, 'failed');
    assert.match(String(missing.report.error), /no member "absent\.txt"/);
  });
});
