/**
 * Bench: small pages. A TAXII collection of 2,000 objects (`all-iocs` of a fresh database holding exactly --objects
 * generated IOCs, loaded by the `socd import` pipeline: the first --objects rows of the generated CSV of --objects +
 * 1,000, then as many more rows as values the import found twice, until the database holds --objects) walked by `next` at limit=100 by one keep-alive client, one
 * page after the other, as a SIEM polls; the same walk then against the bare baseline (bench/bare-server.ts): a
 * node:http server in this process answering, from memory, the very answers our server gave (status, headers, body)
 * for those requests. Prints ms per page and pages/s of both and our rate over the bare one.
 *
 *   node dist/bench/small-walk.js [--objects 2000] [--seed 42] [--limit 100] [--walks 31] [--database URL] [--keep] [--json]
 *
 * Each walk parses every page (the client needs `next`), on both servers: the client's work is the same. The walks
 * alternate, ours then the bare one, so that a change in the machine's load falls on both; 3 unmeasured walks of each
 * first (the first of ours is the one recorded). The figure of each is the median walk.
 *
 * --database: nothing (or `sqlite`) for a new SQLite file in a temporary directory; a postgres:// server URL for a new
 * schema of its own; either is removed at the end unless --keep. --json: the last stdout line is `BENCH_JSON {…}`.
 * Prints figures; asserts nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { importFile } from '../src/connectors/pipeline/file-import.js';
import { Exclusions } from '../src/domain/exclusions.js';
import { pathAndQuery, Recording, startBareServer } from './bare-server.js';
import { backendOf, benchCsv, displayUrl, freshDatabase, OUT_DIR, openBenchStore } from './bench-database.js';
import { emitBenchJson, median, MiB, peakRssBytes, round } from './bench-output.js';
import { startBenchServer } from './bench-server.js';

const { values: args } = parseArgs({
  options: {
    objects: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '42' },
    limit: { type: 'string', default: '100' },
    walks: { type: 'string', default: '31' },
    database: { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const objectCount = Number(args.objects);
const limit = Number(args.limit);
const walks = Number(args.walks);
const WARM_WALKS = 3;
if (!Number.isSafeInteger(objectCount) || objectCount < 1000) throw new Error(`--objects: an integer ≥ 1000 (the generator's least), got ${args.objects}`);
if (!Number.isSafeInteger(walks) || walks < 1) throw new Error(`--walks: a positive integer, got ${args.walks}`);

const [csvHeader, ...csvRows] = readFileSync(await benchCsv(objectCount + 1000, String(args.seed)), 'utf8').trimEnd().split('\n');
const target = await freshDatabase(args.database, 'small-walk');
const { store, identity } = await openBenchStore(target.url);

/** Imports rows of the generated CSV until the database holds exactly `objectCount` IOCs (some values come twice). */
async function load(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'socd-small-walk-csv-'));
  try {
    let used = 0;
    for (let held = 0; held < objectCount;) {
      if (used >= csvRows.length) throw new Error(`the generated CSV ran out at ${held} IOCs`);
      const part = join(dir, `part-${used}.csv`);
      writeFileSync(part, `${[csvHeader, ...csvRows.slice(used, used + objectCount - held)].join('\n')}\n`);
      used += objectCount - held;
      await importFile(store, part, { format: 'csv', source: 'bench', confidence: 50, exclusions: new Exclusions(), batchSize: 50_000 });
      held = await store.countIocs();
    }
    return used;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await store.upsertSource({ id: 'bench', name: 'bench', reliability: 1, redistributable: true, aggregate: false, tlp: 'clear' });
  const rowsRead = await load();
  const iocs = await store.countIocs();
  const server = await startBenchServer(store, identity, { databaseUrl: target.url, dir: OUT_DIR, plan: 'pro', email: `small-walk-${Date.now()}@example.com` });
  const path = '/api/taxii2/api/collections/all-iocs/objects/';
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const headers = { authorization: `Bearer ${server.key}`, accept: 'application/taxii+json;version=2.1' };
  let recording: Recording | undefined = new Recording();

  function get(url: string): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolvePromise, reject) => {
      request(url, { headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          recording?.record(pathAndQuery(url), res.statusCode!, res.headers, body);
          resolvePromise({ status: res.statusCode!, body });
        });
        res.on('error', reject);
      }).on('error', reject).end();
    });
  }

  /** One walk by `next` from the first page to the last: its time, pages and objects. */
  async function walk(origin: string): Promise<{ ms: number; pages: number; objects: number }> {
    const started = process.hrtime.bigint();
    let url = `${origin}${path}?limit=${limit}`;
    let pages = 0;
    let objects = 0;
    for (;;) {
      const { status, body } = await get(url);
      if (status !== 200) throw new Error(`GET ${url}: ${status} ${body.toString('utf8').slice(0, 300)}`);
      const page = JSON.parse(body.toString('utf8')) as { more?: boolean; next?: string; objects?: unknown[] };
      pages++;
      objects += page.objects?.length ?? 0;
      if (!page.more || !page.next) break;
      url = `${origin}${path}?limit=${limit}&next=${encodeURIComponent(page.next)}`;
    }
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, pages, objects };
  }

  const first = await walk(server.origin);
  const recorded = recording;
  recording = undefined;
  const bare = await startBareServer(recorded);
  for (let i = 1; i < WARM_WALKS; i++) await walk(server.origin);
  for (let i = 0; i < WARM_WALKS; i++) await walk(bare.origin);
  const ours: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < walks; i++) {
    const a = await walk(server.origin);
    const b = await walk(bare.origin);
    if (a.pages !== first.pages || b.pages !== first.pages || b.objects !== first.objects) throw new Error(`walks differ: ${first.pages}/${a.pages}/${b.pages} pages, ${first.objects}/${b.objects} objects`);
    ours.push(a.ms);
    floor.push(b.ms);
  }
  const misses = bare.misses();
  await bare.close();
  agent.destroy();
  await server.close();

  const msPage = median(ours) / first.pages;
  const bareMsPage = median(floor) / first.pages;
  console.log(`small     ${backendOf(target.url)} ${displayUrl(target.url)}: ${iocs} IOCs imported (from ${rowsRead} generated rows); all-iocs holds ${first.objects} objects: ${first.pages} pages of limit=${limit} per walk`);
  console.log(`small     ours: median walk of ${walks} ${median(ours).toFixed(1)} ms = ${msPage.toFixed(2)} ms/page = ${Math.round(1000 / msPage).toLocaleString('en')} pages/s`);
  console.log(`small     bare node:http answering the recorded bytes (${recorded.size} pages, ${(recorded.bytes / MiB).toFixed(1)} MB${misses ? `; ${misses} NOT RECORDED` : ''}): ` +
    `median walk ${median(floor).toFixed(1)} ms = ${bareMsPage.toFixed(2)} ms/page = ${Math.round(1000 / bareMsPage).toLocaleString('en')} pages/s`);
  console.log(`small     ours/bare (rate) = ${(bareMsPage / msPage).toFixed(2)}`);
  await store.close();
  const kept = await target.cleanup(args.keep);
  if (kept) console.log(`database ${kept}`);
  emitBenchJson(args.json, {
    iocs,
    objects: first.objects,
    pages: first.pages,
    walks,
    ms_per_page: round(msPage, 3),
    pages_per_s: Math.round(1000 / msPage),
    bare_ms_per_page: round(bareMsPage, 3),
    bare_pages_per_s: Math.round(1000 / bareMsPage),
    bare_misses: misses,
    bare_ratio: round(bareMsPage / msPage, 3),
    peak_rss_mb: round(peakRssBytes() / MiB),
  });
} catch (err) {
  await store.close().catch(() => {});
  await target.cleanup(args.keep).catch(() => {});
  throw err;
}
