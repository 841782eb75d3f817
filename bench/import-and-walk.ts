/**
 * Bench: import N generated IOCs into a fresh database through the same pipeline as `socd import`
 * (CSV file → parse → normalize → batched upserts), then walk GET /api/v1/iocs?limit=1000 to the end over
 * loopback and compare the cost of the first and the last page.
 *
 *   node dist/bench/import-and-walk.js [--count 1000000] [--seed 42] [--database URL] [--batch-size 50000] [--cache-mb 64]
 *                                      [--serial] [--no-walk] [--keep] [--json]
 *
 * --database: nothing (or `sqlite`) for a new SQLite file in a temporary directory; a postgres:// server URL for a new
 *   schema of its own; either is removed at the end unless --keep. A URL naming its database exactly
 *   (`sqlite:PATH`, `postgres://…?schema=NAME`) is loaded as it is and left in place.
 * --no-walk: the import only. --json: the last stdout line is `BENCH_JSON {…}`.
 *
 * Prints figures; asserts nothing. Peak RSS is this process's maximum resident set size (on PostgreSQL the server's
 * own memory is not in it).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { importFile } from '../src/connectors/pipeline/file-import.js';
import { Exclusions } from '../src/domain/exclusions.js';
import { backendOf, benchCsv, databaseBytes, displayUrl, freshDatabase, OUT_DIR, openBenchStore } from './bench-database.js';
import { emitBenchJson, mb, MiB, median, peakRssBytes, round } from './bench-output.js';
import { startBenchServer } from './bench-server.js';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '42' },
    database: { type: 'string' },
    'batch-size': { type: 'string', default: '50000' },
    serial: { type: 'boolean', default: false },
    'cache-mb': { type: 'string', default: '64' },
    'no-walk': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(args.count);

/**
 * CPU seconds of this process's main thread (the one that stores; the parse worker has its own): utime + stime of
 * /proc/self/task/<pid>/stat, in clock ticks (100 per second on Linux). Undefined where /proc is missing.
 */
function mainThreadCpuS(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
const walBytes = (url: string): number | undefined => {
  if (!url.startsWith('sqlite:')) return undefined;
  const wal = `${url.slice('sqlite:'.length)}-wal`;
  return existsSync(wal) ? statSync(wal).size : 0;
};
const seed = String(args.seed);
const csv = await benchCsv(count, seed);

const target = await freshDatabase(args.database, 'import');
const backend = backendOf(target.url);
const { store, identity } = await openBenchStore(target.url, { sqliteCacheMb: Number(args['cache-mb']) });
try {
  await store.upsertSource({ id: 'bench', name: 'bench', reliability: 1, redistributable: true, aggregate: false, tlp: 'clear' });

  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuS();
  const summary = await importFile(store, csv, { format: 'csv', source: 'bench', confidence: 50, exclusions: new Exclusions(), batchSize: Number(args['batch-size']), parallel: !args.serial });
  const importS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const main1 = mainThreadCpuS();
  const mainS = main0 !== undefined && main1 !== undefined ? main1 - main0 : undefined;
  const wal = walBytes(target.url);
  const rssAfterImport = peakRssBytes();
  const dbBytes = await databaseBytes(target.url);
  console.log(`import   ${backend} ${displayUrl(target.url)}`);
  console.log(`import   (${args.serial ? 'one thread' : 'parse in a worker'}, ${args['batch-size']} per transaction) ${summary.read} records (${mb(statSync(csv).size)} CSV) in ${importS.toFixed(2)} s = ${Math.round(summary.read / importS).toLocaleString('en')} IOCs/s; ` +
    `${summary.inserted} new, ${summary.rejected} rejected, ${summary.excluded} excluded; peak RSS ${mb(rssAfterImport)}; db ${mb(dbBytes)}` +
    `${wal !== undefined ? ` (WAL ${mb(wal)})` : ''}`);
  // CPU is what a busy machine measures best: µs per record of the main thread (storing) and of the whole process.
  console.log(`cpu      process ${cpuS.toFixed(2)} s (${((cpuS * 1e6) / summary.read).toFixed(1)} µs/record)` +
    `${mainS !== undefined ? `; main thread ${mainS.toFixed(2)} s (${((mainS * 1e6) / summary.read).toFixed(1)} µs/record)` : ''}`);

  const figures: Record<string, number | undefined> = {
    records: summary.read,
    inserted: summary.inserted,
    rejected: summary.rejected,
    import_seconds: round(importS, 2),
    import_iocs_per_s: Math.round(summary.read / importS),
    import_peak_rss_mb: round(rssAfterImport / MiB),
    db_mb: round(dbBytes / MiB),
    wal_mb: wal === undefined ? undefined : round(wal / MiB),
    import_cpu_s: round(cpuS, 2),
    import_main_cpu_s: mainS === undefined ? undefined : round(mainS, 2),
  };

  if (!args['no-walk']) {
    const server = await startBenchServer(store, identity, { databaseUrl: target.url, dir: OUT_DIR, plan: 'admin', email: 'bench@example.com' });
    const { key, origin: base } = server;
    const headers = { authorization: `Bearer ${key}` };

    const fetchPage = async (cursor: string | null) => {
      const started = process.hrtime.bigint();
      const res = await fetch(`${base}/api/v1/iocs?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers });
      const body = (await res.json()) as { data: unknown[]; pagination: { next_cursor: string | null } };
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, body };
    };

    const w0 = process.hrtime.bigint();
    let cursor: string | null = null;
    let pages = 0;
    let items = 0;
    let lastCursor: string | null = null;
    do {
      lastCursor = cursor;
      const { body } = await fetchPage(cursor);
      pages++;
      items += body.data.length;
      cursor = body.pagination.next_cursor;
    } while (cursor);
    const walkS = Number(process.hrtime.bigint() - w0) / 1e9;
    console.log(`walk     ${items} IOCs in ${pages} pages of 1000 in ${walkS.toFixed(2)} s = ${Math.round(items / walkS).toLocaleString('en')} IOCs/s`);

    // First vs last page: the median of repeated fetches, after a warm-up.
    const sample = async (c: string | null) => {
      await fetchPage(c);
      const xs: number[] = [];
      for (let i = 0; i < 21; i++) xs.push((await fetchPage(c)).ms);
      return median(xs);
    };
    const first = await sample(null);
    const last = await sample(lastCursor);
    console.log(`pages    first ${first.toFixed(2)} ms, last ${last.toFixed(2)} ms (median of 21): last/first = ${(last / first).toFixed(2)}`);
    await server.close();
    Object.assign(figures, {
      walk_iocs_per_s: Math.round(items / walkS),
      walk_first_page_ms: round(first, 2),
      walk_last_page_ms: round(last, 2),
      walk_last_first_ratio: round(last / first, 2),
    });
  }
  console.log(`peak RSS ${mb(peakRssBytes())}`);
  figures.peak_rss_mb = round(peakRssBytes() / MiB);
  await store.close();
  const kept = await target.cleanup(args.keep);
  if (kept) console.log(`database ${kept}`);
  emitBenchJson(args.json, figures);
} catch (err) {
  await store.close().catch(() => {});
  await target.cleanup(args.keep).catch(() => {});
  throw err;
}
