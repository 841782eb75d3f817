/**
 * Bench: ingest through the connector runner, as `socd ingest` does — a 1M-line IP list and a 1M-row CSV served by a
 * local HTTP server (fetch → parse → normalize → exclusions → batched upserts with STIX versions) into a fresh SQLite
 * database. Each kind runs in its own process so that its peak RSS is its own.
 *
 *   node dist/bench/ingest.js [--count 1000000] [--kind list|csv|both] [--batch-size 25000] [--cache-mb 128] (the defaults of socd ingest) [--again]
 *
 * --again runs the same snapshot a second time (unchanged: zero new versions expected) and times it too.
 * Prints figures; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runSource } from '../src/connectors/runner.js';
import { DEFAULT_INGEST_BATCH, resolveSources } from '../src/connectors/source-config.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { iocStixRenderer } from '../src/stix/render-ioc.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    kind: { type: 'string', default: 'both' },
    'batch-size': { type: 'string', default: String(DEFAULT_INGEST_BATCH) },
    'cache-mb': { type: 'string', default: '128' },
    again: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const outDir = resolve('bench/out');
mkdirSync(outDir, { recursive: true });
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

if (args.kind === 'both') {
  for (const kind of ['list', 'csv']) {
    const r = spawnSync(process.execPath, [process.argv[1]!, '--count', String(count), '--kind', kind, '--batch-size', args['batch-size']!, '--cache-mb', args['cache-mb']!, ...(args.again ? ['--again'] : [])], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  process.exit(0);
}

const file = join(outDir, args.kind === 'list' ? `ipv4-${count}.txt` : `iocs-${count}-s42.csv`);
if (!existsSync(file)) {
  process.stderr.write(`generating ${file}…\n`);
  const gen = spawnSync(process.execPath, [resolve('dist/bench/generate.js'), '--count', String(count), '--seed', '42', '--out', file,
    ...(args.kind === 'list' ? ['--format', 'txt', '--mix', 'ipv4=1'] : ['--format', 'csv'])], { stdio: 'inherit' });
  if (gen.status !== 0) process.exit(1);
}

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  createReadStream(file).pipe(res);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed`;

const dir = mkdtempSync(join(tmpdir(), 'socd-ingest-bench-'));
const store = new SqliteStore(join(dir, 'socd.db'), { renderVersion: iocStixRenderer('identity--7b7d9a0e-8d1c-4a4e-b6a5-0c2b8f3d9e10'), cacheMb: Number(args['cache-mb']) });
await store.migrate();
const custom = args.kind === 'list'
  ? { id: 'bench-list', generic: 'text', url, type: 'ipv4' }
  : { id: 'bench-csv', generic: 'csv', url, fields: { value: 'value', type: 'type', tags: { from: 'tags', split: ';' }, malware: 'malware', sectors: { from: 'sectors', split: ';' }, firstSeen: 'first_seen', lastSeen: 'last_seen' } };
const { sources, ingest } = resolveSources([], { customSources: [custom], ingest: { batchSize: Number(args['batch-size']) } });
const src = sources[0]!;

/** Versions the log gained after `sinceUs` (epoch µs), counted by walking the all-iocs collection. */
async function versionsSince(sinceUs: number): Promise<number> {
  let n = 0;
  let after: { dateAdded: number; seq: number } | undefined;
  for (;;) {
    const page = await store.pageLog({ collection: 'all-iocs', addedAfter: sinceUs, after, limit: 10_000, versions: { last: false, first: false, all: true, modified: [] } });
    n += page.items.length;
    const last = page.items[page.items.length - 1];
    if (!page.more || !last) return n;
    after = { dateAdded: last.dateAdded, seq: last.seq };
  }
}

async function once(label: string) {
  const startUs = Date.now() * 1000;
  const t0 = process.hrtime.bigint();
  const r = await runSource(src, { store, settings: ingest }, { force: true });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`ingest ${args.kind} ${label}: ${r.records.toLocaleString('en')} records (${mb(statSync(file).size)}) in ${s.toFixed(2)} s = ` +
    `${Math.round(r.records / s).toLocaleString('en')} records/s; ${r.inserted} new, ${r.updated} updated, ${r.unchanged} unchanged, ` +
    `${r.rejected} rejected, ${r.excluded} excluded; outcome ${r.outcome}${r.error ? ` (${r.error})` : ''}; peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
  console.log(`  STIX versions appended by this run: ${(await versionsSince(startUs - 1)).toLocaleString('en')}`);
  return r;
}

await once('first run');
if (args.again) {
  const before = await store.countIocs();
  await once('unchanged snapshot');
  console.log(`  IOCs before/after the second run: ${before} / ${await store.countIocs()}`);
}
console.log(`  database ${mb(statSync(join(dir, 'socd.db')).size)}`);
await store.close();
server.close();
if (process.env.BENCH_KEEP) console.log(`  kept ${dir}`); else rmSync(dir, { recursive: true, force: true });
