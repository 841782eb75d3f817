/**
 * Bench: ingest through the connector runner, as `socd ingest` does — a 1M-line IP list and a 1M-row CSV served by a
 * local HTTP server (fetch → parse → normalize → exclusions → batched upserts with STIX versions) into a fresh
 * database. Each kind runs in its own process so that its peak RSS is its own.
 *
 *   node dist/bench/ingest.js [--count 1000000] [--seed 42] [--kind list|csv|both] [--database URL]
 *                             [--batch-size 25000] [--cache-mb 128] (the defaults of socd ingest) [--again] [--keep] [--json]
 *
 * --database: nothing (or `sqlite`) for a new SQLite file in a temporary directory; a postgres:// server URL for a new
 *   schema of its own; either is removed at the end unless --keep (or BENCH_KEEP is set). A URL naming its database
 *   exactly (`sqlite:PATH`, `postgres://…?schema=NAME`) is loaded as it is and left in place (one --kind then).
 * --again runs the same snapshot a second time (unchanged: zero new versions expected) and times it too.
 * --json: the last stdout line is `BENCH_JSON {…}` (with --kind both, each figure is prefixed by `list_` or `csv_`).
 * Prints figures; asserts nothing.
 */
import { spawn } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { runSource } from '../src/connectors/pipeline/runner.js';
import { DEFAULT_INGEST_BATCH, resolveSources } from '../src/connectors/catalog/source-config.js';
import { backendOf, benchCsv, benchIpList, databaseBytes, displayUrl, freshDatabase, isPostgresUrl, openBenchStore, postgresSchema } from './bench-database.js';
import { BENCH_JSON_PREFIX, emitBenchJson, mb, MiB, parseBenchJson, peakRssBytes, round } from './bench-output.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '42' },
    kind: { type: 'string', default: 'both' },
    database: { type: 'string' },
    'batch-size': { type: 'string', default: String(DEFAULT_INGEST_BATCH) },
    'cache-mb': { type: 'string', default: '128' },
    again: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);
const seed = String(args.seed);
const keep = args.keep || Boolean(process.env.BENCH_KEEP);

if (args.kind === 'both') {
  const db = args.database;
  if (db !== undefined && db !== 'sqlite' && (!isPostgresUrl(db) || postgresSchema(db))) {
    process.stderr.write('--kind both loads two fresh databases: give --database a PostgreSQL server URL (no ?schema=), or pick one --kind\n');
    process.exit(2);
  }
  const figures: Record<string, number> = {};
  for (const kind of ['list', 'csv']) {
    const child = spawn(process.execPath, [process.argv[1]!, '--count', String(count), '--seed', seed, '--kind', kind, '--batch-size', args['batch-size']!, '--cache-mb', args['cache-mb']!,
      ...(db !== undefined ? ['--database', db] : []), ...(args.again ? ['--again'] : []), ...(keep ? ['--keep'] : []), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      out += `${line}\n`;
      if (!line.startsWith(BENCH_JSON_PREFIX)) process.stdout.write(`${line}\n`);
    });
    const [code] = (await Promise.all([new Promise<number | null>((r) => child.on('exit', r)), new Promise((r) => lines.on('close', r))])) as [number | null, unknown];
    if (code !== 0) process.exit(code ?? 1);
    for (const [k, v] of Object.entries(parseBenchJson(out) ?? {})) figures[`${kind}_${k}`] = v;
  }
  emitBenchJson(args.json, figures);
  process.exit(0);
}
if (args.kind !== 'list' && args.kind !== 'csv') {
  process.stderr.write('--kind: list, csv or both\n');
  process.exit(2);
}

const file = args.kind === 'list' ? await benchIpList(count, seed) : await benchCsv(count, seed);

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  createReadStream(file).pipe(res);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed`;

const target = await freshDatabase(args.database, `ingest_${args.kind}`);
const { store } = await openBenchStore(target.url, { sqliteCacheMb: Number(args['cache-mb']) });
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
  const peak = peakRssBytes();
  console.log(`ingest ${args.kind} ${label}: ${r.records.toLocaleString('en')} records (${mb(statSync(file).size)}) in ${s.toFixed(2)} s = ` +
    `${Math.round(r.records / s).toLocaleString('en')} records/s; ${r.inserted} new, ${r.updated} updated, ${r.unchanged} unchanged, ` +
    `${r.rejected} rejected, ${r.excluded} excluded; outcome ${r.outcome}${r.error ? ` (${r.error})` : ''}; peak RSS ${mb(peak)}`);
  const versions = await versionsSince(startUs - 1);
  console.log(`  STIX versions appended by this run: ${versions.toLocaleString('en')}`);
  return { r, s, peak, versions };
}

try {
  console.log(`ingest ${args.kind} into ${backendOf(target.url)} ${displayUrl(target.url)}`);
  const first = await once('first run');
  const figures: Record<string, number | undefined> = {
    records: first.r.records,
    inserted: first.r.inserted,
    rejected: first.r.rejected,
    seconds: round(first.s, 2),
    iocs_per_s: Math.round(first.r.records / first.s),
    peak_rss_mb: round(first.peak / MiB),
    versions: first.versions,
    failed: first.r.outcome === 'failed' ? 1 : 0,
  };
  if (args.again) {
    const before = await store.countIocs();
    const again = await once('unchanged snapshot');
    console.log(`  IOCs before/after the second run: ${before} / ${await store.countIocs()}`);
    Object.assign(figures, {
      again_seconds: round(again.s, 2),
      again_iocs_per_s: Math.round(again.r.records / again.s),
      again_peak_rss_mb: round(again.peak / MiB),
      again_versions: again.versions,
    });
  }
  const bytes = await databaseBytes(target.url);
  console.log(`  database ${mb(bytes)}`);
  figures.db_mb = round(bytes / MiB);
  await store.close();
  const kept = await target.cleanup(keep);
  if (kept) console.log(`  database ${kept}`);
  emitBenchJson(args.json, figures);
} catch (err) {
  await store.close().catch(() => {});
  await target.cleanup(keep).catch(() => {});
  throw err;
} finally {
  server.close();
}
